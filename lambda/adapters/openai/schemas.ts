/**
 * Zod mirrors of the response schemas in the OpenAI contract
 * (test/contract/openai-admin-subset.yaml). Required fields and their types are
 * checked; fields the contract does not list are accepted and dropped, so an API
 * that adds a field does not break the audit, while one that changes or drops a
 * field it promised is reported as schema drift.
 */

import * as z from '../../core/zod.js';

/** `FineTuningCheckpointPermission` */
export const permissionObjectSchema = z.object({
  object: z.literal('checkpoint.permission'),
  id: z.string(),
  created_at: z.number().check(z.int()),
  project_id: z.string(),
});

/** `ListFineTuningCheckpointPermissionResponse` (answer to both list and create) */
export const permissionListSchema = z.object({
  object: z.literal('list'),
  data: z.array(permissionObjectSchema),
  first_id: z.nullish(z.string()),
  last_id: z.nullish(z.string()),
  has_more: z.boolean(),
});

export type PermissionList = z.infer<typeof permissionListSchema>;

/**
 * `permissionListSchema`'s check of the answer every page of an audit brings, by hand: zod
 * builds a copy of each of the page's objects on the way (about a tenth of the CPU the audit
 * spends per page, measured). Returns the value itself when it holds every field the schema
 * checks, each of its type (fields the schema does not list stay on it, unread); otherwise
 * `undefined`, and the schema decides, with its messages. It accepts nothing the schema
 * refuses (test/adapters/openai/schemas.spec.ts holds it to that).
 */
export function readPermissionList(value: unknown): PermissionList | undefined {
  if (!isRecord(value) || value.object !== 'list' || typeof value.has_more !== 'boolean') return undefined;
  if (!isNullishString(value.first_id) || !isNullishString(value.last_id)) return undefined;
  const { data } = value;
  if (!Array.isArray(data)) return undefined;
  for (const item of data) {
    if (
      !isRecord(item) ||
      item.object !== 'checkpoint.permission' ||
      typeof item.id !== 'string' ||
      typeof item.project_id !== 'string' ||
      !Number.isSafeInteger(item.created_at)
    ) {
      return undefined;
    }
  }
  return value as PermissionList;
}

/** What `z.object` takes for an object: no array, no null. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNullishString(value: unknown): boolean {
  return value === undefined || value === null || typeof value === 'string';
}

/** `DeleteFineTuningCheckpointPermissionResponse` */
export const deletePermissionSchema = z.object({
  id: z.string(),
  object: z.literal('checkpoint.permission'),
  deleted: z.boolean(),
});

/** `Project`: only the fields the report uses are checked beyond the required ones. */
export const projectObjectSchema = z.object({
  object: z.literal('organization.project'),
  id: z.string(),
  name: z.nullish(z.string()),
  created_at: z.number().check(z.int()),
  archived_at: z.nullish(z.number().check(z.int())),
  status: z.nullish(z.string()),
});

/** `ProjectListResponse` */
export const projectListSchema = z.object({
  object: z.literal('list'),
  data: z.array(projectObjectSchema),
  first_id: z.nullish(z.string()),
  last_id: z.nullish(z.string()),
  has_more: z.boolean(),
});

const auditLogUserSchema = z.object({ id: z.optional(z.string()), email: z.optional(z.string()) });

/**
 * `AuditLogActor`. Its `type` and `api_key.type` are enums in the contract; any string is
 * accepted here, so a new kind of actor makes that one entry's actor `unknown` rather than
 * the whole lookup fail.
 */
export const auditLogActorSchema = z.object({
  type: z.optional(z.string()),
  session: z.optional(z.object({ user: z.optional(auditLogUserSchema), ip_address: z.optional(z.string()) })),
  api_key: z.optional(
    z.object({
      id: z.optional(z.string()),
      type: z.optional(z.string()),
      user: z.optional(auditLogUserSchema),
      service_account: z.optional(z.object({ id: z.optional(z.string()) })),
    }),
  ),
});

/**
 * `AuditLog`. The event's details sit under a key named after its `type`
 * (`"checkpoint.permission.created": { "id": "cp_..." }`), so unknown keys are kept.
 */
export const auditLogSchema = z.looseObject({
  id: z.string(),
  type: z.string(),
  effective_at: z.number().check(z.int()),
  actor: z.nullish(auditLogActorSchema),
});

/** `ListAuditLogsResponse` */
export const auditLogListSchema = z.object({
  object: z.literal('list'),
  data: z.array(auditLogSchema),
  first_id: z.nullish(z.string()),
  last_id: z.nullish(z.string()),
  has_more: z.boolean(),
});
