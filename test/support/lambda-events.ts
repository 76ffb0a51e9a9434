/** The event an EventBridge schedule delivers to the function (its `detail` is always empty). */
export function scheduledEvent(id: string): Record<string, unknown> {
  return {
    version: '0',
    id,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: '2026-12-03T03:00:00Z',
    region: 'eu-west-1',
    resources: ['arn:aws:events:eu-west-1:123456789012:rule/checkpoint-guard-nightly'],
    detail: {},
  };
}
