/**
 * The JSON the emulated endpoints exchange, named as the contract
 * (test/contract/openai-admin-subset.yaml) names it, and the two envelopes every
 * operation shares: the list page and the error body.
 */

/** Names of the emulated operations, as used in fault matchers and in the request log. */
export type OperationName =
  | 'listPermissions'
  | 'createPermission'
  | 'deletePermission'
  | 'listProjects'
  | 'listAuditLogs';

/** `limit` of a permission list request that gives none: the contract's default. */
export const PERMISSION_LIST_DEFAULT_LIMIT = 10;

/** Anything a list can hold: its `first_id` and `last_id` name items by this id. */
export interface Identified {
  readonly id: string;
}

/** One page of a list, whatever it lists. */
export interface ListObject<T extends Identified> {
  readonly object: 'list';
  readonly data: readonly T[];
  readonly first_id: string | null;
  readonly last_id: string | null;
  readonly has_more: boolean;
}

/** A permission as the API serializes it (`FineTuningCheckpointPermission`). */
export interface PermissionObject {
  readonly object: 'checkpoint.permission';
  /** `cp_` followed by 24 alphanumerics. */
  readonly id: string;
  /** Unix seconds. */
  readonly created_at: number;
  readonly project_id: string;
}

/** `ListFineTuningCheckpointPermissionResponse`. */
export type PermissionListObject = ListObject<PermissionObject>;

/** A project as the API serializes it (`Project`). */
export interface ProjectObject {
  readonly object: 'organization.project';
  readonly id: string;
  readonly name: string | null;
  /** Unix seconds. */
  readonly created_at: number;
  /** Unix seconds; `null` while active. */
  readonly archived_at: number | null;
  readonly status: 'active' | 'archived';
}

/** `ProjectListResponse`. */
export type ProjectListObject = ListObject<ProjectObject>;

/** The user in an audit log actor (`AuditLogActorUser`). */
export interface AuditLogUserObject {
  readonly id: string;
  readonly email: string;
}

/** Who performed an audited action (`AuditLogActor`). */
export interface AuditLogActorObject {
  readonly type: 'session' | 'api_key';
  readonly session?: { readonly user: AuditLogUserObject; readonly ip_address: string };
  readonly api_key?: {
    readonly id: string;
    readonly type: 'user' | 'service_account';
    readonly user?: AuditLogUserObject;
    readonly service_account?: { readonly id: string };
  };
}

/** An audit log entry (`AuditLog`): the details sit under a key named after `type`. */
export interface AuditLogObject {
  readonly id: string;
  readonly type: string;
  /** Unix seconds. */
  readonly effective_at: number;
  readonly actor: AuditLogActorObject | null;
  readonly [details: string]: unknown;
}

/** `ListAuditLogsResponse`. */
export type AuditLogListObject = ListObject<AuditLogObject>;

/** The body of every OpenAI error response (`ErrorResponse`). */
export interface OpenAIErrorBody {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly param: string | null;
    readonly code: string | null;
  };
}

/** The list envelope around one page of `data`. */
export function listOf<T extends Identified>(data: readonly T[], hasMore: boolean): ListObject<T> {
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: hasMore,
  };
}

/** Builds an OpenAI-shaped error body. */
export function openAIErrorBody(
  message: string,
  type: string,
  code: string | null = null,
  param: string | null = null,
): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}
