/**
 * Prints, as JSON `{ sources, package }`, the template of a CheckpointGuard made by the sources
 * and by the package's compiled construct (dist/cdk.mjs), asset hashes aside. Run as its own
 * process (`node --import tsx test/support/guard-template.ts`) by test/package, where loading
 * aws-cdk-lib through jest's module loader would take seconds more.
 */
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sources from '../../lib/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function templateOf(library: typeof sources): unknown {
  // No bundling: the template is the point, and each makes its asset its own way.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Platform');
  new library.CheckpointGuard(stack, 'CheckpointGuard', {
    policy: library.BundledPolicy.fromFile('policy.example.json', ROOT, new Date('2026-06-01T00:00:00Z')),
    securityHub: true,
    chatTopic: true,
  });
  return JSON.parse(
    JSON.stringify(Template.fromStack(stack).toJSON()).replace(/[0-9a-f]{64}/g, '[ASSET_HASH]'),
  );
}

const compiled = (await import(pathToFileURL(join(ROOT, 'dist', 'cdk.mjs')).href)) as typeof sources;
process.stdout.write(JSON.stringify({ sources: templateOf(sources), package: templateOf(compiled) }));
