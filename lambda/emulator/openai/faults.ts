/**
 * Fault injection: what a fault does, which requests it applies to, and the queue that
 * picks the fault for each request. The server carries out the faults that act on the
 * connection (hang, drop, delay).
 */
import { bodyText, errorReply, type Reply } from './reply.js';
import type { OrganizationState } from './state.js';
import {
  type Identified,
  type ListObject,
  type OperationName,
  PERMISSION_LIST_DEFAULT_LIMIT,
} from './wire-types.js';

/** Which requests a fault applies to. Every field given must match; an empty matcher matches all. */
export interface FaultMatcher {
  /** HTTP method, case-insensitive. */
  readonly method?: string;
  readonly operation?: OperationName;
  /** Decoded checkpoint id. */
  readonly checkpointId?: string;
  /** `after` query parameter of a list request; `null` matches only requests without one (first page). */
  readonly after?: string | null;
  /**
   * Zero-based index of the page a list request asks for, derived from the position of its
   * `after` cursor and its `limit` (the first page is 0).
   */
  readonly pageIndex?: number;
}

/**
 * How a pagination fault breaks a list page:
 * - `repeat-cursor`: `has_more: true` and `last_id` equal to the request's `after` cursor
 *   (on the first page, its normal `last_id`, which the next request then repeats);
 * - `empty-has-more`: no data, `first_id`/`last_id` null, `has_more: true`;
 * - `null-last-id`: the normal data, `last_id: null`, `has_more: true`.
 */
export type PaginationFaultMode = 'repeat-cursor' | 'empty-has-more' | 'null-last-id';

/** What a fault does instead of (or to) the normal response. */
export type FaultBehaviour =
  /** Answer with this status, headers and body; `json` is serialized, `text` is sent as it is. */
  | {
      readonly kind: 'respond';
      readonly status: number;
      readonly headers?: Readonly<Record<string, string>>;
      readonly json?: unknown;
      readonly text?: string;
      /** @default 'application/json' with `json`, 'text/plain; charset=utf-8' with `text` */
      readonly contentType?: string;
    }
  /** Answer with an OpenAI-shaped error body. */
  | {
      readonly kind: 'error';
      readonly status: number;
      readonly message: string;
      /** @default 'server_error' for 5xx, otherwise 'invalid_request_error' */
      readonly type?: string;
      /** @default null */
      readonly code?: string | null;
      /** @default null */
      readonly param?: string | null;
      readonly headers?: Readonly<Record<string, string>>;
    }
  /** Wait, then handle the request normally (a slow reply). */
  | { readonly kind: 'delay'; readonly ms: number }
  /** Never answer; the connection stays open until the client gives up or the emulator closes. */
  | { readonly kind: 'hang' }
  /**
   * Destroy the socket: before anything is sent, or after the headers and half of the
   * normal body (a connection reset mid-body).
   * @default when 'before-headers'
   */
  | { readonly kind: 'drop'; readonly when?: 'before-headers' | 'mid-body' }
  /** Send the normal response with its body cut in half (well framed, but not valid JSON). */
  | { readonly kind: 'truncated-json' }
  /** A list page that cannot lead to the next one (see `PaginationFaultMode`). Applies to list requests only. */
  | { readonly kind: 'pagination'; readonly mode: PaginationFaultMode };

export type FaultKind = FaultBehaviour['kind'];

/** A fault to inject: a behaviour, the requests it applies to, and how many times. */
export type Fault = FaultBehaviour & {
  readonly match?: FaultMatcher;
  /**
   * How many matching requests it applies to; `Infinity` for all of them.
   * @default 1
   */
  readonly times?: number;
};

/** Handle on an injected fault, to check that it fired. */
export interface InjectedFault {
  /** Matching requests it has applied to so far. */
  readonly hits: number;
  readonly remaining: number;
}

/** A routed request, as a fault matcher sees it. */
export interface FaultTarget {
  /** Upper case. */
  readonly method: string;
  readonly operation: OperationName;
  readonly checkpointId: string | null;
  readonly query: URLSearchParams;
}

interface ActiveFault {
  readonly fault: Fault;
  remaining: number;
  hits: number;
}

/** The injected faults, oldest first: the first one that matches a request takes effect on it. */
export class FaultQueue {
  readonly #state: Pick<OrganizationState, 'permissionsListedThrough'>;
  readonly #faults: ActiveFault[] = [];

  /** `state` places a cursor in its list, for `pageIndex` matchers. */
  constructor(state: Pick<OrganizationState, 'permissionsListedThrough'>) {
    this.#state = state;
  }

  inject(fault: Fault): InjectedFault {
    const times = fault.times ?? 1;
    if (!(times >= 1)) throw new RangeError('a fault must apply at least once (times >= 1)');
    const active: ActiveFault = { fault, remaining: times, hits: 0 };
    this.#faults.push(active);
    return {
      get hits() {
        return active.hits;
      },
      get remaining() {
        return active.remaining;
      },
    };
  }

  clear(): void {
    this.#faults.length = 0;
  }

  /** The fault that applies to `target`, counted as spent once; `undefined` when none matches. */
  take(target: FaultTarget): FaultBehaviour | undefined {
    for (const [index, active] of this.#faults.entries()) {
      if (!this.#matches(active.fault.match ?? {}, target)) continue;
      active.hits++;
      active.remaining--;
      if (active.remaining <= 0) this.#faults.splice(index, 1);
      return active.fault;
    }
    return undefined;
  }

  #matches(match: FaultMatcher, target: FaultTarget): boolean {
    if (match.method !== undefined && match.method.toUpperCase() !== target.method) return false;
    if (match.operation !== undefined && match.operation !== target.operation) return false;
    if (match.checkpointId !== undefined && match.checkpointId !== target.checkpointId) return false;
    if (match.after !== undefined && match.after !== target.query.get('after')) return false;
    if (match.pageIndex !== undefined) {
      if (target.operation !== 'listPermissions') return false;
      if (match.pageIndex !== this.#pageIndex(target.checkpointId ?? '', target.query)) return false;
    }
    return true;
  }

  /** Which page a list request asks for, counting the items before its cursor; undefined if unknown. */
  #pageIndex(checkpointId: string, query: URLSearchParams): number | undefined {
    const limit = Number(query.get('limit') ?? PERMISSION_LIST_DEFAULT_LIMIT);
    const after = query.get('after');
    if (!Number.isInteger(limit) || limit < 1) return undefined;
    if (after === null) return 0;
    const listed = this.#state.permissionsListedThrough(checkpointId, {
      after,
      ascending: query.get('order') === 'ascending',
      projectId: query.get('project_id'),
    });
    return listed === undefined ? undefined : Math.floor(listed / limit);
  }
}

/** The answer of a fault that answers in place of the operation. */
export function faultReply(fault: Extract<FaultBehaviour, { kind: 'respond' | 'error' }>): Reply {
  if (fault.kind === 'error') {
    return errorReply(
      fault.status,
      fault.message,
      fault.type ?? (fault.status >= 500 ? 'server_error' : 'invalid_request_error'),
      fault.code ?? null,
      fault.param ?? null,
      fault.headers,
    );
  }
  return {
    status: fault.status,
    ...(fault.headers ? { headers: fault.headers } : {}),
    ...(fault.text !== undefined ? { text: fault.text } : { json: fault.json ?? null }),
    ...(fault.contentType !== undefined ? { contentType: fault.contentType } : {}),
  };
}

/** `reply` with its body cut in half, as a `truncated-json` fault sends it. */
export function truncatedReply(reply: Reply): Reply {
  const text = bodyText(reply);
  return { ...reply, text: text.slice(0, Math.floor(text.length / 2)), contentType: 'application/json' };
}

/** `list` as a pagination fault breaks it; `after` is the request's cursor. */
export function breakPagination<T extends Identified>(
  list: ListObject<T>,
  after: string | null,
  mode: PaginationFaultMode,
): ListObject<T> {
  switch (mode) {
    case 'repeat-cursor':
      return { ...list, last_id: after ?? list.last_id, has_more: true };
    case 'empty-has-more':
      return { ...list, data: [], first_id: null, last_id: null, has_more: true };
    case 'null-last-id':
      return { ...list, last_id: null, has_more: true };
  }
}
