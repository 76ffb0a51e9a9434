import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { jest } from '@jest/globals';
import { ENV } from '../../lambda/contract.js';
import { type OpenAIEmulator, startOpenAIEmulator } from '../../lambda/emulator/openai/index.js';
import { createDeps, createHandler } from '../../lambda/handler.js';
import { runScheduledAudit } from '../../lambda/scheduled-audit.js';
import { FAKE_S3_SECRET, type FakeS3, startFakeS3 } from '../support/fake-s3.js';
import { scheduledEvent } from '../support/lambda-events.js';
import { MemoryStore } from '../support/memory-store.js';
import {
  KEY_PARAMETER as PARAMETER,
  resetAwsMocks,
  sns,
  ssm,
  REPORT_TOPIC as TOPIC,
  useMockedAws,
} from '../support/mocked-aws.js';

describe('handler', () => {
  useMockedAws();
  const ADMIN_KEY = 'sk-admin-handler-test-1a2b3c4d5e6f7a8b';
  const WEATHER = 'ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd';
  const SUPPORT = 'ft:gpt-4o-2024-08-06:org:support:Q1w2E3r4';

  let dir: string;
  let emulator: OpenAIEmulator;
  let logs: string[];

  function context(remainingMs = 600_000, awsRequestId = `req-${Math.random()}`) {
    return { awsRequestId, getRemainingTimeInMillis: () => remainingMs, functionName: 'checkpoint-guard' };
  }

  /** The function's environment, with `policy` written to the policy file. */
  async function envFor(policy: object, extraEnv: Record<string, string> = {}) {
    const policyFile = join(dir, 'policy.json');
    await writeFile(policyFile, JSON.stringify(policy));
    return {
      [ENV.adminKeyParameterName]: PARAMETER,
      [ENV.topicArn]: TOPIC,
      [ENV.policyFile]: policyFile,
      [ENV.openAIBaseUrl]: emulator.baseUrl,
      ...extraEnv,
    };
  }

  async function handlerFor(policy: object, extraEnv: Record<string, string> = {}) {
    return createHandler(await envFor(policy, extraEnv));
  }

  function publishedInput() {
    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    if (!input?.Message) throw new Error('no message published');
    return { input, message: JSON.parse(input.Message) as { default: string; email: string } };
  }

  function logLines(): Record<string, unknown>[] {
    return logs
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
  }

  const policy = { allowedProjects: ['proj_core'], checkpoints: [WEATHER, SUPPORT] };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'checkpoint-guard-handler-'));
    emulator = await startOpenAIEmulator({ adminKey: ADMIN_KEY });
    emulator.grant(WEATHER, ['proj_core']);
    emulator.grant(SUPPORT, ['proj_core']);
    resetAwsMocks(ADMIN_KEY);
    logs = [];
    // Powertools writes INFO and WARN lines to stdout, ERROR lines to stderr.
    for (const stream of [process.stdout, process.stderr]) {
      jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        logs.push(String(chunk));
        return true;
      });
    }
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('a scheduled run', () => {
    it('reads the key with GetParameter WithDecryption and publishes a clean summary', async () => {
      const handler = await handlerFor(policy);

      const result = await handler(
        { id: 'event-1', 'detail-type': 'Scheduled Event', source: 'aws.events' },
        context(),
      );

      expect(result.status).toBe('clean');
      expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 1);
      expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, { Name: PARAMETER, WithDecryption: true });
      expect(sns).toHaveReceivedCommandWith(PublishCommand, {
        TopicArn: TOPIC,
        Subject: 'checkpoint-guard: no unexpected grants on 2 checkpoints (report mode)',
        MessageStructure: 'json',
        MessageAttributes: {
          status: { DataType: 'String', StringValue: 'clean' },
          mode: { DataType: 'String', StringValue: 'report' },
          findings: { DataType: 'Number', StringValue: '0' },
          revocations: { DataType: 'Number', StringValue: '0' },
          revokeFailures: { DataType: 'Number', StringValue: '0' },
          missingRequired: { DataType: 'Number', StringValue: '0' },
          creations: { DataType: 'Number', StringValue: '0' },
          createFailures: { DataType: 'Number', StringValue: '0' },
          incompleteCheckpoints: { DataType: 'Number', StringValue: '0' },
        },
      });
    });

    it('sends the text report to email subscribers and the JSON report to every other protocol', async () => {
      emulator.grant(WEATHER, ['proj_stranger']);
      const handler = await handlerFor(policy);

      await handler(scheduledEvent('event-2'), context());

      const { input, message } = publishedInput();
      expect(input.Subject).toBe('checkpoint-guard: 1 unexpected grant on 1 checkpoint (report mode)');
      expect(Object.keys(message).sort()).toEqual(['default', 'email']);
      expect(message.email.split('\n')[0]).toBe(input.Subject);
      expect(message.email).toContain('proj_stranger');
      const json = JSON.parse(message.default);
      expect(json).toMatchObject({ schemaVersion: 4, status: 'findings', totals: { findings: 1 } });
    });

    it('with notify findings-only, a clean run publishes nothing', async () => {
      const handler = await handlerFor(policy, { [ENV.notify]: 'findings-only' });

      const result = await handler(scheduledEvent('event-3'), context());

      expect(result.status).toBe('clean');
      expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
    });

    it('a dryRun invocation of an enforce policy revokes nothing', async () => {
      emulator.grant(WEATHER, ['proj_stranger']);
      const handler = await handlerFor({ ...policy, mode: 'enforce' });

      const result = await handler({ dryRun: true }, context());

      expect(result).toMatchObject({ status: 'findings', revoked: 0 });
      expect(emulator.permissionsOf(WEATHER).map((p) => p.project_id)).toContain('proj_stranger');
      expect(publishedInput().input.Subject).toContain('(report mode)');
    });

    it('an enforce policy revokes unexpected grants on a scheduled run', async () => {
      emulator.grant(WEATHER, ['proj_stranger']);
      const handler = await handlerFor({ ...policy, mode: 'enforce' });

      const result = await handler(scheduledEvent('event-4'), context());

      expect(result).toMatchObject({ status: 'findings', revoked: 1 });
      expect(emulator.permissionsOf(WEATHER).map((p) => p.project_id)).toEqual(['proj_core']);
      expect(publishedInput().input.MessageAttributes?.revocations).toEqual({
        DataType: 'Number',
        StringValue: '1',
      });
    });

    it('logs one line per finding and per action, with the run id and the request id', async () => {
      emulator.grant(WEATHER, ['proj_stranger']);
      const handler = await handlerFor(policy);

      const result = await handler(scheduledEvent('event-6'), context(600_000, 'request-42'));

      const findings = logLines().filter((line) => line.message === 'finding');
      const actions = logLines().filter((line) => line.message === 'action');
      expect(findings).toEqual([
        expect.objectContaining({
          projectId: 'proj_stranger',
          runId: result.runId,
          function_request_id: 'request-42',
        }),
      ]);
      expect(actions).toEqual([
        expect.objectContaining({ projectId: 'proj_stranger', action: 'would-revoke' }),
      ]);
    });

    it('emits the run metrics in EMF', async () => {
      const handler = await handlerFor(policy);

      await handler(scheduledEvent('event-7'), context());

      const emf = logLines().find((line) => '_aws' in line) as Record<string, unknown>;
      expect(emf).toMatchObject({
        CheckpointsAudited: 2,
        PermissionsSeen: 2,
        Findings: 0,
        Revocations: 0,
        FailedRevocations: 0,
        MissingRequiredGrants: 0,
        Creations: 0,
        FailedCreations: 0,
        IncompleteCheckpoints: 0,
        SuccessfulRuns: 1,
      });
      expect(emf.RunDuration).toEqual(expect.any(Number));
    });

    it("emits them under the service name its stack sets, so each deployment's dead-man's switch hears its own runs", async () => {
      const handler = await handlerFor(policy, { POWERTOOLS_SERVICE_NAME: 'checkpoint-guard-staging' });

      await handler(scheduledEvent('event-8'), context());

      const emf = logLines().find((line) => '_aws' in line) as Record<string, unknown>;
      expect(emf).toMatchObject({ service: 'checkpoint-guard-staging', SuccessfulRuns: 1 });
      expect(logLines().filter((line) => !('_aws' in line))).toEqual(
        expect.arrayContaining([expect.objectContaining({ service: 'checkpoint-guard-staging' })]),
      );
    });

    it('emits them under checkpoint-guard when no service name is set', async () => {
      const handler = await handlerFor(policy);

      await handler(scheduledEvent('event-9'), context());

      expect(logLines().find((line) => '_aws' in line)).toMatchObject({ service: 'checkpoint-guard' });
    });
  });

  describe('what may start a run', () => {
    const enforcing = { ...policy, mode: 'enforce' };

    it.each([
      { what: 'an array around a dry run', event: [{ dryRun: true }], why: /got an array/ },
      { what: 'DryRun', event: { DryRun: true }, why: /"DryRun": did you mean "dryRun"\?/ },
      { what: 'dryrun', event: { dryrun: true }, why: /"dryrun": did you mean "dryRun"\?/ },
      {
        what: 'a JSON string holding a dry run',
        event: '{"dryRun":true}',
        why: /a string \(a JSON document encoded twice\?\)/,
      },
      {
        what: 'a dry run inside detail',
        event: { detail: { dryRun: true } },
        why: /unknown fields "detail"/,
      },
      {
        what: "a dry run inside a scheduled event's detail",
        event: { ...scheduledEvent('event-detail'), detail: { dryRun: true } },
        why: /a scheduled event with a detail/,
      },
      { what: 'dryRun as a string', event: { dryRun: 'true' }, why: /dryRun is a string, not true or false/ },
      { what: 'an empty object', event: {}, why: /an empty object/ },
      { what: 'null', event: null, why: /got null/ },
    ])(
      '$what is refused: nothing revoked, an alert saying why, a failed invocation',
      async ({ event, why }) => {
        emulator.grant(WEATHER, ['proj_stranger']);
        const handler = await handlerFor(enforcing);

        await expect(handler(event, context())).rejects.toThrow(/ERROR/);

        expect(emulator.permissionsOf(WEATHER).map((p) => p.project_id)).toContain('proj_stranger');
        const { input, message } = publishedInput();
        expect(input.MessageAttributes?.status).toEqual({ DataType: 'String', StringValue: 'error' });
        expect(JSON.parse(message.default).runError).toMatch(why);
        expect(message.email).toMatch(/expected an EventBridge scheduled event or\s+\{"dryRun":\s+true\}/);
      },
    );

    it('{"dryRun": false} by hand enforces like the schedule', async () => {
      emulator.grant(WEATHER, ['proj_stranger']);
      const handler = await handlerFor(enforcing);

      const result = await handler({ dryRun: false }, context());

      expect(result).toMatchObject({ status: 'findings', revoked: 1 });
    });
  });

  describe('retried and duplicate invocations', () => {
    it('a second delivery of the same event id is skipped: no second audit, no second alert', async () => {
      emulator.grant(WEATHER, ['proj_stranger']);
      const handler = await handlerFor({ ...policy, mode: 'enforce' });

      const first = await handler(scheduledEvent('event-dup'), context());
      const second = await handler(scheduledEvent('event-dup'), context());

      expect(first.status).toBe('findings');
      expect(second.status).toBe('duplicate');
      expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    });

    it('a manual invoke retried by Lambda (same request id) is skipped', async () => {
      const handler = await handlerFor(policy);

      await handler({ dryRun: true }, context(600_000, 'same-request'));
      const retry = await handler({ dryRun: true }, context(600_000, 'same-request'));

      expect(retry.status).toBe('duplicate');
    });

    it('the admin key is cached across warm invocations', async () => {
      const handler = await handlerFor(policy);

      await handler(scheduledEvent('a'), context());
      await handler(scheduledEvent('b'), context());

      expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 1);
    });

    it('a cached key older than its maximum age is fetched again', async () => {
      const handler = await handlerFor(policy, { [ENV.adminKeyMaxAgeSeconds]: '0' });

      await handler(scheduledEvent('a'), context());
      await handler(scheduledEvent('b'), context());

      expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 2);
    });
  });

  describe('failures', () => {
    it.each([
      [Object.assign(new Error('Parameter not found'), { name: 'ParameterNotFound' }), 'not found'],
      [
        Object.assign(new Error('User is not authorized to perform ssm:GetParameter'), {
          name: 'AccessDeniedException',
        }),
        'access to SSM parameter',
      ],
      [
        Object.assign(new Error('The ciphertext refers to a KMS key that is not accessible'), {
          name: 'AccessDeniedException',
        }),
        'could not be decrypted (KMS)',
      ],
    ])(
      'an SSM failure (%s) is alerted with a distinct message and fails the invocation',
      async (error, expected) => {
        ssm.on(GetParameterCommand).rejects(error);
        const handler = await handlerFor(policy);

        await expect(handler(scheduledEvent('event-ssm'), context())).rejects.toThrow(/ERROR/);

        const { input, message } = publishedInput();
        expect(input.MessageAttributes?.status?.StringValue).toBe('error');
        expect(message.email.replace(/\s+/g, ' ')).toContain(expected);
        expect(JSON.parse(message.default).checkpoints.map((c: { status: string }) => c.status)).toEqual([
          'incomplete',
          'incomplete',
        ]);
        expect(emulator.requests).toHaveLength(0);
      },
    );

    it('an empty SSM parameter is its own error', async () => {
      ssm
        .on(GetParameterCommand)
        .resolves({ Parameter: { Name: PARAMETER, Type: 'SecureString', Value: ' ' } });
      const handler = await handlerFor(policy);

      await expect(handler(scheduledEvent('event-empty'), context())).rejects.toThrow();

      expect(publishedInput().message.email).toContain(`SSM parameter ${PARAMETER} is empty`);
    });

    it('a key the client refuses (an inner space) still alerts, without showing the key', async () => {
      const malformed = 'sk-admin-has a-space-inside-0123456789';
      ssm.on(GetParameterCommand).resolves({
        Parameter: { Name: PARAMETER, Type: 'SecureString', Value: malformed },
      });
      const handler = await handlerFor(policy);

      await expect(handler(scheduledEvent('event-malformed-key'), context())).rejects.toThrow(/ERROR/);

      const { input, message } = publishedInput();
      expect(input.MessageAttributes?.status?.StringValue).toBe('error');
      expect(JSON.parse(message.default).checkpoints).toHaveLength(2);
      expect(JSON.stringify(input)).not.toContain(malformed);
      expect(emulator.requests).toHaveLength(0);
    });

    it('SSM throttling is retried and the run succeeds', async () => {
      ssm
        .on(GetParameterCommand)
        .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
        .resolves({ Parameter: { Name: PARAMETER, Type: 'SecureString', Value: ADMIN_KEY } });
      const handler = await handlerFor(policy);

      const result = await handler(scheduledEvent('event-throttle'), context());

      expect(result.status).toBe('clean');
      expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 2);
    });

    it('SNS throttling is retried and the summary is published once', async () => {
      sns
        .on(PublishCommand)
        .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
        .resolves({ MessageId: 'message-2' });
      const handler = await handlerFor(policy);

      const result = await handler(scheduledEvent('event-sns-throttle'), context());

      expect(result.status).toBe('clean');
      expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2);
    });

    it('when SNS keeps failing, the full report is logged as one line and the invocation fails', async () => {
      sns
        .on(PublishCommand)
        .rejects(Object.assign(new Error('Topic does not exist'), { name: 'NotFoundException' }));
      emulator.grant(WEATHER, ['proj_stranger']);
      const handler = await handlerFor(policy);

      await expect(handler(scheduledEvent('event-sns-fail'), context())).rejects.toThrow(
        'the report could not be published',
      );

      const line = logLines().find(
        (l) => l.message === 'publishing the report failed; full report follows',
      ) as {
        report: { totals: { findings: number }; checkpoints: unknown[] };
      };
      expect(line.report.totals.findings).toBe(1);
      expect(line.report.checkpoints).toHaveLength(2);
    });

    it('a 401 from OpenAI says the admin key was rejected, is not retried, and fails the run', async () => {
      ssm.on(GetParameterCommand).resolves({
        Parameter: { Name: PARAMETER, Type: 'SecureString', Value: 'sk-admin-revoked-0000000000' },
      });
      const handler = await handlerFor(policy);

      await expect(handler(scheduledEvent('event-401'), context())).rejects.toThrow(/admin key was rejected/);

      expect(publishedInput().message.email).toContain('the admin key was rejected');
      const rejected = emulator.requests.filter((r) => r.status === 401).map((r) => r.checkpointId);
      expect(rejected.length).toBeGreaterThan(0);
      expect(new Set(rejected).size).toBe(rejected.length); // one attempt per checkpoint: no retry
    });

    it('a checkpoint that does not exist makes the run partial: published, then failed', async () => {
      const missing = 'ft:gpt-4o-2024-08-06:org:gone:Zz9Yy8Xx';
      const handler = await handlerFor({ ...policy, checkpoints: [WEATHER, missing, SUPPORT] });

      await expect(handler(scheduledEvent('event-404'), context())).rejects.toThrow(/PARTIAL/);

      const json = JSON.parse(publishedInput().message.default);
      expect(json.status).toBe('partial');
      expect(json.checkpoints.map((c: { status: string }) => c.status)).toEqual(['clean', 'error', 'clean']);
    });

    it('near the end of its time, the run stops starting work, cuts the request in flight, publishes, and marks the rest incomplete', async () => {
      const slow = 'ft:gpt-4o-2024-08-06:org:slow:S1o2w3X4';
      emulator.grant(slow, ['proj_core']);
      emulator.injectFault({ kind: 'hang', match: { checkpointId: slow } });
      const handler = await handlerFor(
        { ...policy, checkpoints: [WEATHER, slow, SUPPORT] },
        { [ENV.concurrency]: '1', [ENV.deadlineMarginMs]: '1000' },
      );

      await expect(handler(scheduledEvent('event-deadline'), context(1_500))).rejects.toThrow(/PARTIAL/);

      const json = JSON.parse(publishedInput().message.default);
      expect(json.checkpoints.map((c: { reasonCode?: string }) => c.reasonCode)).toEqual([
        undefined,
        'ERR_OPENAI_TIMEOUT',
        'DEADLINE',
      ]);
      expect(json.checkpoints[1].reason).toContain("(the run's deadline was reached)");
    });

    it('an invalid bundled policy fails every run loudly and still alerts', async () => {
      const handler = await handlerFor({ checkpoints: ['not-a-checkpoint'] });

      await expect(handler(scheduledEvent('event-bad-policy'), context())).rejects.toThrow(/ERROR/);

      expect(publishedInput().message.email).toContain('checkpoints[0]');
      expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 0);
    });

    it('a missing setting fails with an error naming the variable', async () => {
      const handler = createHandler({ [ENV.topicArn]: TOPIC });

      await expect(handler({}, context())).rejects.toThrow(ENV.adminKeyParameterName);
    });

    it('an oversized report is cut to fit SNS with exact counts', async () => {
      const strangers = Array.from({ length: 3000 }, (_, i) => `proj_stranger${i}`);
      emulator.grant(WEATHER, strangers);
      const handler = await handlerFor(policy);

      await handler(scheduledEvent('event-big'), context());

      const { input, message } = publishedInput();
      const bytes =
        Buffer.byteLength(input.Message ?? '') +
        Buffer.byteLength(input.Subject ?? '') +
        Object.entries(input.MessageAttributes ?? {}).reduce(
          (sum, [name, a]) =>
            sum +
            Buffer.byteLength(name) +
            Buffer.byteLength(a.DataType ?? '') +
            Buffer.byteLength(a.StringValue ?? ''),
          0,
        );
      expect(bytes).toBeLessThanOrEqual(256 * 1024);
      expect(input.MessageAttributes?.findings?.StringValue).toBe('3000');
      expect(message.email).toMatch(/\d+ more findings not shown/);
      expect(JSON.parse(message.default).totals.findings).toBe(3000);
    });
  });

  describe('the admin key', () => {
    it('appears in no log line and no SNS message, even when the API echoes it', async () => {
      emulator.injectFault({
        kind: 'error',
        status: 400,
        message: `bad header Authorization: Bearer ${ADMIN_KEY}`,
        match: { checkpointId: SUPPORT },
      });
      const handler = await handlerFor(policy);

      await expect(handler(scheduledEvent('event-leak'), context())).rejects.toThrow();

      const published = JSON.stringify(sns.commandCalls(PublishCommand).map((call) => call.args[0].input));
      expect(published).toContain('[REDACTED]');
      expect(published).not.toContain(ADMIN_KEY);
      expect(logs.join('')).not.toContain(ADMIN_KEY);
    });
  });

  describe('with a run store', () => {
    const BUCKET = 'checkpoint-guard-store';
    const savedEnv = { ...process.env };
    let s3: FakeS3;

    /** The handler with the store in the fake S3 (the SDK finds it through AWS_ENDPOINT_URL_S3). */
    function storeEnv(endpoint = s3.endpoint): Record<string, string> {
      const aws = {
        AWS_ENDPOINT_URL_S3: endpoint,
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: FAKE_S3_SECRET,
      };
      Object.assign(process.env, aws);
      return { ...aws, [ENV.stateBucket]: BUCKET };
    }

    function object(key: string): string | undefined {
      return s3.objects.get(`${BUCKET}/${key}`);
    }

    function publishedReport(call: number) {
      const input = sns.commandCalls(PublishCommand)[call]?.args[0].input;
      const message = JSON.parse(input?.Message ?? '{}') as { default: string; email: string };
      return { input, report: JSON.parse(message.default), email: message.email };
    }

    beforeEach(async () => {
      s3 = await startFakeS3();
    });

    afterEach(async () => {
      process.env = { ...savedEnv };
      await s3.close();
    });

    it('the second night knows the first: new, open and resolved findings, and the store holds both runs', async () => {
      emulator.grant(WEATHER, ['proj_stranger']);
      const [vendor] = emulator.grant(SUPPORT, ['proj_vendor']);
      const handler = await handlerFor(policy, storeEnv());
      const first = await handler(scheduledEvent('night-1'), context());
      emulator.revoke(SUPPORT, vendor?.id ?? '');
      emulator.grant(WEATHER, ['proj_newcomer']);

      const second = await handler(scheduledEvent('night-2'), context());

      const { input, report, email } = publishedReport(1);
      const lifecycles = report.checkpoints.flatMap(
        (c: { findings: { projectId: string; lifecycle: string }[] }) =>
          c.findings.map((f) => [f.projectId, f.lifecycle]),
      );
      expect(lifecycles).toEqual([
        ['proj_stranger', 'open'],
        ['proj_newcomer', 'new'],
      ]);
      expect(report.resolved).toEqual([
        expect.objectContaining({ projectId: 'proj_vendor', resolution: 'removed', runId: second.runId }),
      ]);
      expect(report.totals).toMatchObject({ new: 1, open: 1, resolved: 1 });
      expect(report.history).toEqual({
        store: `s3://${BUCKET}`,
        previousRunId: first.runId,
        notRechecked: 0,
      });
      expect(input?.MessageAttributes?.newFindings).toEqual({ DataType: 'Number', StringValue: '1' });
      expect(email).toContain('proj_vendor');
      const state = JSON.parse(object('state/findings.json') ?? '{}');
      expect(state).toMatchObject({ runId: second.runId, findings: expect.any(Array) });
      expect(state.findings.map((f: { projectId: string }) => f.projectId).sort()).toEqual([
        'proj_newcomer',
        'proj_stranger',
      ]);
      const month = report.startedAt.slice(0, 7);
      const index = JSON.parse(object(`index/${month}.json`) ?? '[]');
      expect(index.map((run: { runId: string }) => run.runId)).toEqual([first.runId, second.runId]);
      for (const run of index) expect(JSON.parse(object(run.report) ?? '{}').runId).toBe(run.runId);
    });

    it('a watch poll that finds nothing publishes nothing; one that finds a new grant publishes a watch report', async () => {
      const handler = await handlerFor(policy, storeEnv());
      await handler(scheduledEvent('night-1'), context());

      const quiet = await handler({ kind: 'watch' }, context());
      emulator.grant(WEATHER, ['proj_intruder']);
      const caught = await handler({ kind: 'watch' }, context());

      expect(quiet.status).toBe('clean');
      expect(caught.status).toBe('findings');
      expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2);
      const { report } = publishedReport(1);
      expect(report).toMatchObject({ kind: 'watch', totals: { new: 1 } });
      expect(report.checkpoints.map((c: { id: string }) => c.id)).toEqual([WEATHER]);
      expect(report.checkpoints[0].findings[0]).toMatchObject({
        projectId: 'proj_intruder',
        lifecycle: 'new',
        detectedAt: expect.any(String),
      });
      expect(JSON.parse(object('state/discovery.json') ?? '{}').watch.newestAt).toEqual(expect.any(Number));
    });

    it('a watch poll without a run store fails: its place in the audit log has nowhere to live', async () => {
      const handler = await handlerFor(policy);

      await expect(handler({ kind: 'watch' }, context())).rejects.toThrow();
      const { report } = publishedReport(0);
      expect(report).toMatchObject({ kind: 'watch', status: 'error' });
      expect(report.runError).toContain('watch needs the run store (STATE_BUCKET)');
    });

    it('with notify changes, a night that changed nothing publishes nothing, and the store remembers the last message', async () => {
      emulator.grant(WEATHER, ['proj_stranger']);
      const handler = await handlerFor(policy, { ...storeEnv(), [ENV.notify]: 'changes' });
      await handler(scheduledEvent('changes-1'), context());
      const reportedAt = publishedReport(0).report.startedAt;

      const second = await handler(scheduledEvent('changes-2'), context());

      expect(second.status).toBe('findings');
      expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
      expect(JSON.parse(object('state/findings.json') ?? '{}')).toMatchObject({
        runId: second.runId,
        lastNotifiedAt: reportedAt,
      });
      expect(logLines().find((l) => String(l.message).startsWith('no message published'))?.message).toBe(
        `no message published: nothing changed; open findings last reported ${reportedAt.slice(0, 10)}, a reminder after 7 days`,
      );
    });

    it('with notify changes, open findings no message listed for reminderDays are published again', async () => {
      const [grant] = emulator.grant(WEATHER, ['proj_stranger']);
      const eightDaysAgo = new Date(Date.now() - 8 * 24 * 3600 * 1000).toISOString();
      s3.objects.set(
        `${BUCKET}/state/findings.json`,
        JSON.stringify({
          schemaVersion: 1,
          runId: 'night-0',
          runStartedAt: eightDaysAgo,
          lastNotifiedAt: eightDaysAgo,
          findings: [
            {
              checkpointId: WEATHER,
              projectId: 'proj_stranger',
              permissionId: grant?.id,
              firstSeenAt: eightDaysAgo,
              lastSeenAt: eightDaysAgo,
              firstRunId: 'night-0',
            },
          ],
        }),
      );
      const handler = await handlerFor(policy, { ...storeEnv(), [ENV.notify]: 'changes' });

      await handler(scheduledEvent('changes-reminder'), context());

      const { report } = publishedReport(0);
      expect(report.totals).toMatchObject({ new: 0, open: 1, resolved: 0 });
      expect(JSON.parse(object('state/findings.json') ?? '{}').lastNotifiedAt).toBe(report.startedAt);
    });

    it('a store that cannot be reached: nothing asked of OpenAI, nothing revoked, an alert, a failed invocation', async () => {
      emulator.grant(WEATHER, ['proj_stranger']);
      const closed = s3.endpoint;
      await s3.close();
      s3 = await startFakeS3();
      const handler = await handlerFor({ ...policy, mode: 'enforce' }, storeEnv(closed));

      await expect(handler(scheduledEvent('night-unreachable'), context())).rejects.toThrow(/ERROR/);

      expect(emulator.permissionsOf(WEATHER).map((p) => p.project_id)).toContain('proj_stranger');
      expect(emulator.requests).toHaveLength(0);
      expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 0);
      const { input, report } = publishedReport(0);
      expect(input?.MessageAttributes?.status).toEqual({ DataType: 'String', StringValue: 'error' });
      expect(report.runError).toMatch(
        /^run store s3:\/\/checkpoint-guard-store: cannot read state\/findings.json/,
      );
    });

    it('a corrupt state is refused, never overwritten: the run fails and alerts', async () => {
      const handler = await handlerFor(policy, storeEnv());
      s3.objects.set(`${BUCKET}/state/findings.json`, '{"schemaVersion": 1, "find');

      await expect(handler(scheduledEvent('night-corrupt'), context())).rejects.toThrow(/ERROR/);

      expect(publishedReport(0).report.runError).toContain('state/findings.json is not valid JSON');
      expect(object('state/findings.json')).toBe('{"schemaVersion": 1, "find');
      expect([...s3.objects.keys()]).toEqual([`${BUCKET}/state/findings.json`]);
    });

    it('a store that fails after the revocations: they are published, the run is partial, the invocation fails', async () => {
      emulator.grant(WEATHER, ['proj_stranger']);
      const store = new MemoryStore().failWrites('');
      const deps = { ...createDeps(await envFor({ ...policy, mode: 'enforce' })), store };

      await expect(runScheduledAudit(deps, scheduledEvent('night-write-fails'), context())).rejects.toThrow(
        /PARTIAL/,
      );

      expect(emulator.permissionsOf(WEATHER).map((p) => p.project_id)).toEqual(['proj_core']);
      const { input, report } = publishedReport(0);
      expect(input?.MessageAttributes?.revocations).toEqual({ DataType: 'Number', StringValue: '1' });
      expect(report.status).toBe('partial');
      expect(report.history.storeError).toBe(
        'run store memory://store: cannot write state/findings.json: simulated',
      );
      expect(store.objects.size).toBe(0);
    });
  });
});
