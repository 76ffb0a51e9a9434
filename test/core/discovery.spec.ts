/**
 * Discovery over a fake audit log that lists newest first, honours `effective_at` and the
 * `after` cursor like the API, and counts what it was asked: the cursor, the resumed history,
 * the failures that leave the state as it was, and the merge of two racing writers.
 */
import { describe, expect, it } from '@jest/globals';
import type {
  AuditLogEntry,
  AuditLogPage,
  AuditLogPageRequest,
  AuditLogSource,
} from '../../lambda/core/audit-log.js';
import {
  AUDIT_LOG_LAG_SECONDS,
  type DiscoveryState,
  discoverCheckpoints,
  emptyDiscoveryState,
  mergeDiscoveryStates,
  parseDiscoveryState,
} from '../../lambda/core/discovery.js';

describe('discovery', () => {
  const T0 = 1_800_000_000; // Unix seconds

  function grantEvent(n: number, checkpointId: string | null, at: number): AuditLogEntry {
    return {
      id: `audit_log-${n}`,
      type: 'checkpoint.permission.created',
      effectiveAt: at,
      resourceId: `cp_${n}`,
      actor: { actor: 'alice@example.com', actorType: 'user', via: 'dashboard' },
      checkpointId,
      projectId: `proj_${n}`,
    };
  }

  class FakeAuditLog implements AuditLogSource {
    readonly calls: AuditLogPageRequest[] = [];
    events: AuditLogEntry[] = [];
    failWith: Error | undefined;
    /** A page that says more follow and repeats its cursor. */
    stuck = false;

    add(...events: AuditLogEntry[]): void {
      this.events.push(...events);
    }

    async listAuditLogsPage(request: AuditLogPageRequest): Promise<AuditLogPage> {
      this.calls.push(request);
      if (this.failWith !== undefined) throw this.failWith;
      const range = request.effectiveAt ?? {};
      const listed = [...this.events]
        .sort((a, b) => b.effectiveAt - a.effectiveAt || b.id.localeCompare(a.id))
        .filter((e) => request.eventTypes.includes(e.type))
        .filter((e) => range.gte === undefined || e.effectiveAt >= range.gte);
      if (this.stuck) return { entries: listed.slice(0, 1), hasMore: true, lastId: listed[0]?.id ?? null };
      const start = request.after === undefined ? 0 : listed.findIndex((e) => e.id === request.after) + 1;
      const page = listed.slice(start, start + request.limit);
      return {
        entries: page,
        hasMore: start + request.limit < listed.length,
        lastId: page.at(-1)?.id ?? null,
      };
    }
  }

  const NOW = Date.UTC(2027, 0, 15, 3);
  const options = { now: () => NOW, pageSize: 2 };
  const ids = (state: DiscoveryState) => state.checkpoints.map((checkpoint) => checkpoint.id);

  describe('discoverCheckpoints', () => {
    it('reads the whole history on a first run, page by page, and finds each checkpoint once', async () => {
      const log = new FakeAuditLog();
      log.add(grantEvent(1, 'ft:a', T0), grantEvent(2, 'ft:b', T0 + 10), grantEvent(3, 'ft:a', T0 + 20));
      log.add(grantEvent(4, null, T0 + 30));

      const outcome = await discoverCheckpoints(log, null, options);

      expect(ids(outcome.state)).toEqual(['ft:a', 'ft:b']);
      expect(outcome.newlyFound).toEqual(['ft:a', 'ft:b']);
      expect(outcome).toMatchObject({ eventsRead: 4, historyComplete: true });
      expect(outcome.state.cursor).toEqual({
        newestAt: T0 + 30,
        recentIds: [
          { id: 'audit_log-4', at: T0 + 30 },
          { id: 'audit_log-3', at: T0 + 20 },
          { id: 'audit_log-2', at: T0 + 10 },
          { id: 'audit_log-1', at: T0 },
        ],
      });
      expect(outcome.state.checkpoints[0]).toEqual({
        id: 'ft:a',
        foundAt: new Date(NOW).toISOString(),
        lastGrantAt: new Date((T0 + 20) * 1000).toISOString(),
      });
      expect(log.calls).toHaveLength(2);
      expect(log.calls[0]?.effectiveAt).toBeUndefined();
    });

    it('a later run reads the events since its cursor, less the lag window, skipping the ones already read', async () => {
      const log = new FakeAuditLog();
      log.add(grantEvent(1, 'ft:a', T0), grantEvent(2, 'ft:b', T0 + 10));
      const first = await discoverCheckpoints(log, null, options);
      log.add(grantEvent(3, 'ft:c', T0 + 10), grantEvent(4, 'ft:d', T0 + 40));
      log.calls.length = 0;

      const second = await discoverCheckpoints(log, first.state, options);

      const from = { gte: T0 + 10 - AUDIT_LOG_LAG_SECONDS };
      expect(log.calls.map((call) => call.effectiveAt)).toEqual([from, from]);
      expect(second.newlyFound).toEqual(['ft:d', 'ft:c']);
      expect(second.eventsRead).toBe(2);
      // In the order found: the log lists newest first.
      expect(ids(second.state)).toEqual(['ft:b', 'ft:a', 'ft:d', 'ft:c']);
      expect(second.state.cursor.newestAt).toBe(T0 + 40);
      expect(second.state.cursor.recentIds.map((seen) => seen.id).sort()).toEqual([
        'audit_log-1',
        'audit_log-2',
        'audit_log-3',
        'audit_log-4',
      ]);
    });

    it('an event listed late, with a time before the cursor, is still read once', async () => {
      const log = new FakeAuditLog();
      log.add(grantEvent(1, 'ft:a', T0), grantEvent(2, 'ft:b', T0 + 600));
      const first = await discoverCheckpoints(log, null, options);
      // Made at T0 + 300, listed only now: older than the newest event the cursor holds.
      log.add(grantEvent(3, 'ft:late', T0 + 300));

      const second = await discoverCheckpoints(log, first.state, options);
      const third = await discoverCheckpoints(log, second.state, options);

      expect(second.newlyFound).toEqual(['ft:late']);
      expect(second.eventsRead).toBe(1);
      expect(third.eventsRead).toBe(0);
    });

    it('a first run that meets its deadline keeps where it stopped, and the next run finishes the history', async () => {
      const log = new FakeAuditLog();
      for (let n = 1; n <= 6; n++) log.add(grantEvent(n, `ft:${n}`, T0 + n));
      let clock = NOW;
      let pages = 0;
      const counting: AuditLogSource = {
        listAuditLogsPage: async (request) => {
          pages++;
          if (pages === 2) clock = NOW + 1000;
          return log.listAuditLogsPage(request);
        },
      };

      const first = await discoverCheckpoints(counting, null, {
        now: () => clock,
        pageSize: 2,
        deadline: NOW + 500,
      });

      expect(ids(first.state)).toEqual(['ft:6', 'ft:5', 'ft:4', 'ft:3']);
      expect(first.historyComplete).toBe(false);
      expect(first.state.backfill).toEqual({ done: false, after: 'audit_log-3' });
      // The newest event was read: new events are read from there on.
      expect(first.state.cursor.newestAt).toBe(T0 + 6);

      log.add(grantEvent(7, 'ft:7', T0 + 7));
      const second = await discoverCheckpoints(log, first.state, options);

      expect(ids(second.state)).toEqual(['ft:6', 'ft:5', 'ft:4', 'ft:3', 'ft:7', 'ft:2', 'ft:1']);
      expect(second.historyComplete).toBe(true);
      expect(second.state.backfill).toEqual({ done: true, after: null });
    });

    it('a later run that meets its deadline keeps its cursor, so the events it missed are read next time', async () => {
      const log = new FakeAuditLog();
      log.add(grantEvent(1, 'ft:a', T0));
      const first = await discoverCheckpoints(log, null, options);
      for (let n = 2; n <= 6; n++) log.add(grantEvent(n, `ft:${n}`, T0 + n));
      let clock = NOW;
      const slow: AuditLogSource = {
        listAuditLogsPage: async (request) => {
          clock += 1000;
          return log.listAuditLogsPage(request);
        },
      };

      const second = await discoverCheckpoints(slow, first.state, {
        now: () => clock,
        pageSize: 2,
        deadline: NOW + 1500,
      });

      // Two pages before the deadline: the newest four. The oldest new one is read next run.
      expect(second.state.cursor).toEqual(first.state.cursor);
      expect(ids(second.state)).toEqual(['ft:a', 'ft:6', 'ft:5', 'ft:4', 'ft:3']);
      const third = await discoverCheckpoints(log, second.state, options);
      expect(ids(third.state)).toEqual(['ft:a', 'ft:6', 'ft:5', 'ft:4', 'ft:3', 'ft:2']);
      expect(third.state.cursor.newestAt).toBe(T0 + 6);
    });

    it('keeps only what the policy would accept as a checkpoint id: API text naming a path or a huge string is read, not listed', async () => {
      const log = new FakeAuditLog();
      log.add(
        grantEvent(1, 'ft:real:Ck1', T0),
        grantEvent(2, '../../organization/projects', T0 + 1),
        grantEvent(3, `ft:${'x'.repeat(10_000)}`, T0 + 2),
        grantEvent(4, 'ft:has space', T0 + 3),
      );

      const outcome = await discoverCheckpoints(log, null, options);

      expect(outcome.eventsRead).toBe(4);
      expect(ids(outcome.state)).toEqual(['ft:real:Ck1']);
    });

    it('an audit log that cannot be read (logging off) leaves the state as it was and says why', async () => {
      const log = new FakeAuditLog();
      log.add(grantEvent(1, 'ft:a', T0));
      const first = await discoverCheckpoints(log, null, options);
      log.failWith = new Error('HTTP 403 (audit_logging_disabled): Audit logging is not enabled');

      const second = await discoverCheckpoints(log, first.state, options);

      expect(second.state).toBe(first.state);
      expect(second.unavailable).toContain('audit_logging_disabled');
      expect(second.historyComplete).toBe(false);
    });

    it('a cursor that stops advancing ends the read as unavailable instead of looping', async () => {
      const log = new FakeAuditLog();
      log.add(grantEvent(1, 'ft:a', T0), grantEvent(2, 'ft:b', T0 + 1));
      log.stuck = true;

      const outcome = await discoverCheckpoints(log, null, options);

      expect(outcome.unavailable).toContain('did not advance');
      expect(log.calls.length).toBeLessThanOrEqual(3);
    });

    it('without a store, --since reads only the events since that instant', async () => {
      const log = new FakeAuditLog();
      log.add(grantEvent(1, 'ft:old', T0), grantEvent(2, 'ft:new', T0 + 86_400));

      const outcome = await discoverCheckpoints(log, null, { ...options, since: (T0 + 3600) * 1000 });

      expect(log.calls[0]?.effectiveAt).toEqual({ gte: T0 + 3600 });
      expect(outcome.newlyFound).toEqual(['ft:new']);
    });
  });

  describe('the discovery state', () => {
    it('merges two racing writers: every checkpoint, the further cursor, the earliest find', () => {
      const base = emptyDiscoveryState();
      const ours: DiscoveryState = {
        ...base,
        cursor: { newestAt: T0 + 5, recentIds: [{ id: 'e5', at: T0 + 5 }] },
        checkpoints: [
          { id: 'ft:a', foundAt: '2027-01-15T03:00:00.000Z', lastGrantAt: '2027-01-14T00:00:00.000Z' },
        ],
      };
      const theirs: DiscoveryState = {
        ...base,
        cursor: { newestAt: T0 + 5, recentIds: [{ id: 'e6', at: T0 + 4 }] },
        backfill: { done: true, after: null },
        checkpoints: [
          { id: 'ft:a', foundAt: '2027-01-14T03:00:00.000Z', lastGrantAt: '2027-01-13T00:00:00.000Z' },
          { id: 'ft:b', foundAt: '2027-01-14T03:00:00.000Z', lastGrantAt: '2027-01-13T00:00:00.000Z' },
        ],
        watch: { newestAt: T0 + 9, recentIds: [{ id: 'w9', at: T0 + 9 }] },
      };

      expect(mergeDiscoveryStates(ours, theirs)).toEqual({
        schemaVersion: 1,
        cursor: {
          newestAt: T0 + 5,
          recentIds: [
            { id: 'e5', at: T0 + 5 },
            { id: 'e6', at: T0 + 4 },
          ],
        },
        backfill: { done: true, after: null },
        checkpoints: [
          { id: 'ft:a', foundAt: '2027-01-14T03:00:00.000Z', lastGrantAt: '2027-01-14T00:00:00.000Z' },
          { id: 'ft:b', foundAt: '2027-01-14T03:00:00.000Z', lastGrantAt: '2027-01-13T00:00:00.000Z' },
        ],
        watch: { newestAt: T0 + 9, recentIds: [{ id: 'w9', at: T0 + 9 }] },
      });
    });

    it("keeps both runs' watch revocations and creations, each once", () => {
      const base = emptyDiscoveryState();
      const shared = { at: '2027-01-14T03:00:00.000Z', count: 1 };
      const ours = {
        ...base,
        watchRevocations: [shared],
        watchCreations: [shared, { at: '2027-01-14T03:05:00.000Z', count: 2 }],
      };
      const theirs = { ...base, watchCreations: [shared, { at: '2027-01-14T03:04:00.000Z', count: 1 }] };

      const merged = mergeDiscoveryStates(ours, theirs);

      expect(merged.watchRevocations).toEqual([shared]);
      expect(merged.watchCreations).toEqual([
        shared,
        { at: '2027-01-14T03:04:00.000Z', count: 1 },
        { at: '2027-01-14T03:05:00.000Z', count: 2 },
      ]);
    });

    it.each([
      ['not JSON', '{', 'is not valid JSON'],
      ['another shape', '{"schemaVersion": 1, "findings": []}', 'is not a discovery state'],
      ['a newer version', '{"schemaVersion": 2}', 'newer checkpoint-guard (schema 2)'],
    ])('refuses a state that is %s', (_what, text, message) => {
      expect(() => parseDiscoveryState(text)).toThrow(message);
    });

    it('reads back what it wrote', () => {
      const state = {
        ...emptyDiscoveryState(),
        checkpoints: [{ id: 'ft:a', foundAt: 'x', lastGrantAt: 'y' }],
      };
      expect(parseDiscoveryState(JSON.stringify(state))).toEqual(state);
    });
  });
});
