/**
 * Whole runs, through the CLI and the Lambda handler, against an API that echoes the admin
 * key into its data and one whose pages ignore their limit. The key, in every form it is
 * echoed in, reaches no output: not the report file (JSON or text), stdout, stderr, the SNS
 * message, a log line or an error; and a listing that held it, or held too many items, is
 * reported incomplete and never acted on.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublishCommand } from '@aws-sdk/client-sns';
import { jest } from '@jest/globals';
import { type CliIo, main } from '../../lambda/cli.js';
import { ENV } from '../../lambda/contract.js';
import type { AuditReport } from '../../lambda/core/report.js';
import {
  type OpenAIEmulator,
  sessionActor,
  startOpenAIEmulator,
} from '../../lambda/emulator/openai/index.js';
import { createHandler } from '../../lambda/handler.js';
import { echoedKeyForms, keyLeaksIn } from '../support/key-forms.js';
import { scheduledEvent } from '../support/lambda-events.js';
import { KEY_PARAMETER, REPORT_TOPIC, resetAwsMocks, sns, useMockedAws } from '../support/mocked-aws.js';

describe('api-boundary', () => {
  useMockedAws();
  const ADMIN_KEY = 'sk-admin-B0undaryKey0123456789abcdefghijklmnop';
  const WEATHER = 'ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd';
  const SUPPORT = 'ft:gpt-4o-2024-08-06:org:support:Q1w2E3r4';
  const LEGAL = 'ft:gpt-4o-2024-08-06:org:legal:Z9y8X7w6';
  const policy = {
    mode: 'enforce',
    maxRevocationsPerRun: 10,
    allowedProjects: ['proj_core'],
    checkpoints: [WEATHER, SUPPORT, LEGAL],
  };

  let dir: string;
  let emulator: OpenAIEmulator;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'checkpoint-guard-boundary-'));
    emulator = await startOpenAIEmulator({ adminKey: ADMIN_KEY });
    await writeFile(join(dir, 'policy.json'), JSON.stringify(policy));
    resetAwsMocks(ADMIN_KEY);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Everything a CLI run wrote: its report files, stdout and stderr, and its exit codes. */
  async function cliRun(): Promise<{ texts: string[]; report: AuditReport; codes: number[] }> {
    const texts: string[] = [];
    const codes: number[] = [];
    const io: CliIo = {
      stdout: (text) => void texts.push(text),
      stderr: (text) => void texts.push(text),
      env: { OPENAI_ADMIN_KEY: ADMIN_KEY, OPENAI_BASE_URL: emulator.baseUrl },
      stderrIsTty: false,
    };
    const policyFile = join(dir, 'policy.json');
    const text = join(dir, 'report.txt');
    const json = join(dir, 'report.json');
    codes.push(await main(['audit', '--policy', policyFile, '--format', 'text', '--output', text], io));
    codes.push(
      await main(['audit', '--policy', policyFile, '--enforce', '--format', 'json', '--output', json], io),
    );
    const jsonText = await readFile(json, 'utf8');
    texts.push(await readFile(text, 'utf8'), jsonText);
    return { texts, report: JSON.parse(jsonText) as AuditReport, codes };
  }

  /** Everything a Lambda run wrote: the SNS Publish input, its log lines and the error it ended with. */
  async function lambdaRun(): Promise<{ texts: string[]; report: AuditReport }> {
    const logs: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        logs.push(String(chunk));
        return true;
      });
    }
    const handler = createHandler({
      [ENV.adminKeyParameterName]: KEY_PARAMETER,
      [ENV.topicArn]: REPORT_TOPIC,
      [ENV.policyFile]: join(dir, 'policy.json'),
      [ENV.openAIBaseUrl]: emulator.baseUrl,
    });
    const context = { awsRequestId: 'req-1', getRemainingTimeInMillis: () => 600_000, functionName: 'cg' };
    const thrown = await handler(scheduledEvent('event-1'), context).then(
      () => '',
      (error: unknown) =>
        error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error),
    );
    jest.restoreAllMocks();
    const published = sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
    expect(published).toHaveLength(1);
    const message = JSON.parse(published[0]?.Message ?? '{}') as { default: string };
    return {
      texts: [JSON.stringify(published), ...logs, thrown],
      report: JSON.parse(message.default) as AuditReport,
    };
  }

  const RUNS = [
    ['the CLI', cliRun],
    ['the Lambda', lambdaRun],
  ] as const;

  describe.each(RUNS)('through %s, the key echoed by the API', (_path, run) => {
    describe.each(Object.entries(echoedKeyForms(ADMIN_KEY)))('as %s', (_form, echoed) => {
      beforeEach(() => {
        // A finding whose project name and grantor hold the key; a grant whose project id
        // holds it; an error whose code, message and request id hold it.
        emulator.grant(WEATHER, ['proj_core']);
        emulator.grant(WEATHER, ['proj_stranger'], { actor: sessionActor(`${echoed}@example.com`) });
        emulator.addProject({ id: 'proj_stranger', name: `Stranger ${echoed}` });
        emulator.grant(SUPPORT, ['proj_core', `proj_${echoed}`]);
        emulator.injectFault({
          kind: 'error',
          status: 400,
          message: `no access for ${echoed}`,
          code: echoed,
          ...(/^[\x20-\xff]*$/.test(echoed) ? { headers: { 'x-request-id': `req_${echoed}` } } : {}),
          match: { checkpointId: LEGAL },
          times: Number.POSITIVE_INFINITY,
        });
      });

      it('appears in no output', async () => {
        const { texts } = await run();

        expect(keyLeaksIn(texts.join('\n'), ADMIN_KEY)).toEqual([]);
      });

      it('in a project id makes the listing incomplete, and nothing on it is revoked', async () => {
        const { report } = await run();

        const support = report.checkpoints.find((checkpoint) => checkpoint.id === SUPPORT);
        expect(support).toMatchObject({ status: 'incomplete', reasonCode: 'ERR_OPENAI_INVALID_RESPONSE' });
        expect(support?.reason).toContain(
          'the API echoed the admin key in a permission (data[1].project_id)',
        );
        const deletes = emulator.requests.filter((request) => request.method === 'DELETE');
        expect(deletes.map((request) => request.path)).toEqual([
          expect.stringContaining(`/checkpoints/${WEATHER}/permissions/`),
        ]);
      });

      it('in a project name or a grantor is redacted, and the finding stands', async () => {
        const { report } = await run();

        const [finding] = report.checkpoints.find((checkpoint) => checkpoint.id === WEATHER)?.findings ?? [];
        expect(finding).toMatchObject({ projectId: 'proj_stranger', action: 'revoked' });
        expect(finding?.projectName).toMatch(/^Stranger \[REDACTED\]\S{0,4}$/);
        expect(finding?.grantedBy?.actor).toMatch(/^\[REDACTED\]\S{0,4}@example\.com$/);
      });
    });
  });

  describe.each(RUNS)('through %s, a page holding more items than its limit', (_path, run) => {
    it('leaves its checkpoint incomplete, and nothing on it is revoked', async () => {
      emulator.grant(SUPPORT, ['proj_core']);
      emulator.grant(LEGAL, ['proj_core']);
      const items = Array.from({ length: 101 }, (_, n) => ({
        object: 'checkpoint.permission',
        id: `cp_${n}`,
        created_at: 1_721_764_867,
        project_id: `proj_intruder_${n}`,
      }));
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: { object: 'list', data: items, first_id: 'cp_0', last_id: 'cp_100', has_more: false },
        match: { operation: 'listPermissions', checkpointId: WEATHER },
        times: Number.POSITIVE_INFINITY,
      });

      const { report } = await run();

      expect(report.checkpoints.find((checkpoint) => checkpoint.id === WEATHER)).toMatchObject({
        status: 'incomplete',
        reasonCode: 'ERR_OPENAI_INVALID_RESPONSE',
        reason: expect.stringContaining(
          'the page holds 101 items, more than the limit of 100 it was asked for',
        ),
        findings: [],
      });
      expect(emulator.requests.filter((request) => request.method === 'DELETE')).toEqual([]);
    });
  });
});
