/**
 * The documented shapes checkpoint-guard's integration payloads must take, written down from
 * AWS's documentation as zod schemas, apart from the code that builds them:
 *
 * - ASFF: "Required top-level ASFF attributes" (AwsAccountId, CreatedAt, Description,
 *   GeneratorId, Id, ProductArn, Resources, SchemaVersion, Severity, Title, Types, UpdatedAt)
 *   and the limits of the AwsSecurityFinding, Resource, Severity, Recommendation and
 *   `Resources[].Details.Other` references; BatchImportFindings: 100 findings a call, 240 KB a
 *   finding.
 * - The custom notification of Amazon Q Developer in chat applications ("Custom notifications
 *   using Amazon Q Developer in chat applications", event schema and parameter details):
 *   `version` "1.0" and `source` "custom" required, `textType` only "client-markdown".
 * - PutEvents: at most 10 entries, 256 KB a call.
 *
 * Strict objects: a field these documents do not name is refused, so a misspelt field fails
 * here rather than being dropped by the SDK.
 */
import * as z from 'zod';

/** ASFF's timestamp formats (API reference, "Timestamps"): RFC 3339, up to 9 digits of fraction. */
const asffTimestamp = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}(:?\d{2})?)$/, 'an ASFF timestamp');

/** ASFF's `.*\S.*` pattern of required strings, and a length range. */
const text = (min: number, max: number) => z.string().min(min).max(max).regex(/\S/);

const severity = z.strictObject({
  Label: z.enum(['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL']),
  Original: text(1, 64).optional(),
});

/** `namespace/category/classifier`, the namespace one of the five valid ones. */
const findingType = z
  .string()
  .regex(
    /^(Software and Configuration Checks|TTPs|Effects|Unusual Behaviors|Sensitive Data Identifications)(\/[^/]+){0,2}$/,
    'namespace/category/classifier with a valid namespace',
  );

const types = z.array(findingType).min(1).max(50);

/** ProductFields: up to 50 pairs, keys up to 128 characters, values up to 2048. */
const productFields = z
  .record(z.string().min(1).max(128), z.string().min(1).max(2048))
  .refine((fields) => Object.keys(fields).length <= 50, 'at most 50 product fields');

/** `Resources[].Details.Other`: up to 50 pairs, keys fewer than 128 characters, values fewer than 1,024. */
const otherDetails = z
  .record(z.string().min(1).max(127), z.string().max(1023))
  .refine((fields) => Object.keys(fields).length <= 50, 'at most 50 details');

export const ASFF_FINDING = z.strictObject({
  // Required.
  AwsAccountId: z.string().regex(/^\d{12}$/),
  CreatedAt: asffTimestamp,
  Description: text(1, 1024),
  GeneratorId: text(1, 512),
  Id: text(1, 512),
  ProductArn: z
    .string()
    .min(12)
    .max(2048)
    .regex(/^arn:aws[a-z-]*:securityhub:[a-z0-9-]+:\d{12}:product\/\d{12}\/default$/),
  Resources: z
    .array(
      z.strictObject({
        Type: text(1, 256),
        Id: text(1, 512),
        Details: z.strictObject({ Other: otherDetails }).optional(),
      }),
    )
    .min(1)
    .max(32),
  SchemaVersion: z.literal('2018-10-08'),
  Severity: severity,
  Title: text(1, 256),
  Types: types,
  UpdatedAt: asffTimestamp,
  // Optional, as checkpoint-guard sends them.
  ProductName: text(1, 128).optional(),
  FirstObservedAt: asffTimestamp.optional(),
  LastObservedAt: asffTimestamp.optional(),
  Remediation: z
    .strictObject({ Recommendation: z.strictObject({ Text: text(1, 512), Url: z.string().optional() }) })
    .optional(),
  ProductFields: productFields.optional(),
  FindingProviderFields: z
    .strictObject({ Severity: severity.optional(), Types: types.optional() })
    .optional(),
  RecordState: z.enum(['ACTIVE', 'ARCHIVED']).optional(),
  Workflow: z.strictObject({ Status: z.enum(['NEW', 'NOTIFIED', 'RESOLVED', 'SUPPRESSED']) }).optional(),
});

/** BatchImportFindings: at most 100 findings a call, each at most 240 KB. */
export const BATCH_IMPORT_FINDINGS_INPUT = z.strictObject({
  Findings: z
    .array(
      ASFF_FINDING.refine(
        (finding) => new TextEncoder().encode(JSON.stringify(finding)).byteLength <= 240 * 1024,
        'a finding of at most 240 KB',
      ),
    )
    .min(1)
    .max(100),
});

/** The custom notification's event schema. */
export const CHAT_NOTIFICATION = z.strictObject({
  version: z.literal('1.0'),
  source: z.literal('custom'),
  id: z.string().optional(),
  content: z.strictObject({
    textType: z.literal('client-markdown').optional(),
    title: z.string().optional(),
    description: z.string().min(1),
    nextSteps: z.array(z.string()).optional(),
    keywords: z.array(z.string()).optional(),
  }),
  metadata: z
    .strictObject({
      threadId: z.string().optional(),
      summary: z.string().optional(),
      eventType: z.string().optional(),
      relatedResources: z.array(z.string()).optional(),
      additionalContext: z.record(z.string(), z.string()).optional(),
      enableCustomActions: z.boolean().optional(),
    })
    .optional(),
});

/** One PutEvents entry, as checkpoint-guard sends it. */
export const PUT_EVENTS_ENTRY = z.strictObject({
  Source: z.literal('checkpoint-guard'),
  DetailType: z.enum(['Checkpoint Guard Finding', 'Checkpoint Guard Finding Resolved']),
  Detail: z.string().refine((detail) => {
    try {
      const parsed: unknown = JSON.parse(detail);
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
    } catch {
      return false;
    }
  }, 'a JSON object'),
  Time: z.date(),
  EventBusName: z.string().regex(/^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/default$/),
});
