/**
 * The policy travels in the bundle, not in an environment variable (4 KB for
 * all of them): a policy with 2,000 checkpoints deploys, and the handler reads
 * exactly what synth validated.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLED_POLICY_FILE } from '../../lambda/contract.js';
import { parsePolicyText } from '../../lambda/core/policy.js';
import { ESM_REQUIRE_BANNER } from '../../lib/audit-function.js';
import { BundledPolicy, posixQuote } from '../../lib/bundled-policy.js';
import { type SynthesizedApp, synthesizeApp } from '../../scripts/synth.js';

describe('policy-bundle', () => {
  const NOW = new Date('2026-06-01T00:00:00Z');

  /** A policy as large as a big organization's: 2,000 checkpoints, some with their own allowlist. */
  function largePolicy(mode: 'report' | 'enforce') {
    return {
      $comment: 'generated for the infra tests',
      mode,
      allowedProjects: ['proj_core', 'proj_research'],
      checkpoints: Array.from({ length: 2000 }, (_, i) =>
        i % 10 === 0
          ? {
              id: `ft:gpt-4o-mini-2024-07-18:acme-corp:model-${i}:Ck${String(i).padStart(6, '0')}`,
              allowedProjects: [`proj_team_${i}`],
            }
          : `ft:gpt-4o-mini-2024-07-18:acme-corp:model-${i}:Ck${String(i).padStart(6, '0')}`,
      ),
      exemptions: [
        {
          projectId: 'proj_vendor',
          checkpoint: 'ft:gpt-4o-mini-2024-07-18:acme-corp:model-7:Ck000007',
          reason: 'vendor trial, SEC-142',
          expiresAt: '2026-12-31',
        },
      ],
      maxRevocationsPerRun: 25,
    };
  }

  let scratch: string;
  let reportFile: string;
  let report: SynthesizedApp;
  let enforce: SynthesizedApp;

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'checkpoint-guard-policy-'));
    reportFile = join(scratch, 'large policy (report).json');
    const enforceFile = join(scratch, "operator's policy (enforce).json");
    writeFileSync(reportFile, JSON.stringify(largePolicy('report'), null, 2));
    writeFileSync(enforceFile, JSON.stringify(largePolicy('enforce'), null, 2));
    report = synthesizeApp({ context: { policyFile: reportFile }, now: NOW });
    enforce = synthesizeApp({ context: { policyFile: enforceFile }, now: NOW });
  });

  afterAll(() => {
    report?.cleanup();
    enforce?.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('synthesizes a policy far beyond the 4 KB environment limit', () => {
    expect(readFileSync(reportFile, 'utf8').length).toBeGreaterThan(100_000);
    expect(existsSync(report.policyFile)).toBe(true);
  });

  it('puts the policy next to the handler, under the name the handler reads', () => {
    expect(report.policyFile).toBe(join(report.assetDir, BUNDLED_POLICY_FILE));
    expect(existsSync(report.handlerFile)).toBe(true);
    expect(existsSync(`${report.handlerFile}.map`)).toBe(true);
  });

  it('bundles the document that was validated, which validates to the same policy', () => {
    const source = readFileSync(reportFile, 'utf8');
    const bundled = readFileSync(report.policyFile, 'utf8');

    expect(JSON.parse(bundled)).toEqual(JSON.parse(source));
    expect(parsePolicyText(bundled, BUNDLED_POLICY_FILE, NOW)).toEqual(
      parsePolicyText(source, reportFile, NOW),
    );
    expect(parsePolicyText(bundled, BUNDLED_POLICY_FILE, NOW).policy.checkpoints).toHaveLength(2000);
  });

  it('keeps the policy out of the environment', () => {
    const env = JSON.stringify(report.template.findResources('AWS::Lambda::Function'));

    expect(env).not.toContain('model-1999');
    expect(env.length).toBeLessThan(4096);
  });

  it('makes a changed policy a new asset', () => {
    expect(enforce.assetHash).not.toBe(report.assetHash);
    expect(JSON.parse(readFileSync(enforce.policyFile, 'utf8')).mode).toBe('enforce');
    expect(JSON.parse(readFileSync(report.policyFile, 'utf8')).mode).toBe('report');
  });

  it('copies between paths holding spaces and quotes (the hook quotes them for the shell)', () => {
    expect(report.outdir).toContain("synth's");
    expect(readFileSync(report.policyFile, 'utf8')).toContain('model-1999');
  });

  it('bundles an ES module that can still require() CommonJS', () => {
    const bundle = readFileSync(report.handlerFile, 'utf8');

    expect(report.handlerFile.endsWith('.mjs')).toBe(true);
    expect(bundle.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
  });

  describe('posixQuote', () => {
    it.each([
      'plain',
      'with space',
      "it's",
      "'; rm -rf / #",
      '$(touch pwned) `id` $HOME "double" \\ back',
      "''",
    ])('round-trips %j through the shell', (argument) => {
      const echoed = execFileSync('bash', ['-c', `printf %s ${posixQuote(argument)}`], { encoding: 'utf8' });

      expect(echoed).toBe(argument);
    });
  });

  describe('a YAML policy on its way into the bundle', () => {
    const yaml = [
      '# the policy of the platform team',
      'mode: enforce',
      'allowedProjects: [proj_core]',
      'checkpoints:',
      '  - ft:gpt-4o-mini-2024-07-18:acme-corp:weather:B7R9VjQd',
      'exemptions:',
      '  - {projectId: proj_vendor, reason: vendor trial SEC-142, expiresAt: 2026-12-31}',
      '',
    ].join('\n');
    const json = {
      mode: 'enforce',
      allowedProjects: ['proj_core'],
      checkpoints: ['ft:gpt-4o-mini-2024-07-18:acme-corp:weather:B7R9VjQd'],
      exemptions: [{ projectId: 'proj_vendor', reason: 'vendor trial SEC-142', expiresAt: '2026-12-31' }],
    };

    it('is bundled as the JSON of the same document, which the handler reads as JSON', () => {
      const bundled = BundledPolicy.fromText(yaml, 'policy.yaml', NOW);

      expect(JSON.parse(bundled.text)).toEqual(json);
      expect(parsePolicyText(bundled.text, BUNDLED_POLICY_FILE, NOW).policy).toEqual(bundled.policy);
    });

    it('is the same asset as the same document written in JSON', () => {
      expect(BundledPolicy.fromText(yaml, 'policy.yml', NOW).sha256).toBe(
        BundledPolicy.fromText(JSON.stringify(json, null, 2), 'policy.json', NOW).sha256,
      );
    });
  });
});
