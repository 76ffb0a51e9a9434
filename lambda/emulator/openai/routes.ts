/** The emulated paths under `/v1`, and which operation each method and path lead to. */
import { errorReply, type Reply } from './reply.js';
import type { OperationName } from './wire-types.js';

interface Route {
  readonly method: string;
  /** Literal segments, or `{name}` for a path parameter. */
  readonly segments: readonly string[];
  readonly operation: OperationName;
}

export type RouteMatch =
  | {
      readonly kind: 'found';
      readonly operation: OperationName;
      /** Decoded path parameters: `checkpoint`, `permission`. */
      readonly params: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'bad-encoding' };

const ROUTES: readonly Route[] = [
  {
    method: 'GET',
    segments: ['fine_tuning', 'checkpoints', '{checkpoint}', 'permissions'],
    operation: 'listPermissions',
  },
  {
    method: 'POST',
    segments: ['fine_tuning', 'checkpoints', '{checkpoint}', 'permissions'],
    operation: 'createPermission',
  },
  {
    method: 'DELETE',
    segments: ['fine_tuning', 'checkpoints', '{checkpoint}', 'permissions', '{permission}'],
    operation: 'deletePermission',
  },
  { method: 'GET', segments: ['organization', 'projects'], operation: 'listProjects' },
  { method: 'GET', segments: ['organization', 'audit_logs'], operation: 'listAuditLogs' },
];

/** The route of an upper-case `method` and a raw (still percent-encoded) `path`. */
export function resolveRoute(method: string, path: string): RouteMatch {
  if (!path.startsWith('/v1/')) return { kind: 'not-found' };
  const segments = path.slice('/v1/'.length).split('/');
  for (const route of ROUTES) {
    if (route.method !== method || route.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let matches = true;
    for (const [index, pattern] of route.segments.entries()) {
      const segment = segments[index] as string;
      if (pattern.startsWith('{')) {
        if (segment === '') {
          matches = false;
          break;
        }
        try {
          params[pattern.slice(1, -1)] = decodeURIComponent(segment);
        } catch {
          return { kind: 'bad-encoding' };
        }
      } else if (pattern !== segment) {
        matches = false;
        break;
      }
    }
    if (matches) return { kind: 'found', operation: route.operation, params };
  }
  return { kind: 'not-found' };
}

/** OpenAI's answer to a path it does not serve. */
export function invalidUrl(method: string, path: string): Reply {
  return errorReply(404, `Invalid URL (${method} ${path})`, 'invalid_request_error');
}

/** The answer to a path parameter that is not valid percent-encoding. */
export function invalidEncoding(method: string, path: string): Reply {
  return errorReply(400, `Invalid URL encoding (${method} ${path})`, 'invalid_request_error');
}
