/**
 * Reads OpenAI's organization objects (projects, audit log entries), already validated
 * against the contract by schemas.ts, into the shapes the report's lookups use
 * (lambda/core/enrichment.ts). Pure functions, kept out of the client so every actor
 * shape the contract allows is tested directly.
 */

import type { AuditActor, AuditLogEntry } from '../../core/audit-log.js';
import type { ProjectRecord } from '../../core/enrichment.js';
import type * as z from '../../core/zod.js';
import type { auditLogActorSchema, auditLogSchema, projectObjectSchema } from './schemas.js';

type ProjectObject = z.infer<typeof projectObjectSchema>;
type AuditLogObject = z.infer<typeof auditLogSchema>;
type AuditLogActorObject = z.infer<typeof auditLogActorSchema>;

/** A project is archived when the API says so in `status`, or gives an `archived_at`. */
export function toProjectRecord(project: ProjectObject): ProjectRecord {
  const archivedAt = project.archived_at ?? null;
  return {
    id: project.id,
    name: project.name ?? null,
    archived: project.status === 'archived' || archivedAt !== null,
    archivedAt,
  };
}

const NO_ACTOR: AuditActor = { actor: null, actorType: 'unknown', via: null };

/**
 * Who acted, from an audit log `actor`: a `session` is a person in the dashboard; an
 * `api_key` is the API, on behalf of the key's user or service account (or the key
 * alone when the log names neither). A user is named by email, else by user id.
 */
export function toAuditActor(actor: AuditLogActorObject | null | undefined): AuditActor {
  if (!actor) return NO_ACTOR;
  if (actor.type === 'session') {
    const user = actor.session?.user;
    const name = nonEmpty(user?.email) ?? nonEmpty(user?.id);
    return name === undefined
      ? { ...NO_ACTOR, via: 'dashboard' }
      : { actor: name, actorType: 'user', via: 'dashboard' };
  }
  if (actor.type === 'api_key') {
    const key = actor.api_key;
    const keyId = nonEmpty(key?.id);
    const withKey = keyId !== undefined ? { apiKeyId: keyId } : {};
    const user = nonEmpty(key?.user?.email) ?? nonEmpty(key?.user?.id);
    const serviceAccount = nonEmpty(key?.service_account?.id);
    if (key?.type !== 'service_account' && user !== undefined) {
      return { actor: user, actorType: 'user', via: 'api', ...withKey };
    }
    if (key?.type !== 'user' && serviceAccount !== undefined) {
      return { actor: serviceAccount, actorType: 'service_account', via: 'api', ...withKey };
    }
    return keyId !== undefined
      ? { actor: keyId, actorType: 'api_key', via: 'api', ...withKey }
      : { ...NO_ACTOR, via: 'api' };
  }
  return NO_ACTOR;
}

/** An entry's resource is the `id` of the details object named after its type. */
export function toAuditLogEntry(entry: AuditLogObject): AuditLogEntry {
  const details = (entry as Record<string, unknown>)[entry.type];
  const resourceId =
    typeof details === 'object' && details !== null && typeof (details as { id?: unknown }).id === 'string'
      ? (details as { id: string }).id
      : null;
  const data =
    typeof details === 'object' && details !== null ? (details as { data?: unknown }).data : undefined;
  const { fine_tuned_model_checkpoint: checkpointId, project_id: projectId } =
    typeof data === 'object' && data !== null
      ? (data as { fine_tuned_model_checkpoint?: unknown; project_id?: unknown })
      : {};
  return {
    id: entry.id,
    type: entry.type,
    effectiveAt: entry.effective_at,
    resourceId,
    actor: toAuditActor(entry.actor),
    checkpointId: typeof checkpointId === 'string' ? checkpointId : null,
    projectId: typeof projectId === 'string' ? projectId : null,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
