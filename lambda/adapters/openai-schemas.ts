/**
 * Zod mirrors of the response schemas in the OpenAI contract
 * (test/contract/openai-admin-subset.yaml). Required fields and their types are
 * checked; fields the contract does not list are accepted and dropped, so an API
 * that adds a field does not break the audit, while one that changes or drops a
 * field it promised is reported as schema drift.
 */

import { z } from 'zod';

/** `FineTuningCheckpointPermission` */
export const permissionObjectSchema = z.object({
  object: z.literal('checkpoint.permission'),
  id: z.string(),
  created_at: z.number().int(),
  project_id: z.string(),
});

/** `ListFineTuningCheckpointPermissionResponse` (answer to both list and create) */
export const permissionListSchema = z.object({
  object: z.literal('list'),
  data: z.array(permissionObjectSchema),
  first_id: z.string().nullable().optional(),
  last_id: z.string().nullable().optional(),
  has_more: z.boolean(),
});

/** `DeleteFineTuningCheckpointPermissionResponse` */
export const deletePermissionSchema = z.object({
  id: z.string(),
  object: z.literal('checkpoint.permission'),
  deleted: z.boolean(),
});

/** Names the first problems of a failed parse, e.g. `data[2].project_id: Invalid input: expected string, received number`. */
export function describeIssues(error: z.ZodError, max = 3): string {
  const described = error.issues.slice(0, max).map((issue) => {
    const path = issue.path
      .map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`))
      .join('');
    return `${path || '(root)'}: ${issue.message}`;
  });
  const more = error.issues.length - described.length;
  return `${described.join('; ')}${more > 0 ? ` (and ${more} more)` : ''}`;
}
