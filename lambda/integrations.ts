/**
 * The optional integrations of a scheduled run, each off unless its setting names where to
 * deliver (the stack sets them from `securityHub`, `eventBridge` and `chatTopic`):
 *
 * - Security Hub (`SECURITY_HUB_PRODUCT_ARN`): every run imports its findings, so that Security
 *   Hub holds each open one and archives each resolved one;
 * - EventBridge (`EVENT_BUS_ARN`): every run puts one event per new and per resolved finding;
 * - chat (`CHAT_TOPIC_ARN`): each published report is also sent to the chat topic as a custom
 *   notification that Amazon Q Developer in chat applications renders.
 *
 * The Security Hub and EventBridge clients are loaded on first use, from a module the stack
 * bundles apart (`AWS_INTEGRATIONS_MODULE`): a function with both off never loads them.
 *
 * An integration never fails a run nor delays its message: it runs alongside the SNS publish,
 * and what it could not deliver is logged and counted (`IntegrationFailures`), never thrown.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SNSClient } from '@aws-sdk/client-sns';
import type * as AwsIntegrations from './adapters/aws-integrations.js';
import type { DeliveryOutcome } from './adapters/batch-delivery.js';
import { SnsPublisher } from './adapters/sns-publisher.js';
import { AWS_INTEGRATIONS_MODULE } from './contract.js';
import { buildChatMessage } from './core/chat-notification.js';
import type { AuditReport } from './core/report.js';
import type { HandlerSettings } from './handler-settings.js';
import { accountOfProductArn } from './setting-rules.js';

/** Somewhere a run's report is delivered. */
export interface ReportSink {
  /** For the log: `Security Hub`, `EventBridge`, `chat`. */
  readonly name: string;
  /** Never starts a call after `deadline` (epoch ms); resolves with what was not delivered. */
  deliver(report: AuditReport, deadline: number): Promise<DeliveryOutcome>;
}

export interface Integrations {
  /** Told of every run: Security Hub (the findings' state) and EventBridge (what is new, what is resolved). */
  readonly everyRun: readonly ReportSink[];
  /** Told of a run when its report is published (as `notify` says): the chat topic. */
  readonly withReport: readonly ReportSink[];
}

/** How every AWS client of the function is bounded (see handler.ts). */
export interface AwsClientConfig {
  readonly maxAttempts: number;
  readonly requestHandler: { readonly connectionTimeout: number; readonly requestTimeout: number };
}

/** Failures listed in a log line; the count says how many there were. */
const LOGGED_FAILURES = 10;

/** The chat topic: the report as a custom notification, one Publish. */
export function chatSink(publisher: SnsPublisher): ReportSink {
  return {
    name: 'chat',
    async deliver(report) {
      try {
        await publisher.publish(buildChatMessage(report));
        return { delivered: 1, failed: [] };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return { delivered: 0, failed: [{ item: 'the chat notification', reason }] };
      }
    },
  };
}

/** A sink whose module is imported when it first delivers (again after a failed import). */
export function lazySink(name: string, load: () => Promise<ReportSink>): ReportSink {
  let loaded: Promise<ReportSink> | undefined;
  return {
    name,
    async deliver(report, deadline) {
      loaded ??= load().catch((error: unknown) => {
        loaded = undefined;
        throw error;
      });
      return (await loaded).deliver(report, deadline);
    },
  };
}

const loadAwsIntegrations = () => import(AWS_INTEGRATIONS_MODULE) as Promise<typeof AwsIntegrations>;

/** The integrations `settings` turn on; none when every one is off. */
export function integrationsFrom(
  settings: Pick<HandlerSettings, 'securityHubProductArn' | 'eventBusArn' | 'chatTopicArn'>,
  clients: { readonly clientConfig: AwsClientConfig; readonly sns: SNSClient },
  load: () => Promise<typeof AwsIntegrations> = loadAwsIntegrations,
): Integrations {
  const { securityHubProductArn: productArn, eventBusArn, chatTopicArn } = settings;
  const everyRun: ReportSink[] = [];
  if (productArn !== undefined) {
    const target = { productArn, accountId: accountOfProductArn(productArn) };
    everyRun.push(
      lazySink('Security Hub', async () =>
        (await load()).securityHubSink({ clientConfig: clients.clientConfig, target }),
      ),
    );
  }
  if (eventBusArn !== undefined) {
    everyRun.push(
      lazySink('EventBridge', async () =>
        (await load()).findingEventsSink({ clientConfig: clients.clientConfig, eventBusArn }),
      ),
    );
  }
  const withReport =
    chatTopicArn === undefined
      ? []
      : [chatSink(new SnsPublisher({ sns: clients.sns, topicArn: chatTopicArn }))];
  return { everyRun, withReport };
}

/** Whether any integration is on (then the run emits `IntegrationFailures`). */
export function anyIntegration(integrations: Integrations): boolean {
  return integrations.everyRun.length + integrations.withReport.length > 0;
}

async function deliverOne(sink: ReportSink, report: AuditReport, deadline: number): Promise<DeliveryOutcome> {
  try {
    return await sink.deliver(report, deadline);
  } catch (error) {
    // A sink that could not even start (its module did not load): one failure, said why.
    const reason = error instanceof Error ? error.message : String(error);
    return { delivered: 0, failed: [{ item: sink.name, reason }] };
  }
}

/**
 * Delivers `report` to every integration that is told of it, all at once, and logs each
 * outcome. Resolves with the number of items not delivered; never rejects.
 */
export async function deliverToIntegrations(
  integrations: Integrations,
  report: AuditReport,
  published: boolean,
  deadline: number,
  logger: Logger,
): Promise<number> {
  const sinks = [...integrations.everyRun, ...(published ? integrations.withReport : [])];
  const outcomes = await Promise.all(sinks.map((sink) => deliverOne(sink, report, deadline)));
  let failures = 0;
  for (const [index, outcome] of outcomes.entries()) {
    const name = sinks[index]?.name ?? 'integration';
    failures += outcome.failed.length;
    const fields = { integration: name, delivered: outcome.delivered, failed: outcome.failed.length };
    if (outcome.failed.length === 0) {
      logger.info(`${name}: ${outcome.delivered} delivered`, fields);
    } else {
      logger.error(`${name}: ${outcome.failed.length} not delivered`, {
        ...fields,
        failures: outcome.failed.slice(0, LOGGED_FAILURES),
      });
    }
  }
  return failures;
}
