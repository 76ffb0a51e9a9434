/**
 * The integrations in a whole scheduled run: the handler's own wiring (createDeps), the OpenAI
 * emulator, SSM, SNS, Security Hub and EventBridge mocked with aws-sdk-client-mock, and a run
 * store in memory so that a second night knows the first.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequest,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import {
  AccessDeniedException,
  type AwsSecurityFinding,
  BatchImportFindingsCommand,
  type BatchImportFindingsRequest,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { jest } from '@jest/globals';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { ENV } from '../../lambda/contract.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { buildSnsMessage } from '../../lambda/core/sns-message.js';
import { type OpenAIEmulator, startOpenAIEmulator } from '../../lambda/emulator/openai/index.js';
import { createDeps } from '../../lambda/handler.js';
import { integrationsFrom, type ReportSink } from '../../lambda/integrations.js';
import { runScheduledAudit } from '../../lambda/scheduled-audit.js';
import {
  BATCH_IMPORT_FINDINGS_INPUT,
  CHAT_NOTIFICATION,
  PUT_EVENTS_ENTRY,
} from '../support/documented-schemas.js';
import { scheduledEvent } from '../support/lambda-events.js';
import { MemoryStore } from '../support/memory-store.js';
import { KEY_PARAMETER, REPORT_TOPIC, resetAwsMocks, sns, useMockedAws } from '../support/mocked-aws.js';

describe('integrations', () => {
  useMockedAws();
  const ADMIN_KEY = 'sk-admin-integrations-test-9f8e7d6c5b4a3f2e';
  const WEATHER = 'ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd';
  const SUPPORT = 'ft:gpt-4o-2024-08-06:org:support:Q1w2E3r4';
  const PRODUCT_ARN = 'arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default';
  const BUS = 'arn:aws:events:eu-west-1:123456789012:event-bus/default';
  const CHAT_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:checkpoint-guard-chat';
  const ALL_ON = {
    [ENV.securityHubProductArn]: PRODUCT_ARN,
    [ENV.eventBusArn]: BUS,
    [ENV.chatTopicArn]: CHAT_TOPIC,
  };

  // Mocked for this room's tests only: its Jest file's other rooms keep the real clients.
  let securityHub: AwsClientStub<SecurityHubClient>;
  let eventBridge: AwsClientStub<EventBridgeClient>;
  beforeAll(() => {
    securityHub = mockClient(SecurityHubClient);
    eventBridge = mockClient(EventBridgeClient);
  });
  afterAll(() => {
    securityHub.restore();
    eventBridge.restore();
  });

  let dir: string;
  let emulator: OpenAIEmulator;
  let logs: string[];

  const policy = { allowedProjects: ['proj_core'], checkpoints: [WEATHER, SUPPORT] };

  function context(awsRequestId = `req-${Math.random()}`) {
    return { awsRequestId, getRemainingTimeInMillis: () => 600_000, functionName: 'checkpoint-guard' };
  }

  /** The handler's dependencies over `store`, with the integrations `extraEnv` turns on. */
  async function depsFor(
    store: MemoryStore,
    extraEnv: Record<string, string> = ALL_ON,
    rules: object = policy,
  ) {
    const policyFile = join(dir, 'policy.json');
    await writeFile(policyFile, JSON.stringify(rules));
    const deps = createDeps({
      [ENV.adminKeyParameterName]: KEY_PARAMETER,
      [ENV.topicArn]: REPORT_TOPIC,
      [ENV.policyFile]: policyFile,
      [ENV.openAIBaseUrl]: emulator.baseUrl,
      ...extraEnv,
    });
    return { ...deps, store };
  }

  function publishes(topic: string): PublishCommandInput[] {
    return sns
      .commandCalls(PublishCommand)
      .map((call) => call.args[0].input)
      .filter((input) => input.TopicArn === topic);
  }

  function importedFindings(): AwsSecurityFinding[][] {
    return securityHub
      .commandCalls(BatchImportFindingsCommand)
      .map((call) => (call.args[0].input as BatchImportFindingsRequest).Findings ?? []);
  }

  function putEntries(): PutEventsRequestEntry[] {
    return eventBridge.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []);
  }

  /** The report the run store kept of `runId`: the whole report, as the run recorded it. */
  function storedReport(store: MemoryStore, runId: string): AuditReport {
    const key = [...store.objects.keys()].find((k) => k.startsWith('runs/') && k.endsWith(`_${runId}.json`));
    return JSON.parse(store.objects.get(key ?? '')?.body ?? '{}') as AuditReport;
  }

  function logLines(): Record<string, unknown>[] {
    return logs
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'checkpoint-guard-integrations-'));
    emulator = await startOpenAIEmulator({ adminKey: ADMIN_KEY });
    emulator.grant(WEATHER, ['proj_core']);
    emulator.grant(SUPPORT, ['proj_core']);
    resetAwsMocks(ADMIN_KEY);
    securityHub.reset();
    eventBridge.reset();
    securityHub.on(BatchImportFindingsCommand).callsFake(async (input: BatchImportFindingsRequest) => ({
      SuccessCount: input.Findings?.length ?? 0,
      FailedCount: 0,
      FailedFindings: [],
    }));
    eventBridge.on(PutEventsCommand).callsFake(async (input: PutEventsRequest) => ({
      FailedEntryCount: 0,
      Entries: (input.Entries ?? []).map((_, n) => ({ EventId: `event-${n}` })),
    }));
    logs = [];
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

  describe('two nights with every integration on', () => {
    it('Security Hub holds what is open and archives what was resolved; EventBridge hears what is new and resolved', async () => {
      emulator.grant(WEATHER, ['proj_stranger']);
      const [departing] = emulator.grant(SUPPORT, ['proj_departing']);
      const deps = await depsFor(new MemoryStore());
      await runScheduledAudit(deps, scheduledEvent('night-1'), context());
      emulator.revoke(SUPPORT, departing?.id ?? '');
      emulator.grant(SUPPORT, ['proj_newcomer']);
      securityHub.resetHistory();
      eventBridge.resetHistory();

      const second = await runScheduledAudit(deps, scheduledEvent('night-2'), context());

      expect(second.status).toBe('findings');
      const [imported] = importedFindings();
      expect(importedFindings()).toHaveLength(1);
      expect(imported?.map((f) => [f.Id, f.RecordState, f.Workflow?.Status])).toEqual([
        [`checkpoint-guard/${WEATHER}/proj_stranger`, 'ACTIVE', undefined],
        [`checkpoint-guard/${SUPPORT}/proj_newcomer`, 'ACTIVE', undefined],
        [`checkpoint-guard/${SUPPORT}/proj_departing`, 'ARCHIVED', 'RESOLVED'],
      ]);
      for (const call of securityHub.commandCalls(BatchImportFindingsCommand)) {
        expect(BATCH_IMPORT_FINDINGS_INPUT.safeParse(call.args[0].input).error).toBeUndefined();
      }
      const entries = putEntries();
      expect(entries.map((e) => [e.DetailType, JSON.parse(e.Detail ?? '{}').projectId])).toEqual([
        ['Checkpoint Guard Finding', 'proj_newcomer'],
        ['Checkpoint Guard Finding Resolved', 'proj_departing'],
      ]);
      for (const entry of entries) expect(PUT_EVENTS_ENTRY.safeParse(entry).error).toBeUndefined();
    });

    it('e-mail and JSON subscribers get the message they always got: one Publish, exactly as built from the report', async () => {
      emulator.grant(WEATHER, ['proj_stranger']);
      const store = new MemoryStore();

      const result = await runScheduledAudit(await depsFor(store), scheduledEvent('night-1'), context());

      const [report] = publishes(REPORT_TOPIC);
      expect(publishes(REPORT_TOPIC)).toHaveLength(1);
      expect(report).toEqual({
        TopicArn: REPORT_TOPIC,
        ...buildSnsMessage(storedReport(store, result.runId)),
      });
      expect(Object.keys(JSON.parse(report?.Message ?? '{}')).sort()).toEqual(['default', 'email']);
    });

    it('the chat topic gets the custom notification, in its documented schema, apart from the report', async () => {
      emulator.grant(WEATHER, ['proj_stranger']);

      await runScheduledAudit(await depsFor(new MemoryStore()), scheduledEvent('night-1'), context());

      const [chat] = publishes(CHAT_TOPIC);
      expect(publishes(CHAT_TOPIC)).toHaveLength(1);
      expect(chat?.Subject).toBeUndefined();
      expect(chat?.MessageStructure).toBeUndefined();
      const notification = JSON.parse(chat?.Message ?? '{}');
      expect(CHAT_NOTIFICATION.safeParse(notification).error).toBeUndefined();
      expect(notification.content.title).toBe(
        ':warning: checkpoint-guard: 1 unexpected grant (1 new) on 1 checkpoint (report mode)',
      );
      expect(notification.content.description).toContain('`proj_stranger`');
      expect(chat?.MessageAttributes?.status).toEqual({ DataType: 'String', StringValue: 'findings' });
    });

    it('each integration logs what it delivered, and the run counts what it could not: nothing', async () => {
      emulator.grant(WEATHER, ['proj_stranger']);

      await runScheduledAudit(await depsFor(new MemoryStore()), scheduledEvent('night-1'), context());

      const lines = logLines();
      expect(
        lines.filter((l) => l.integration !== undefined).map((l) => [l.integration, l.delivered, l.failed]),
      ).toEqual(
        expect.arrayContaining([
          ['Security Hub', 1, 0],
          ['EventBridge', 1, 0],
          ['chat', 1, 0],
        ]),
      );
      expect(lines.find((l) => '_aws' in l)).toMatchObject({ IntegrationFailures: 0, SuccessfulRuns: 1 });
    });
  });

  describe('an integration that fails', () => {
    it('Security Hub refusing: revocations are done, the report is published, the failure logged and counted', async () => {
      emulator.grant(WEATHER, ['proj_stranger', 'proj_other']);
      securityHub.on(BatchImportFindingsCommand).rejects(
        new AccessDeniedException({
          message: 'User is not authorized to perform: securityhub:BatchImportFindings',
          $metadata: { httpStatusCode: 403 },
        }),
      );
      const deps = await depsFor(new MemoryStore(), ALL_ON, { ...policy, mode: 'enforce' });

      const result = await runScheduledAudit(deps, scheduledEvent('night-1'), context());

      expect(result).toMatchObject({ status: 'findings', revoked: 2 });
      expect(emulator.permissionsOf(WEATHER).map((p) => p.project_id)).toEqual(['proj_core']);
      expect(publishes(REPORT_TOPIC)).toHaveLength(1);
      expect(publishes(CHAT_TOPIC)).toHaveLength(1);
      const failure = logLines().find((l) => l.message === 'Security Hub: 2 not delivered');
      expect(failure).toMatchObject({
        level: 'ERROR',
        integration: 'Security Hub',
        failures: [
          {
            item: `checkpoint-guard/${WEATHER}/proj_stranger`,
            reason: expect.stringMatching(/^AccessDeniedException/),
          },
          {
            item: `checkpoint-guard/${WEATHER}/proj_other`,
            reason: expect.stringMatching(/^AccessDeniedException/),
          },
        ],
      });
      expect(logLines().find((l) => '_aws' in l)).toMatchObject({
        IntegrationFailures: 2,
        SuccessfulRuns: 1,
      });
    });

    it('the chat topic refusing: the report is published all the same, and the failure counted', async () => {
      sns
        .on(PublishCommand, { TopicArn: CHAT_TOPIC })
        .rejects(Object.assign(new Error('User is not authorized'), { name: 'AuthorizationErrorException' }));

      const result = await runScheduledAudit(
        await depsFor(new MemoryStore()),
        scheduledEvent('n'),
        context(),
      );

      expect(result.status).toBe('clean');
      expect(publishes(REPORT_TOPIC)).toHaveLength(1);
      expect(logLines().find((l) => l.message === 'chat: 1 not delivered')).toBeDefined();
      expect(logLines().find((l) => '_aws' in l)).toMatchObject({ IntegrationFailures: 1 });
    });
  });

  describe('when each integration speaks', () => {
    it('chat follows notify: with findings-only, a clean run sends nothing there either', async () => {
      await runScheduledAudit(
        await depsFor(new MemoryStore(), { ...ALL_ON, [ENV.notify]: 'findings-only' }),
        scheduledEvent('clean'),
        context(),
      );

      expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
      expect(securityHub).toHaveReceivedCommandTimes(BatchImportFindingsCommand, 0);
      expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
    });

    it('with every integration off, no client is loaded and no IntegrationFailures is emitted', async () => {
      emulator.grant(WEATHER, ['proj_stranger']);

      await runScheduledAudit(await depsFor(new MemoryStore(), {}), scheduledEvent('off'), context());

      expect(securityHub).toHaveReceivedCommandTimes(BatchImportFindingsCommand, 0);
      expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
      expect(publishes(CHAT_TOPIC)).toHaveLength(0);
      expect(logLines().find((l) => '_aws' in l)).not.toHaveProperty('IntegrationFailures');
    });
  });

  describe('the admin key', () => {
    it('is in no Security Hub finding, no event and no chat message, even when the API hands it back', async () => {
      emulator.addProject({ id: 'proj_stranger', name: `stolen ${ADMIN_KEY}` });
      emulator.grant(WEATHER, ['proj_stranger'], {
        actor: {
          type: 'session',
          session: { user: { id: 'user-x', email: `${ADMIN_KEY}@example.com` }, ip_address: '198.51.100.7' },
        },
      });

      await runScheduledAudit(await depsFor(new MemoryStore()), scheduledEvent('night-1'), context());

      const payloads = JSON.stringify([
        securityHub.commandCalls(BatchImportFindingsCommand).map((call) => call.args[0].input),
        eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input),
        sns.commandCalls(PublishCommand).map((call) => call.args[0].input),
      ]);
      expect(importedFindings().flat()).toHaveLength(1);
      expect(putEntries()).toHaveLength(1);
      expect(publishes(CHAT_TOPIC)).toHaveLength(1);
      expect(payloads).toContain('[REDACTED]');
      expect(payloads).not.toContain(ADMIN_KEY);
      expect(payloads).not.toContain(ADMIN_KEY.slice(-16));
      expect(logs.join('')).not.toContain(ADMIN_KEY);
    });
  });

  describe('loading the Security Hub and EventBridge clients', () => {
    const clients = {
      clientConfig: { maxAttempts: 1, requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 } },
      sns: new SNSClient({}),
    };
    const sink: ReportSink = { name: 'stub', deliver: async () => ({ delivered: 0, failed: [] }) };
    const module = { securityHubSink: () => sink, findingEventsSink: () => sink };
    const off = { securityHubProductArn: undefined, eventBusArn: undefined, chatTopicArn: undefined };

    it('with both off, their module is never loaded', async () => {
      const load = jest.fn(async () => module);

      const integrations = integrationsFrom(off, clients, load as never);

      expect(integrations).toEqual({ everyRun: [], withReport: [] });
      expect(load).not.toHaveBeenCalled();
    });

    it('on, it is loaded at the first delivery of each integration, and kept for the next runs', async () => {
      const load = jest.fn(async () => module);
      const integrations = integrationsFrom(
        { ...off, securityHubProductArn: PRODUCT_ARN, eventBusArn: BUS },
        clients,
        load as never,
      );
      const report = {} as AuditReport;

      expect(load).not.toHaveBeenCalled();
      for (const night of [1, 2]) for (const each of integrations.everyRun) await each.deliver(report, night);

      expect(integrations.everyRun.map((each) => each.name)).toEqual(['Security Hub', 'EventBridge']);
      expect(load).toHaveBeenCalledTimes(2);
    });

    it('a module that failed to load is tried again at the next run', async () => {
      const load = jest
        .fn<() => Promise<typeof module>>()
        .mockRejectedValueOnce(new Error('Cannot find module'))
        .mockResolvedValue(module);
      const [securityHubSink] = integrationsFrom(
        { ...off, securityHubProductArn: PRODUCT_ARN },
        clients,
        load as never,
      ).everyRun;

      await expect(securityHubSink?.deliver({} as AuditReport, 0)).rejects.toThrow('Cannot find module');
      await expect(securityHubSink?.deliver({} as AuditReport, 0)).resolves.toEqual({
        delivered: 0,
        failed: [],
      });
    });
  });
});
