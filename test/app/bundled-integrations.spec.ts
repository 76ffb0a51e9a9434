/**
 * The bundle the stack produces with Security Hub, EventBridge and the chat topic on: the
 * handler, and next to it the second file that holds the Security Hub and EventBridge clients
 * (lib/aws-integrations-bundle.ts), run as Lambda would run it against local stand-ins. A
 * mistake in how the second file is built or found (its path, its module type, a missing
 * dependency) fails here.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { jest } from '@jest/globals';
import { AWS_INTEGRATIONS_MODULE, ENV } from '../../lambda/contract.js';
import { type OpenAIEmulator, startOpenAIEmulator } from '../../lambda/emulator/openai/index.js';
import { buildPrebuiltFunction } from '../../scripts/build-library.js';
import { type SynthesizedApp, synthesizeApp } from '../../scripts/synth.js';
import { BATCH_IMPORT_FINDINGS_INPUT, CHAT_NOTIFICATION } from '../support/documented-schemas.js';
import { type FakeAws, startFakeAws } from '../support/fake-aws.js';
import { FAKE_S3_SECRET, type FakeS3, startFakeS3 } from '../support/fake-s3.js';
import { scheduledEvent } from '../support/lambda-events.js';

describe('bundled-integrations', () => {
  const ADMIN_KEY = 'sk-admin-bundle-integrations-0f1e2d3c4b5a6978';
  const PARAMETER = '/checkpoint-guard/openai-admin-key';
  const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:checkpoint-guard-reports';
  const CHAT_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:checkpoint-guard-chat';
  const PRODUCT_ARN = 'arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default';
  const BUS = 'arn:aws:events:eu-west-1:123456789012:event-bus/default';
  // The checkpoints of policy.example.json, which the stack bundles by default.
  const WEATHER = 'ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd';
  const SUPPORT = 'ft:gpt-4o-2024-08-06:org:support:Q1w2E3r4';
  const LEGAL = 'ft:gpt-4.1-mini-2025-04-14:org:legal:Zx81LmQa';

  type Handler = (event: unknown, context: object) => Promise<{ status: string; findings: number }>;

  let synthesized: SynthesizedApp;
  let emulator: OpenAIEmulator;
  let aws: FakeAws;
  let s3: FakeS3;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    synthesized = synthesizeApp({
      now: new Date('2026-11-01T00:00:00Z'),
      context: { securityHub: 'true', eventBridge: 'true', chatTopic: 'true' },
    });
    emulator = await startOpenAIEmulator({ adminKey: ADMIN_KEY });
    aws = await startFakeAws({ [PARAMETER]: ADMIN_KEY });
    s3 = await startFakeS3();
    Object.assign(process.env, {
      [ENV.adminKeyParameterName]: PARAMETER,
      [ENV.topicArn]: TOPIC,
      [ENV.openAIBaseUrl]: emulator.baseUrl,
      [ENV.stateBucket]: 'checkpoint-guard-runstore',
      [ENV.securityHubProductArn]: PRODUCT_ARN,
      [ENV.eventBusArn]: BUS,
      [ENV.chatTopicArn]: CHAT_TOPIC,
      AWS_ENDPOINT_URL: aws.endpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: FAKE_S3_SECRET,
    });
  });

  afterAll(async () => {
    process.env = savedEnv;
    await emulator.close();
    await aws.close();
    await s3.close();
    synthesized.cleanup();
  });

  afterEach(() => jest.restoreAllMocks());

  describe('the bundle with the integrations on', () => {
    it('holds the handler as it is with them off, and the two clients in a file of their own', () => {
      const integrations = join(synthesized.assetDir, AWS_INTEGRATIONS_MODULE);

      expect(statSync(synthesized.handlerFile).size).toBeLessThan(850_000);
      expect(statSync(integrations).size).toBeGreaterThan(300_000);
      expect(
        JSON.parse(readFileSync(join(synthesized.assetDir, 'adapters', 'package.json'), 'utf8')),
      ).toEqual({
        type: 'module',
      });
      expect(existsSync(`${integrations}.map`)).toBe(true);
      expect(readFileSync(synthesized.handlerFile, 'utf8')).not.toContain('BatchImportFindings');
    });

    it('imports the findings, puts the events and sends the chat notification, beside the report', async () => {
      for (const stream of [process.stdout, process.stderr])
        jest.spyOn(stream, 'write').mockImplementation(() => true);
      emulator.grant(WEATHER, ['proj_core', 'proj_stranger']);
      emulator.grant(SUPPORT, ['proj_support', 'proj_support_bot', 'proj_vendor']);
      emulator.grant(LEGAL, ['proj_legal']);
      const { handler } = (await import(pathToFileURL(synthesized.handlerFile).href)) as { handler: Handler };

      const result = await handler(scheduledEvent('bundle-integrations-1'), {
        awsRequestId: 'bundle-integrations-1',
        getRemainingTimeInMillis: () => 600_000,
      });

      expect(result).toMatchObject({ status: 'findings', findings: 1 });
      const imported = aws.calls.filter((c) => c.service === 'securityhub');
      expect(imported).toHaveLength(1);
      expect(BATCH_IMPORT_FINDINGS_INPUT.safeParse(imported[0]?.input).error).toBeUndefined();
      const events = aws.calls.filter((c) => c.service === 'events');
      expect(
        events.map((c) => (c.input.Entries as { DetailType: string }[]).map((e) => e.DetailType)),
      ).toEqual([['Checkpoint Guard Finding']]);
      const published = aws.calls
        .filter((c) => c.service === 'sns')
        .map((c) => c.input as Record<string, string>);
      expect(published.map((p) => p.TopicArn).sort()).toEqual([CHAT_TOPIC, TOPIC]);
      const chat = published.find((p) => p.TopicArn === CHAT_TOPIC);
      expect(CHAT_NOTIFICATION.safeParse(JSON.parse(chat?.Message ?? '{}')).error).toBeUndefined();
      expect(JSON.stringify(aws.calls)).not.toContain(ADMIN_KEY);
    });
  });

  describe("the package's prebuilt function", () => {
    let prebuilt: string;

    beforeAll(async () => {
      prebuilt = mkdtempSync(join(tmpdir(), 'checkpoint-guard-prebuilt-'));
      await buildPrebuiltFunction(prebuilt);
    }, 60_000);

    afterAll(() => rmSync(prebuilt, { recursive: true, force: true }));

    it('is the bundle the stack builds from the sources, byte for byte: the handler and the integrations', () => {
      for (const file of [
        'index.mjs',
        join('adapters', 'aws-integrations.js'),
        join('adapters', 'package.json'),
      ]) {
        expect(
          readFileSync(join(prebuilt, file)).equals(readFileSync(join(synthesized.assetDir, file))),
        ).toBe(true);
      }
    });

    it('holds what the construct copies into the asset, and nothing else', () => {
      expect(readdirSync(prebuilt, { recursive: true }).map(String).sort()).toEqual(
        [
          'adapters',
          join('adapters', 'aws-integrations.js'),
          join('adapters', 'aws-integrations.js.map'),
          join('adapters', 'package.json'),
          'index.mjs',
          'index.mjs.map',
        ].sort(),
      );
    });
  });
});
