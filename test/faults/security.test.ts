/**
 * The security sweep: where the admin key may travel (only to the base URL, never over
 * plain HTTP except to this machine, never after a redirect), where it may never be
 * (the synthesized template, the function's environment, its bundle and source map).
 * What the function's role may do is listed once, in test/infra/stack.spec.ts.
 *
 * The fault matrix (fault-matrix.*.test.ts) covers the rest: the key in no output under
 * any fault, and text from the API escaped and bounded wherever it is shown.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenAIClient, resolveBaseUrl } from '../../lambda/adapters/openai/index.js';
import { ENV } from '../../lambda/contract.js';
import { CheckpointGuardError } from '../../lambda/core/errors.js';
import { type OpenAIEmulator, startOpenAIEmulator } from '../../lambda/emulator/openai/index.js';
import { createDeps } from '../../lambda/handler.js';
import { type SynthesizedApp, synthesizeApp } from '../../scripts/synth.js';
import { runCli } from '../support/run-cli.js';
import { type Elsewhere, startElsewhere } from './elsewhere.js';
import { basePolicy, CHECKPOINTS, seedWorld } from './world.js';

describe('the admin key goes only to the base URL', () => {
  const adminKey = `sk-admin-security-${randomBytes(16).toString('hex')}`;
  let emulator: OpenAIEmulator;
  let elsewhere: Elsewhere;

  beforeEach(async () => {
    emulator = await startOpenAIEmulator({ adminKey });
    seedWorld(emulator, adminKey);
    elsewhere = await startElsewhere();
  });

  afterEach(async () => {
    await emulator.close();
    await elsewhere.close();
  });

  it.each([301, 302, 303, 307, 308])(
    'a %i to another host is not followed: the request fails, the other host hears nothing',
    async (status) => {
      emulator.injectFault({
        kind: 'respond',
        status,
        headers: { location: `${elsewhere.origin}/v1/fine_tuning/checkpoints/x/permissions` },
        text: '',
        times: Number.POSITIVE_INFINITY,
      });
      const client = new OpenAIClient({ baseUrl: emulator.baseUrl, adminKey, retry: { maxRetries: 1 } });

      const listing = client.listPermissionsPage(CHECKPOINTS.A, { limit: 100 });
      const deletion = client.deletePermission(CHECKPOINTS.A, 'cp_abc');
      const creation = client.createPermissions(CHECKPOINTS.A, ['proj_core']);

      await expect(listing).rejects.toThrow(/redirect not followed/);
      await expect(deletion).rejects.toThrow(/redirect not followed/);
      await expect(creation).rejects.toThrow(/redirect not followed/);
      expect(elsewhere.requests).toEqual([]);
      client.close();
    },
  );

  it('a whole CLI run through a redirecting proxy sends nothing to the other host and says why', async () => {
    emulator.injectFault({
      kind: 'respond',
      status: 307,
      headers: { location: `${elsewhere.origin}/v1/steal` },
      text: '',
      match: { checkpointId: CHECKPOINTS.B },
      times: Number.POSITIVE_INFINITY,
    });
    const dir = await mkdtemp(join(tmpdir(), 'checkpoint-guard-security-'));
    try {
      const policy = join(dir, 'policy.json');
      await writeFile(policy, JSON.stringify(basePolicy()));

      const { code, stdout } = await runCli(['audit', '--policy', policy, '--format', 'json'], {
        OPENAI_ADMIN_KEY: adminKey,
        OPENAI_BASE_URL: emulator.baseUrl,
      });

      expect(code).toBe(2);
      const report = JSON.parse(stdout) as { checkpoints: { id: string; status: string; reason?: string }[] };
      expect(report.checkpoints[1]).toMatchObject({
        id: CHECKPOINTS.B,
        status: 'incomplete',
        reason: expect.stringContaining('redirect not followed'),
      });
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the base URL cannot be downgraded to plain HTTP, except to this machine', () => {
  it.each([
    'http://api.openai.com/v1',
    'http://10.0.0.5/v1',
    'http://localhost.evil.example/v1',
    'http://127.0.0.1.nip.io/v1',
    'http://[::ffff:10.0.0.1]/v1',
    'http://0.0.0.0/v1',
    'ftp://api.openai.com/v1',
    'ws://api.openai.com/v1',
    'https://user:secret@api.openai.com/v1',
    'https://api.openai.com/v1?redirect=http://evil',
    'api.openai.com/v1',
  ])('%s is refused', (url) => {
    let refusal: unknown;
    try {
      resolveBaseUrl(url);
    } catch (error) {
      refusal = error;
    }

    expect(refusal).toBeInstanceOf(CheckpointGuardError);
    expect((refusal as CheckpointGuardError).code).toBe('ERR_INVALID_BASE_URL');
    expect((refusal as CheckpointGuardError).message).not.toContain('secret');
  });

  it.each([
    ['http://localhost:8080/v1', 'http://localhost:8080/v1'],
    ['http://127.0.0.1:1234/v1/', 'http://127.0.0.1:1234/v1'],
    ['http://127.9.8.7/v1', 'http://127.9.8.7/v1'],
    ['http://[::1]:9000/v1', 'http://[::1]:9000/v1'],
    ['HTTP://LOCALHOST/v1', 'http://localhost/v1'],
    ['https://api.openai.com/v1', 'https://api.openai.com/v1'],
    ['https://proxy.example.com/openai/v1', 'https://proxy.example.com/openai/v1'],
  ])('%s is accepted (as %s)', (url, normalized) => {
    expect(resolveBaseUrl(url)).toBe(normalized);
  });

  it('the CLI refuses a plain-HTTP remote base URL before reading the key or sending anything', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'checkpoint-guard-security-'));
    try {
      const policy = join(dir, 'policy.json');
      await writeFile(policy, JSON.stringify(basePolicy()));

      const { code, stderr } = await runCli(['audit', '--policy', policy], {
        OPENAI_ADMIN_KEY: 'sk-admin-never-sent-0000000000000000',
        OPENAI_BASE_URL: 'http://api.openai.com/v1',
      });

      expect(code).toBe(2);
      expect(stderr.trim().split('\n')).toEqual([
        expect.stringContaining("'http://api.openai.com/v1' must use https"),
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the Lambda refuses it at cold start', () => {
    expect(() =>
      createDeps({
        [ENV.adminKeyParameterName]: '/checkpoint-guard/openai-admin-key',
        [ENV.topicArn]: 'arn:aws:sns:eu-west-1:123456789012:checkpoint-guard-reports',
        [ENV.openAIBaseUrl]: 'http://api.openai.com/v1',
      }),
    ).toThrow(CheckpointGuardError);
  });

  it('the stack refuses to deploy it', () => {
    expect(() => synthesizeApp({ context: { openAIBaseUrl: 'http://api.openai.com/v1' } })).toThrow(
      /openAIBaseUrl/,
    );
  });
});

describe('the deployed artefacts', () => {
  // An operator deploys from a shell where the key is exported: it must not be picked up.
  const canary = `sk-admin-canary-${randomBytes(16).toString('hex')}`;
  const saved = { admin: process.env.OPENAI_ADMIN_KEY, api: process.env.OPENAI_API_KEY };
  let synthesized: SynthesizedApp;

  beforeAll(() => {
    process.env.OPENAI_ADMIN_KEY = canary;
    process.env.OPENAI_API_KEY = canary;
    try {
      synthesized = synthesizeApp();
    } finally {
      for (const [name, value] of [
        ['OPENAI_ADMIN_KEY', saved.admin],
        ['OPENAI_API_KEY', saved.api],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  afterAll(() => synthesized?.cleanup());

  async function filesUnder(dir: string): Promise<string[]> {
    const entries = await readdir(dir, { withFileTypes: true, recursive: true });
    return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  }

  it('the template, the bundle, its source map and every other synthesized file hold no key', async () => {
    const files = await filesUnder(synthesized.outdir);
    expect(files).toEqual(
      expect.arrayContaining([
        synthesized.handlerFile,
        `${synthesized.handlerFile}.map`,
        synthesized.policyFile,
      ]),
    );
    const holding: string[] = [];
    for (const file of files) if ((await readFile(file, 'utf8')).includes(canary)) holding.push(file);
    expect(holding).toEqual([]);
    expect(JSON.stringify(synthesized.template.toJSON())).not.toContain(canary);
  });

  it('the bundle and its source map carry no secret-looking string', async () => {
    for (const file of [synthesized.handlerFile, `${synthesized.handlerFile}.map`]) {
      const text = await readFile(file, 'utf8');
      expect(text.match(/(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{16,}/g) ?? []).toEqual([]);
    }
  });

  it('each function (the audit and the watch) is given the parameter name of the key, never a key, in its environment', () => {
    const functions = Object.values(synthesized.template.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(2);
    for (const fn of functions) {
      const variables = fn?.Properties.Environment.Variables as Record<string, unknown>;

      expect(variables[ENV.adminKeyParameterName]).toBe('/checkpoint-guard/openai-admin-key');
      const secretLooking = Object.entries(variables).filter(
        ([name, value]) =>
          JSON.stringify(value).includes('sk-') || /^(OPENAI_(ADMIN|API)_KEY|ADMIN_KEY)$/.test(name),
      );
      expect(secretLooking).toEqual([]);
    }
  });
});
