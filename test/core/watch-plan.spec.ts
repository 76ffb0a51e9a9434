/**
 * What a watch poll re-lists when a grant is revoked (`checkpoint.permission.deleted` names only
 * the permission): the checkpoint of an open finding, and the checkpoint of a required project's
 * grant, traced through the event that created it; nothing for anyone else's grant.
 */
import type {
  AuditLogEntry,
  AuditLogPage,
  AuditLogPageRequest,
  AuditLogSource,
} from '../../lambda/core/audit-log.js';
import { type DiscoveryState, emptyDiscoveryState } from '../../lambda/core/discovery.js';
import type { FindingsState } from '../../lambda/core/finding-history.js';
import { planWatchPoll } from '../../lambda/core/watch.js';
import { policyOf, SUPPORT, WEATHER } from './fixtures.js';

describe('watch-plan', () => {
  const NOW_S = Date.parse('2027-01-14T12:00:00Z') / 1000;
  const options = { now: () => NOW_S * 1000 };
  const actor: AuditLogEntry['actor'] = { actor: 'alice@example.com', actorType: 'user', via: 'dashboard' };

  function event(
    type: string,
    id: string,
    resourceId: string,
    grant?: { checkpointId: string; projectId: string },
  ): AuditLogEntry {
    return {
      id,
      type,
      effectiveAt: NOW_S - 60,
      resourceId,
      actor,
      checkpointId: grant?.checkpointId ?? null,
      projectId: grant?.projectId ?? null,
    };
  }

  /** The audit log: the revocations since the cursor, and the creations by permission id (as `resource_ids[]` filters them). */
  class ScriptedAuditLog implements AuditLogSource {
    readonly requests: AuditLogPageRequest[] = [];
    constructor(
      private readonly revocations: readonly AuditLogEntry[],
      private readonly creations: readonly AuditLogEntry[],
      private readonly failTrace = false,
    ) {}
    async listAuditLogsPage(request: AuditLogPageRequest): Promise<AuditLogPage> {
      this.requests.push(request);
      if (request.resourceIds === undefined)
        return { entries: this.revocations, hasMore: false, lastId: null };
      if (this.failTrace) throw new Error('HTTP 503 (server_error): the audit log is unavailable');
      const wanted = new Set(request.resourceIds);
      const entries = this.creations.filter(
        (entry) => entry.resourceId !== null && wanted.has(entry.resourceId),
      );
      return { entries, hasMore: false, lastId: entries.at(-1)?.id ?? null };
    }
  }

  const polled: DiscoveryState = {
    ...emptyDiscoveryState(),
    watch: { newestAt: NOW_S - 600, recentIds: [] },
  };
  const noFindings = async (): Promise<FindingsState | null> => null;
  const requiring = policyOf({
    mode: 'enforce',
    allowedProjects: ['proj_core'],
    checkpoints: [
      { id: WEATHER, requiredProjects: ['proj_prod'] },
      { id: SUPPORT, allowedProjects: ['proj_support'] },
    ],
  });
  const created = [
    event('checkpoint.permission.created', 'audit_c1', 'cp_prod', {
      checkpointId: WEATHER,
      projectId: 'proj_prod',
    }),
    event('checkpoint.permission.created', 'audit_c2', 'cp_core', {
      checkpointId: WEATHER,
      projectId: 'proj_core',
    }),
    event('checkpoint.permission.created', 'audit_c3', 'cp_support', {
      checkpointId: SUPPORT,
      projectId: 'proj_prod',
    }),
  ];

  it('re-lists the checkpoint whose required project lost its grant, traced by the grant that was revoked', async () => {
    const log = new ScriptedAuditLog(
      [event('checkpoint.permission.deleted', 'audit_d1', 'cp_prod')],
      created,
    );

    const plan = await planWatchPoll(log, requiring, polled, noFindings, options);

    expect(plan.touched).toEqual([WEATHER]);
    expect(log.requests.map((request) => request.resourceIds ?? null)).toEqual([null, ['cp_prod']]);
    expect(log.requests[1]?.eventTypes).toEqual(['checkpoint.permission.created']);
    expect(plan.moved).toBe(true);
  });

  it('re-lists nothing for a revoked grant of a project not required there', async () => {
    const log = new ScriptedAuditLog(
      [
        event('checkpoint.permission.deleted', 'audit_d2', 'cp_core'),
        // proj_prod is required on WEATHER only: its grant on SUPPORT is nobody's concern.
        event('checkpoint.permission.deleted', 'audit_d3', 'cp_support'),
      ],
      created,
    );

    const plan = await planWatchPoll(log, requiring, polled, noFindings, options);

    expect(plan.touched).toEqual([]);
    expect(plan.moved).toBe(true);
  });

  it('asks the audit log nothing more when the policy requires no project', async () => {
    const log = new ScriptedAuditLog(
      [event('checkpoint.permission.deleted', 'audit_d1', 'cp_prod')],
      created,
    );
    const requiringNone = policyOf({
      mode: 'enforce',
      allowedProjects: ['proj_core'],
      checkpoints: [WEATHER],
    });

    const plan = await planWatchPoll(log, requiringNone, polled, noFindings, options);

    expect(plan.touched).toEqual([]);
    expect(log.requests).toHaveLength(1);
  });

  it('traces nothing for an open finding: its checkpoint is re-listed from the run store', async () => {
    const log = new ScriptedAuditLog(
      [event('checkpoint.permission.deleted', 'audit_d4', 'cp_stranger')],
      created,
    );
    const findings = async (): Promise<FindingsState> =>
      ({
        findings: [{ checkpointId: SUPPORT, projectId: 'proj_stranger', permissionId: 'cp_stranger' }],
      }) as unknown as FindingsState;

    const plan = await planWatchPoll(log, requiring, polled, findings, options);

    expect(plan.touched).toEqual([SUPPORT]);
    expect(log.requests).toHaveLength(1);
  });

  it('keeps its place when a revoked grant cannot be traced, so that the next poll reads the revocation again', async () => {
    const log = new ScriptedAuditLog(
      [event('checkpoint.permission.deleted', 'audit_d1', 'cp_prod')],
      created,
      true,
    );

    const plan = await planWatchPoll(log, requiring, polled, noFindings, options);

    expect(plan.touched).toEqual([]);
    expect(plan.moved).toBe(false);
    expect(plan.discovery.watch).toEqual(polled.watch);
  });
});
