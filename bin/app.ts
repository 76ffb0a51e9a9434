/**
 * The CDK app (`npx cdk synth`, `npx cdk deploy`): reads the deploy settings
 * from the context (cdk.json, `-c key=value`), builds the stack, runs cdk-nag.
 */
import { App } from 'aws-cdk-lib';
import { isCheckpointGuardError } from '../lambda/core/errors.js';
import { buildApp } from '../lib/build-app.js';

const app = new App({ autoSynth: false });
try {
  buildApp(app);
  app.synth();
} catch (error) {
  // An invalid setting or policy is the operator's to fix: print what and where, no stack trace.
  if (!isCheckpointGuardError(error)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
}
