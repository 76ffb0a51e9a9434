/**
 * The Security Hub and EventBridge integrations with their AWS clients: the module the handler
 * imports only when one of them is on (contract.ts's `AWS_INTEGRATIONS_MODULE`). The stack
 * bundles it apart from the handler, so the two clients (the Security Hub one alone is about
 * 180 KB of models) are neither deployed nor loaded by a function that does not use them.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { EVENT_SOURCE } from '../contract.js';
import { type SecurityHubTarget, securityHubFindings } from '../core/asff.js';
import { findingEvents } from '../core/finding-events.js';
import type { AwsClientConfig, ReportSink } from '../integrations.js';
import type { BatchDeliveryOptions } from './batch-delivery.js';
import { EventBridgePublisher } from './event-bridge-publisher.js';
import { SecurityHubImporter } from './security-hub-importer.js';

/** Imports each run's findings into Security Hub. */
export function securityHubSink(options: {
  readonly clientConfig: AwsClientConfig;
  readonly target: SecurityHubTarget;
  readonly delivery?: BatchDeliveryOptions;
}): ReportSink {
  const importer = new SecurityHubImporter({
    ...options.delivery,
    securityHub: new SecurityHubClient(options.clientConfig),
  });
  return {
    name: 'Security Hub',
    deliver: (report, deadline) =>
      importer.importFindings(securityHubFindings(report, options.target), deadline),
  };
}

/** Puts an event per new and per resolved finding on the bus. */
export function findingEventsSink(options: {
  readonly clientConfig: AwsClientConfig;
  readonly eventBusArn: string;
  readonly delivery?: BatchDeliveryOptions;
}): ReportSink {
  const publisher = new EventBridgePublisher({
    ...options.delivery,
    eventBridge: new EventBridgeClient(options.clientConfig),
    eventBusArn: options.eventBusArn,
    source: EVENT_SOURCE,
  });
  return {
    name: 'EventBridge',
    deliver: (report, deadline) => publisher.putEvents(findingEvents(report), deadline),
  };
}
