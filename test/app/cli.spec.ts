import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliIo, main } from '../../lambda/cli.js';
import { DEMO_REQUIRED_PROJECT, DEMO_UNLISTED_CHECKPOINT } from '../../lambda/emulator/demo-organization.js';
import { type OpenAIEmulator, startOpenAIEmulator } from '../../lambda/emulator/openai/index.js';
import { runCli } from '../support/run-cli.js';

describe('cli', () => {
  const ADMIN_KEY = 'sk-admin-cli-test-9f8e7d6c5b4a3210';
  const WEATHER = 'ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd';
  const SUPPORT = 'ft:gpt-4o-2024-08-06:org:support:Q1w2E3r4';
  const repoRoot = new URL('../..', import.meta.url).pathname;

  let dir: string;
  let emulator: OpenAIEmulator;
  let env: Record<string, string>;

  async function writePolicy(policy: unknown, name = 'policy.json'): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, typeof policy === 'string' ? policy : JSON.stringify(policy));
    return path;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'checkpoint-guard-cli-'));
    emulator = await startOpenAIEmulator({ adminKey: ADMIN_KEY });
    env = { OPENAI_ADMIN_KEY: ADMIN_KEY, OPENAI_BASE_URL: emulator.baseUrl };
    emulator.grant(WEATHER, ['proj_core', 'proj_stranger']);
    emulator.grant(SUPPORT, ['proj_core']);
  });

  afterEach(async () => {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  const basePolicy = { allowedProjects: ['proj_core'], checkpoints: [WEATHER, SUPPORT] };

  describe('checkpoint-guard validate', () => {
    it('when the policy is valid, it says so and exits 0', async () => {
      const policy = await writePolicy(basePolicy);

      const result = await runCli(['validate', '--policy', policy], {});

      expect(result.code).toBe(0);
      expect(result.stdout).toContain('valid (2 checkpoints, 0 exemptions, mode report');
    });

    it('when the policy is invalid, it names the file and every field at fault, and exits 2', async () => {
      const policy = await writePolicy({
        checkpoints: ['gpt-4o', WEATHER],
        allowedProjects: ['core'],
        colour: 'red',
      });

      const result = await runCli(['validate', '--policy', policy], {});

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(policy);
      expect(result.stderr).toContain('checkpoints[0]');
      expect(result.stderr).toContain('allowedProjects[0]');
      expect(result.stderr).toMatch(/colour/);
      expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace without --debug
    });

    it('when the policy file does not exist, it says "not found" in one line, not "invalid policy", and exits 2', async () => {
      const result = await runCli(['validate', '--policy', join(dir, 'missing.json')], {});

      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`checkpoint-guard: policy file ${join(dir, 'missing.json')} not found\n`);
    });

    it('when the policy is not JSON, it says where the JSON breaks, by line and column', async () => {
      const policy = await writePolicy(`{\n  "checkpoints": ["${WEATHER}",]\n}`);

      const result = await runCli(['validate', '--policy', policy], {});

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        'not valid JSON at line 2, column 68: a value is expected (after a trailing comma?)',
      );
    });

    it('a misspelled key is answered with the key it most likely meant', async () => {
      const policy = await writePolicy({ ...basePolicy, maxRevocations: 3 });

      const result = await runCli(['validate', '--policy', policy], {});

      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        `checkpoint-guard: invalid policy ${policy} (1 problem):\n  unknown key "maxRevocations" (did you mean "maxRevocationsPerRun"?)\n`,
      );
    });

    it('validates a YAML policy (.yaml), with the same schema', async () => {
      const policy = await writePolicy(
        `allowedProjects: [proj_core]\ncheckpoints:\n  - ${WEATHER}\n  - ${SUPPORT}\nmode: enforce\n`,
        'policy.yaml',
      );

      const result = await runCli(['validate', '--policy', policy], {});

      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(
        `${policy}: valid (2 checkpoints, 0 exemptions, mode enforce, at most 10 revocations and 10 creations per run)\n`,
      );
    });

    it('an invalid YAML policy (.yml) is located by line and column', async () => {
      const policy = await writePolicy(`checkpoints:\n  - ${WEATHER}\ncheckpoints: []\n`, 'policy.yml');

      const result = await runCli(['validate', '--policy', policy], {});

      expect(result.code).toBe(2);
      expect(result.stderr).toContain('not valid YAML at line 3, column 1: duplicate key');
    });

    it('an enforce policy that allows no project at all is valid, with a warning that every grant would be revoked', async () => {
      const policy = await writePolicy({ mode: 'enforce', checkpoints: [WEATHER] });

      const result = await runCli(['validate', '--policy', policy], {});

      expect(result.code).toBe(0);
      expect(result.stderr).toBe(
        `warning: ${policy}: allowedProjects: mode is enforce and no project is allowed on any checkpoint: every grant that is not exempt would be revoked, up to maxRevocationsPerRun (10) per run\n`,
      );
    });

    it('with an admin key, warns of each required project the organization has archived or does not have, and still exits 0', async () => {
      emulator.addProject({ id: 'proj_prod' });
      emulator.addProject({ id: 'proj_old', archivedAt: Date.parse('2026-10-02T00:00:00Z') / 1000 });
      const policy = await writePolicy({
        ...basePolicy,
        requiredProjects: ['proj_prod', 'proj_old'],
        checkpoints: [WEATHER, { id: SUPPORT, requiredProjects: ['proj_typo'] }],
      });

      const result = await runCli(['validate', '--policy', policy], env);

      expect(result.code).toBe(0);
      expect(result.stderr.split('\n').filter(Boolean)).toEqual([
        `warning: ${policy}: requiredProjects[1]: proj_old is archived since 2026-10-02: its grant may be refused (create-failed); unarchive it or take it out of requiredProjects`,
        `warning: ${policy}: checkpoints[1].requiredProjects[0]: proj_typo is not a project of this organization: its grant will be refused (create-failed); check the id`,
      ]);
      expect(emulator.requests.map((r) => r.operation)).toEqual(['listProjects']);
    });

    it('without an admin key, or with project lookups off, asks the API nothing', async () => {
      const required = { ...basePolicy, requiredProjects: ['proj_typo'] };
      const withoutKey = await runCli(['validate', '--policy', await writePolicy(required)], {
        OPENAI_BASE_URL: emulator.baseUrl,
      });
      const lookupsOff = await runCli(
        [
          'validate',
          '--policy',
          await writePolicy({ ...required, lookups: { projectNames: false } }, 'off.json'),
        ],
        env,
      );

      expect([withoutKey.code, withoutKey.stderr]).toEqual([0, '']);
      expect([lookupsOff.code, lookupsOff.stderr]).toEqual([0, '']);
      expect(emulator.requests).toEqual([]);
    });

    it('a project list that cannot be read is one warning, not a failure', async () => {
      emulator.injectFault({
        kind: 'error',
        status: 403,
        message: 'not allowed',
        match: { operation: 'listProjects' },
      });
      const policy = await writePolicy({ ...basePolicy, requiredProjects: ['proj_prod'] });

      const result = await runCli(['validate', '--policy', policy], env);

      expect(result.code).toBe(0);
      expect(result.stdout + result.stderr).not.toContain(ADMIN_KEY);
      expect(result.stderr).toMatch(
        new RegExp(
          `^warning: ${policy.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: requiredProjects not checked against the organization: the project list could not be read: .*HTTP 403`,
        ),
      );
    });

    it('validates the shipped policy.example.json', async () => {
      const result = await runCli(['validate', '--policy', join(repoRoot, 'policy.example.json')], {});

      expect(result.stderr).not.toContain('invalid');
      expect(result.code).toBe(0);
    });
  });

  describe('checkpoint-guard audit', () => {
    it('when a grant is unexpected, it prints the text report on stdout and exits 1', async () => {
      const policy = await writePolicy(basePolicy);

      const result = await runCli(['audit', '--policy', policy], env);

      expect(result.code).toBe(1);
      expect(result.stdout.split('\n')[0]).toBe(
        'checkpoint-guard: 1 unexpected grant on 1 checkpoint (report mode)',
      );
      expect(result.stdout).toContain('proj_stranger');
      expect(result.stdout).toContain('would revoke');
    });

    it('when every grant is allowed, it exits 0', async () => {
      const policy = await writePolicy({ ...basePolicy, allowedProjects: ['proj_core', 'proj_stranger'] });

      const result = await runCli(['audit', '--policy', policy], env);

      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^checkpoint-guard: no unexpected grants on 2 checkpoints/);
    });

    it('with --format json, it prints the JSON report', async () => {
      const policy = await writePolicy(basePolicy);

      const result = await runCli(['audit', '--policy', policy, '--format', 'json'], env);

      const report = JSON.parse(result.stdout);
      expect(report).toMatchObject({ schemaVersion: 4, mode: 'report', status: 'findings' });
      expect(report.checkpoints.map((c: { id: string }) => c.id)).toEqual([WEATHER, SUPPORT]);
    });

    it('with --output, it writes the report to the file and the verdict to stderr', async () => {
      const policy = await writePolicy(basePolicy);
      const output = join(dir, 'report.json');

      const result = await runCli(['audit', '--policy', policy, '--format', 'json', '--output', output], env);

      expect(result.stdout).toBe('');
      expect(JSON.parse(await readFile(output, 'utf8')).status).toBe('findings');
      expect(result.stderr).toContain('report written to');
    });

    it('revokes only when the policy says enforce and --enforce is given', async () => {
      const policy = await writePolicy({ ...basePolicy, mode: 'enforce' });

      const withoutFlag = await runCli(['audit', '--policy', policy], env);
      const stillThere = emulator.permissionsOf(WEATHER).map((p) => p.project_id);
      const withFlag = await runCli(['audit', '--policy', policy, '--enforce'], env);

      expect(withoutFlag.stderr).toBe(
        'note: the policy says "mode": "enforce", but --enforce was not given: report mode, nothing is revoked\n',
      );
      expect(stillThere).toContain('proj_stranger');
      expect(withFlag.stdout).toContain('REVOKED');
      expect(withFlag.stderr).toBe('');
      expect(emulator.permissionsOf(WEATHER).map((p) => p.project_id)).toEqual(['proj_core']);
    });

    it('--enforce on a report-mode policy revokes nothing, and warns that it does not', async () => {
      const policy = await writePolicy(basePolicy);

      const result = await runCli(['audit', '--policy', policy, '--enforce'], env);

      expect(result.stdout).toContain('would revoke');
      expect(result.stderr).toBe(
        'warning: --enforce was given, but the policy says "mode": "report": report mode, nothing is revoked (set "mode": "enforce" in the policy to allow revocations)\n',
      );
      expect(emulator.permissionsOf(WEATHER)).toHaveLength(2);
    });

    it('an enforce run that revoked every grant it found says so in its headline, and still exits 1', async () => {
      const policy = await writePolicy({ ...basePolicy, mode: 'enforce' });

      const result = await runCli(['audit', '--policy', policy, '--enforce'], env);

      expect(result.stdout.split('\n')[0]).toBe(
        'checkpoint-guard: 1 unexpected grant on 1 checkpoint, all revoked (enforce mode)',
      );
      expect(result.code).toBe(1);
      // The next run finds nothing left.
      expect((await runCli(['audit', '--policy', policy, '--enforce'], env)).code).toBe(0);
    });

    it('audits with a YAML policy as with its JSON', async () => {
      const policy = await writePolicy(
        `allowedProjects: [proj_core]\ncheckpoints: [${WEATHER}, ${SUPPORT}]\n`,
        'policy.yaml',
      );

      const result = await runCli(['audit', '--policy', policy], env);

      expect(result.code).toBe(1);
      expect(result.stdout.split('\n')[0]).toBe(
        'checkpoint-guard: 1 unexpected grant on 1 checkpoint (report mode)',
      );
    });

    it('when OPENAI_ADMIN_KEY is missing, it says so in one line and exits 2', async () => {
      const policy = await writePolicy(basePolicy);

      const result = await runCli(['audit', '--policy', policy], { OPENAI_BASE_URL: emulator.baseUrl });

      expect(result.code).toBe(2);
      expect(result.stderr.trim()).toBe(
        'checkpoint-guard: OPENAI_ADMIN_KEY is not set: export the organization admin API key',
      );
      expect(emulator.requests).toHaveLength(0);
    });

    it('when the base URL is plain http to a remote host, it refuses before any request', async () => {
      const policy = await writePolicy(basePolicy);

      const result = await runCli(['audit', '--policy', policy], {
        ...env,
        OPENAI_BASE_URL: 'http://api.example.com/v1',
      });

      expect(result.code).toBe(2);
      expect(result.stderr).toContain('http://api.example.com/v1');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    });

    it('when the base URL is unreachable, the report says so and the run exits 2', async () => {
      const policy = await writePolicy(basePolicy);
      const closed = await startOpenAIEmulator();
      const unreachable = closed.baseUrl;
      await closed.close();

      const result = await runCli(['audit', '--policy', policy, '--max-retries', '0'], {
        ...env,
        OPENAI_BASE_URL: unreachable,
      });

      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^checkpoint-guard: ERROR/);
      expect(result.stdout).toContain('INCOMPLETE');
    });

    it('when the key is rejected, the run fails with "the admin key was rejected"', async () => {
      const policy = await writePolicy(basePolicy);

      const result = await runCli(['audit', '--policy', policy], {
        ...env,
        OPENAI_ADMIN_KEY: 'sk-admin-wrong-key-000000',
      });

      expect(result.code).toBe(2);
      expect(result.stdout).toContain('the admin key was rejected');
    });

    it('shows progress on stderr only when stderr is a terminal', async () => {
      const policy = await writePolicy(basePolicy);

      const onTty = await runCli(['audit', '--policy', policy], env, true);
      const onPipe = await runCli(['audit', '--policy', policy], env, false);

      expect(onTty.stderr).toContain('auditing checkpoints: 2/2');
      expect(onPipe.stderr).not.toContain('auditing checkpoints');
    });

    it.each([
      [['frobnicate'], 'unknown command "frobnicate"'],
      [[], 'a command is required'],
      [['audit', '--policy', 'x.json', '--format', 'xml'], '--format must be text or json'],
      [
        ['audit', '--policy', 'x.json', '--concurrency', '0'],
        '--concurrency must be a whole number from 1 to 64, got "0"',
      ],
      [
        ['audit', '--policy', 'x.json', '--timeout-ms', '0x10'],
        '--timeout-ms must be a whole number from 100 to 600000, got "0x10"',
      ],
      [
        ['audit', '--policy', 'x.json', '--timeout-ms', '1e3'],
        '--timeout-ms must be a whole number from 100 to 600000',
      ],
      [
        ['audit', '--policy', 'x.json', '--max-retries', '11'],
        '--max-retries must be a whole number from 0 to 10, got "11"',
      ],
      [
        ['audit', '--policy', 'x.json', '--max-retries', '1000000'],
        '--max-retries must be a whole number from 0 to 10',
      ],
      [
        ['audit', '--policy', 'x.json', '--deadline', '10'],
        '--deadline must be a duration from 1s to 24h such as 90s, 15m or 1h, got "10"',
      ],
      [['audit', '--policy', 'x.json', '--deadline', '2d'], '--deadline must be a duration from 1s to 24h'],
      [['audit', '--bogus'], 'unknown option --bogus'],
    ])('rejects bad arguments %j with a clear message and exit 2', async (argv, message) => {
      const result = await runCli(argv, env);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    });
  });

  describe('checkpoint-guard demo', () => {
    it('audits the seeded organization offline and prints the text report', async () => {
      const result = await runCli(['demo'], {});

      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(
        /^checkpoint-guard: 5 unexpected grants \(1 new\) on 4 checkpoints, 1 required grant missing \(1 new\) \(report mode\)/,
      );
      expect(result.stdout).toContain('proj_marketing_sandbox');
      expect(result.stdout).toContain('exemption EXPIRED');
      expect(result.stdout).toContain('exempt until');
      // The support checkpoint has more than 250 grants: the walk crossed pages.
      expect(result.stdout).toMatch(/permissions\s+27\d seen/);
    });

    it('describes each finding with its project name, archived or unknown project, and who granted it', async () => {
      const result = await runCli(['demo'], {});

      expect(result.stdout).toMatch(
        /^ {2}! proj_marketing_sandbox "Marketing sandbox" \(ARCHIVED \d{4}-\d{2}-\d{2}\)$/m,
      );
      expect(result.stdout).toContain(
        '  ! proj_intern_hackday (UNKNOWN project: the organization does not list it)\n',
      );
      expect(result.stdout).toContain('  ~ proj_vendor_eval "Vendor evaluation (Contoso)"\n');
      expect(result.stdout).toMatch(
        /granted \d{4}-\d{2}-\d{2} \d{2}:\d{2}Z\n {6}by alice@example\.com \(dashboard\)\n/,
      );
      expect(result.stdout).toContain(
        '      by service account svc_legal_ci_deployer (API key key_Hc4nW8yZrT1kE6uJ)\n',
      );
      expect(result.stdout).toContain(
        'flagged       1 grant to an archived project, 1 to an unknown project\n',
      );
      expect(result.stdout).not.toContain('unavailable');
    });

    it('finds the checkpoint nobody put in the policy, and reports its contractor grant without revoking it', async () => {
      const result = await runCli(['demo'], {});

      expect(result.stdout).toContain(`${DEMO_UNLISTED_CHECKPOINT}  (UNLISTED, 1 to act on)`);
      expect(result.stdout).toMatch(
        / {2}! proj_contractor_fabrikam "Contractor \(Fabrikam\)"\n(.*\n){3} {6}checkpoint not in the policy: reported, never revoked\n {6}-> no action\n/,
      );
      expect(result.stdout).toContain('discovery     1 unlisted checkpoint, ');
    });

    it('prints the second night of a run store: one finding new, the others open since the night before, one resolved', async () => {
      const result = await runCli(['demo'], {});

      expect(result.stdout).toMatch(/^checkpoint-guard: 5 unexpected grants \(1 new\) on 4 checkpoints/);
      expect(result.stdout).toMatch(/ {2}! proj_intern_hackday .*\n.*\n.*\n {6}NEW since the last run\n/);
      expect(result.stdout.match(/open for 1 day \(first seen \d{4}-\d{2}-\d{2}\)/g)).toHaveLength(4);
      expect(result.stdout).toContain(
        '  + proj_q3_hackathon on ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd\n',
      );
      expect(result.stdout).toContain('history       2 new, 4 still open, 1 resolved\n');
    });

    it('shows the production grant removed overnight by mistake as a missing required grant, apart from the unexpected ones', async () => {
      const result = await runCli(['demo'], {});

      expect(result.stdout).toContain(
        [
          `  ! ${DEMO_REQUIRED_PROJECT} "Weather app (production)"`,
          '      MISSING: required by the policy, and no grant holds it',
          '      NEW since the last run',
          '      -> would create (report mode)',
          '',
        ].join('\n'),
      );
      expect(result.stdout).toContain(
        'report mode: 1 missing required grant would be created in enforce mode.\n',
      );
      expect(result.stdout).toContain(
        'required      1 missing: 1 would create, 0 created, 0 failed, 0 halted\n',
      );
    });

    it('shows the same in the JSON report', async () => {
      const result = await runCli(['demo', '--format', 'json'], {});

      const report = JSON.parse(result.stdout);
      expect(report.totals).toMatchObject({
        findings: 6,
        missingRequired: 1,
        wouldCreate: 1,
        unlisted: 1,
        archivedProjects: 1,
        unknownProjects: 1,
      });
      expect(report.lookups).toEqual({ projectNames: { state: 'ok' }, grantedBy: { state: 'ok' } });
      const sandbox = report.checkpoints[0].findings[0];
      expect(sandbox).toMatchObject({
        projectId: 'proj_marketing_sandbox',
        projectName: 'Marketing sandbox',
        projectStatus: 'archived',
        grantedBy: { actor: 'alice@example.com', actorType: 'user', via: 'dashboard' },
      });
    });
  });

  describe('the admin key never leaves the process', () => {
    it('is absent from stdout, stderr and the report when the API fails and echoes it', async () => {
      const policy = await writePolicy(basePolicy);
      const output = join(dir, 'report.txt');
      emulator.injectFault({
        kind: 'error',
        status: 400,
        message: `Invalid header: Authorization: Bearer ${ADMIN_KEY}`,
        match: { checkpointId: WEATHER },
        times: Number.POSITIVE_INFINITY,
      });
      emulator.injectFault({
        kind: 'drop',
        match: { checkpointId: SUPPORT },
        times: Number.POSITIVE_INFINITY,
      });

      const run = await runCli(
        ['audit', '--policy', policy, '--output', output, '--max-retries', '1', '--debug'],
        env,
      );
      const report = await readFile(output, 'utf8');

      expect(run.code).toBe(2);
      expect(report).toContain('Invalid header: Authorization: Bearer [REDACTED]');
      for (const text of [run.stdout, run.stderr, report]) expect(text).not.toContain(ADMIN_KEY);
    });

    it('is redacted from every line printed as in API errors, even when an invisible character splits it', async () => {
      const hidden = `${ADMIN_KEY.slice(0, 12)}\u200b${ADMIN_KEY.slice(12)}`;
      const policy = await writePolicy(basePolicy, `policy-${hidden}.json`);

      const result = await runCli(['validate', '--policy', policy], env);

      expect(result.code).toBe(0);
      expect(result.stdout).toBe(
        `${join(dir, 'policy-[REDACTED].json')}: valid (2 checkpoints, 0 exemptions, mode report, at most 10 revocations and 10 creations per run)\n`,
      );
    });

    it('is not searched for in the output when shorter than 8 characters, so the output stays whole', async () => {
      const policy = await writePolicy(basePolicy);

      const result = await runCli(['validate', '--policy', policy], { OPENAI_ADMIN_KEY: ' polic ' });

      expect(result.stdout).toContain(`${policy}: valid`);
    });
  });

  describe('where the report goes, when it cannot go there', () => {
    const enforcing = { ...basePolicy, mode: 'enforce' };

    it('an --output whose folder does not exist is refused before the first request: nothing revoked', async () => {
      const policy = await writePolicy(enforcing);
      const output = join(dir, 'no-such-folder', 'report.json');

      const result = await runCli(['audit', '--policy', policy, '--enforce', '--output', output], env);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--output ${output}: cannot write there: its folder does not exist`);
      expect(emulator.requests).toEqual([]);
      expect(emulator.permissionsOf(WEATHER).map((p) => p.project_id)).toContain('proj_stranger');
    });

    it('an --output that is a folder is refused before the first request', async () => {
      const policy = await writePolicy(enforcing);

      const result = await runCli(['audit', '--policy', policy, '--enforce', '--output', dir], env);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--output ${dir}: is a folder, not a file`);
      expect(emulator.requests).toEqual([]);
    });

    it('a report that cannot be written after revoking goes to stderr whole, and the exit code is 2', async () => {
      const policy = await writePolicy(enforcing);
      const output = join(dir, 'report.json');
      let stderr = '';
      const io: CliIo = {
        stdout: () => {},
        stderr: (text) => {
          stderr += text;
          // Once every checkpoint is listed (revocations come after), the report's place is taken.
          if (text.includes('auditing checkpoints: 2/2')) mkdirSync(output);
        },
        env,
        stderrIsTty: true,
      };

      const code = await main(
        ['audit', '--policy', policy, '--enforce', '--format', 'json', '--output', output],
        io,
      );

      expect(code).toBe(2);
      expect(emulator.permissionsOf(WEATHER).map((p) => p.project_id)).toEqual(['proj_core']);
      expect(stderr).toContain(`--output ${output}: the report could not be written`);
      const json = stderr.slice(stderr.indexOf('{'), stderr.lastIndexOf('}') + 1);
      expect(JSON.parse(json)).toMatchObject({ totals: { revoked: 1 } });
      expect(stderr).toMatch(
        /checkpoint-guard: 1 unexpected grant on 1 checkpoint, all revoked \(enforce mode\)\n$/,
      );
      expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    });

    it('a report written to a file replaces it whole and leaves no temporary file', async () => {
      const policy = await writePolicy(basePolicy);
      const output = join(dir, 'report.json');
      await writeFile(output, 'the previous report');

      const result = await runCli(['audit', '--policy', policy, '--format', 'json', '--output', output], env);

      expect(result.code).toBe(1);
      expect(JSON.parse(await readFile(output, 'utf8'))).toMatchObject({ status: 'findings' });
      expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    });
  });

  describe('the whole run has a deadline', () => {
    it('a run past its --deadline stops starting work and says what it did not reach', async () => {
      const policy = await writePolicy(basePolicy);
      emulator.injectFault({ kind: 'delay', ms: 1500, match: { checkpointId: WEATHER } });

      const result = await runCli(['audit', '--policy', policy, '--format', 'json', '--deadline', '1s'], env);

      expect(result.code).toBe(2);
      const report = JSON.parse(result.stdout) as { checkpoints: { id: string; status: string }[] };
      expect(report.checkpoints.find((c) => c.id === WEATHER)?.status).toBe('incomplete');
    });
  });

  describe('a reader that goes away', () => {
    it('a closed stdout pipe (| head -1) is no crash: no stack, and an ERROR run still exits 2', async () => {
      const policy = await writePolicy(basePolicy);
      const child = spawn(
        process.execPath,
        [join(repoRoot, 'bin/checkpoint-guard.js'), 'audit', '--policy', policy],
        {
          env: {
            ...process.env,
            ...env,
            OPENAI_ADMIN_KEY: 'sk-admin-not-the-right-key-0000',
            NODE_OPTIONS: '',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      // The reader is gone before the report is written.
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });

      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

      expect(code).toBe(2);
      expect(stderr).toMatch(/^checkpoint-guard: ERROR, the admin key was rejected/m);
      expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
    });
  });
});
