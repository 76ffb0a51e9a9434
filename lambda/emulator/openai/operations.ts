/**
 * What each emulated operation answers an authorized request, with the validation and
 * error messages OpenAI uses.
 */
import { errorReply, type OperationResult, type Reply } from './reply.js';
import type { EffectiveAtRange, OrganizationState } from './state.js';
import {
  type Identified,
  listOf,
  type OpenAIErrorBody,
  type OperationName,
  PERMISSION_LIST_DEFAULT_LIMIT,
} from './wire-types.js';

/**
 * What the emulator answers (with status 403) to an audit log request while audit logging is
 * off. A guess: OpenAI documents that audit logging must be turned on in the organization's
 * settings, not the exact error it then returns.
 */
export const AUDIT_LOGGING_OFF_ERROR: OpenAIErrorBody = {
  error: {
    message:
      'Audit logging is not enabled for this organization. An organization owner can turn it on in the organization settings.',
    type: 'invalid_request_error',
    param: null,
    code: 'audit_logging_disabled',
  },
};

export interface OperationRequest {
  /** Decoded path parameters. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly rawBody: string;
}

type Operation = (state: OrganizationState, request: OperationRequest) => OperationResult;

export const OPERATIONS: { readonly [name in OperationName]: Operation } = {
  listPermissions,
  createPermission,
  deletePermission,
  listProjects,
  listAuditLogs,
};

function listPermissions(state: OrganizationState, { params, query }: OperationRequest): OperationResult {
  const checkpointId = params.checkpoint ?? '';
  if (!state.hasCheckpoint(checkpointId)) return checkpointNotFound(checkpointId);
  // The contract documents no maximum for this list.
  const limit = parseLimit(query, PERMISSION_LIST_DEFAULT_LIMIT, Number.MAX_SAFE_INTEGER);
  if (typeof limit !== 'number') return limit;
  const order = query.get('order') ?? 'descending';
  if (order !== 'ascending' && order !== 'descending') {
    return errorReply(
      400,
      `Invalid value for 'order': expected one of 'ascending' or 'descending', got '${order}'.`,
      'invalid_request_error',
      'invalid_value',
      'order',
    );
  }
  const after = query.get('after');
  const walk = { after, ascending: order === 'ascending', projectId: query.get('project_id') };
  const result = state.permissionPage(checkpointId, walk, limit);
  if (!result) return unknownCursor('permission', after);
  return { list: listOf(result.page, result.hasMore) };
}

function createPermission(state: OrganizationState, { params, rawBody }: OperationRequest): OperationResult {
  const checkpointId = params.checkpoint ?? '';
  if (!state.hasCheckpoint(checkpointId)) return checkpointNotFound(checkpointId);
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    return errorReply(
      400,
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
      'invalid_request_error',
    );
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return errorReply(
      400,
      'The request body must be a JSON object.',
      'invalid_request_error',
      'invalid_type',
    );
  }
  const unknown = Object.keys(body).find((name) => name !== 'project_ids');
  if (unknown !== undefined) {
    return errorReply(400, `Unrecognized request argument supplied: ${unknown}`, 'invalid_request_error');
  }
  const projectIds = (body as { project_ids?: unknown }).project_ids;
  if (projectIds === undefined) {
    return errorReply(
      400,
      "Missing required parameter: 'project_ids'.",
      'invalid_request_error',
      'missing_required_parameter',
      'project_ids',
    );
  }
  if (
    !Array.isArray(projectIds) ||
    projectIds.length === 0 ||
    !projectIds.every((id): id is string => typeof id === 'string' && id !== '')
  ) {
    return errorReply(
      400,
      "Invalid 'project_ids': expected a non-empty array of non-empty strings.",
      'invalid_request_error',
      'invalid_type',
      'project_ids',
    );
  }
  // Every project is checked before any is granted: a request naming one the organization will
  // not grant creates nothing.
  for (const projectId of projectIds) {
    const refused = ungrantable(state, projectId);
    if (refused !== undefined) return refused;
  }
  // A plain reply, not a list page: the created permissions are no page a pagination fault could break.
  return { status: 200, json: listOf(state.grant(checkpointId, projectIds), false) };
}

/**
 * What the emulator answers (with status 400) to a create naming a project the organization
 * does not have, or one that is archived. A guess, like `AUDIT_LOGGING_OFF_ERROR`: the contract
 * documents no error for either. The emulator's own `grant` (seeding tests) does not check.
 */
export function ungrantableProjectError(projectId: string, archived: boolean): OpenAIErrorBody {
  return {
    error: archived
      ? {
          message: `Project '${projectId}' is archived; an archived project cannot be granted access.`,
          type: 'invalid_request_error',
          param: 'project_ids',
          code: 'project_archived',
        }
      : {
          message: `No project found with id '${projectId}'.`,
          type: 'invalid_request_error',
          param: 'project_ids',
          code: 'project_not_found',
        },
  };
}

function ungrantable(state: OrganizationState, projectId: string): Reply | undefined {
  const project = state.project(projectId);
  if (project !== undefined && project.status !== 'archived') return undefined;
  return { status: 400, json: ungrantableProjectError(projectId, project !== undefined) };
}

function deletePermission(state: OrganizationState, { params }: OperationRequest): OperationResult {
  const checkpointId = params.checkpoint ?? '';
  const permissionId = params.permission ?? '';
  if (!state.hasCheckpoint(checkpointId)) return checkpointNotFound(checkpointId);
  if (!state.revoke(checkpointId, permissionId)) {
    return errorReply(
      404,
      `No permission found with id '${permissionId}'.`,
      'invalid_request_error',
      null,
      'permission_id',
    );
  }
  return { status: 200, json: { object: 'checkpoint.permission', id: permissionId, deleted: true } };
}

function listProjects(state: OrganizationState, { query }: OperationRequest): OperationResult {
  const limit = parseLimit(query, 20, 100);
  if (typeof limit !== 'number') return limit;
  const includeArchived = query.get('include_archived') ?? 'false';
  if (includeArchived !== 'true' && includeArchived !== 'false') {
    return errorReply(
      400,
      `Invalid value for 'include_archived': expected a boolean, got '${includeArchived}'.`,
      'invalid_request_error',
      'invalid_value',
      'include_archived',
    );
  }
  const listed = state
    .projects()
    .filter((project) => includeArchived === 'true' || project.status !== 'archived');
  const result = pageAfter(listed, query.get('after'), limit);
  if ('status' in result) return result;
  return { list: listOf(result.page, result.hasMore) };
}

/**
 * Filters by `event_types[]`, `resource_ids[]` (the id in the entry's details) and
 * `effective_at[gt|gte|lt|lte]`; the other filters of the contract (`project_ids[]`,
 * `actor_ids[]`, `actor_emails[]`) and `before` are not emulated. Newest first. An entry is
 * listed only once the emulator's audit-log delay has passed since the change.
 */
function listAuditLogs(state: OrganizationState, { query }: OperationRequest): OperationResult {
  if (!state.auditLogging) return { status: 403, json: AUDIT_LOGGING_OFF_ERROR };
  const limit = parseLimit(query, 20, 100);
  if (typeof limit !== 'number') return limit;
  const effectiveAt = parseEffectiveAt(query);
  if ('status' in effectiveAt) return effectiveAt;
  const after = query.get('after');
  const result = state.auditLogPage(
    {
      types: query.getAll('event_types[]'),
      resourceIds: new Set(query.getAll('resource_ids[]')),
      effectiveAt,
    },
    after,
    limit,
  );
  if (!result) return unknownCursor('object', after);
  return { list: listOf(result.page, result.hasMore) };
}

/** `effective_at[gt]`, `[gte]`, `[lt]`, `[lte]`: whole Unix seconds, or the 400 OpenAI would answer. */
function parseEffectiveAt(query: URLSearchParams): EffectiveAtRange | Reply {
  const range: { gt?: number; gte?: number; lt?: number; lte?: number } = {};
  for (const bound of ['gt', 'gte', 'lt', 'lte'] as const) {
    const text = query.get(`effective_at[${bound}]`);
    if (text === null) continue;
    const value = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) {
      return errorReply(
        400,
        `Invalid 'effective_at[${bound}]': expected an integer (Unix seconds), got '${text}'.`,
        'invalid_request_error',
        'invalid_value',
        `effective_at[${bound}]`,
      );
    }
    range[bound] = value;
  }
  return range;
}

function checkpointNotFound(checkpointId: string): Reply {
  return errorReply(
    404,
    `Fine-tuned model checkpoint '${checkpointId}' not found.`,
    'invalid_request_error',
    'model_not_found',
    'fine_tuned_model_checkpoint',
  );
}

/** The 400 for an `after` cursor that names nothing in the list. */
function unknownCursor(what: 'permission' | 'object', after: string | null): Reply {
  return errorReply(
    400,
    `No ${what} found with id '${after}' to paginate after.`,
    'invalid_request_error',
    null,
    'after',
  );
}

/** A `limit` query parameter between 1 and `max`, or the 400 OpenAI would answer. */
function parseLimit(query: URLSearchParams, defaultLimit: number, max: number): number | Reply {
  const text = query.get('limit');
  if (text === null) return defaultLimit;
  const limit = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(limit) || limit < 1) {
    return errorReply(
      400,
      `Invalid 'limit': expected an integer greater than or equal to 1, got '${text}'.`,
      'invalid_request_error',
      'integer_below_min_value',
      'limit',
    );
  }
  if (limit > max) {
    return errorReply(
      400,
      `Invalid 'limit': integer above maximum value, expected a value less than or equal to ${max}, but got ${limit} instead.`,
      'invalid_request_error',
      'integer_above_max_value',
      'limit',
    );
  }
  return limit;
}

/** One page of `items` after the one with id `after`, in the order given; a 400 for an unknown cursor. */
function pageAfter<T extends Identified>(
  items: readonly T[],
  after: string | null,
  limit: number,
): { readonly page: T[]; readonly hasMore: boolean } | Reply {
  let start = 0;
  if (after !== null) {
    const index = items.findIndex((item) => item.id === after);
    if (index < 0) return unknownCursor('object', after);
    start = index + 1;
  }
  return { page: items.slice(start, start + limit), hasMore: start + limit < items.length };
}
