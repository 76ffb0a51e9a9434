import type { NotifySetting } from '../../lambda/contract.js';
import type { AuditReport, RunStatus, Totals } from '../../lambda/core/report.js';
import { decideNotification, lastNotifiedAfter } from '../../lambda/notification.js';
import { audit, policyOf, WEATHER } from '../core/fixtures.js';
import { FakeClock, MemorySource, permission } from '../support/memory-source.js';

describe('notification', () => {
  const STARTED = '2026-12-10T03:00:00.000Z';

  /** A night with one open finding, recorded in a store: nothing new, nothing resolved, nothing done. */
  async function quietNight(): Promise<AuditReport> {
    const source = new MemorySource({ [WEATHER]: [permission('cp_stranger', 'proj_stranger')] });
    const report = await audit(
      policyOf({ allowedProjects: ['proj_core'], checkpoints: [WEATHER] }),
      source,
      {},
      new FakeClock(STARTED),
    );
    return { ...report, totals: { ...report.totals, new: 0, open: 1, resolved: 0 } };
  }

  function night(
    base: AuditReport,
    status: RunStatus | undefined,
    totals: Partial<Totals>,
    withStore = true,
  ): AuditReport {
    const merged = { ...base.totals, ...totals };
    const { new: _new, open: _open, resolved: _resolved, ...stateless } = merged;
    return { ...base, status: status ?? base.status, totals: withStore ? merged : stateless };
  }

  const changes = (reminderDays = 7) => ({ notify: 'changes' as NotifySetting, reminderDays });

  describe('notify: changes', () => {
    let quiet: AuditReport;

    beforeAll(async () => {
      quiet = await quietNight();
    });

    it.each<[string, RunStatus | undefined, Partial<Totals>, string]>([
      ['a new finding', 'findings', { new: 1 }, 'new findings'],
      ['a resolved finding', undefined, { resolved: 1 }, 'resolved findings'],
      ['a revocation', undefined, { revoked: 1 }, 'revocations'],
      ['a failed revocation', 'partial', { revokeFailed: 1 }, 'the run is partial, revocations'],
      ['a missing grant created', undefined, { created: 1 }, 'creations'],
      ['a failed creation', 'partial', { createFailed: 1 }, 'the run is partial, creations'],
      ['a failed run', 'error', {}, 'the run is error'],
    ])('%s is published, even the day after a message', (_what, status, totals, reason) => {
      const decision = decideNotification(
        night(quiet, status, totals),
        changes(),
        '2026-12-09T03:00:00.000Z',
      );

      expect(decision).toEqual({ publish: true, reason });
    });

    it('a night that changed nothing, open findings reported yesterday: nothing published', () => {
      const decision = decideNotification(quiet, changes(), '2026-12-09T03:00:00.000Z');

      expect(decision).toEqual({
        publish: false,
        reason: 'nothing changed; open findings last reported 2026-12-09, a reminder after 7 days',
      });
    });

    it.each([
      ['six calendar days before', '2026-12-04T02:59:00.000Z', false],
      ['seven days before, a minute later in the night than tonight', '2026-12-03T03:01:00.000Z', true],
      ['seven days before', '2026-12-03T03:00:00.000Z', true],
      ['thirty days before', '2026-11-10T03:00:00.000Z', true],
    ])('open findings last reported %s: a reminder (%s)', (_ago, last, publish) => {
      expect(decideNotification(quiet, changes(), last).publish).toBe(publish);
    });

    it('open findings never reported are published', () => {
      expect(decideNotification(quiet, changes(), null)).toEqual({
        publish: true,
        reason: 'open findings never reported',
      });
    });

    it('a clean night with nothing resolved is never published, however long ago the last message', () => {
      const clean = night(quiet, 'clean', { findings: 0, open: 0 });

      expect(decideNotification(clean, changes(1), null)).toEqual({
        publish: false,
        reason: 'nothing changed, nothing open',
      });
    });

    it('without a store nothing is known to be new: it publishes what findings-only would', () => {
      expect(decideNotification(night(quiet, undefined, {}, false), changes(), null).publish).toBe(true);
      expect(decideNotification(night(quiet, 'clean', { findings: 0 }, false), changes(), null).publish).toBe(
        false,
      );
    });
  });

  describe('always and findings-only', () => {
    it.each<[NotifySetting, RunStatus, boolean]>([
      ['always', 'clean', true],
      ['always', 'findings', true],
      ['findings-only', 'clean', false],
      ['findings-only', 'findings', true],
      ['findings-only', 'error', true],
    ])('notify %s, a run %s: published (%s)', async (notify, status, publish) => {
      const report = night(await quietNight(), status, {});

      expect(decideNotification(report, { notify, reminderDays: 7 }, STARTED).publish).toBe(publish);
    });
  });

  describe('when open findings were last reported', () => {
    it('a published run that audited lists them: its start', async () => {
      const report = await quietNight();

      expect(lastNotifiedAfter(report, { publish: true, reason: '' }, null)).toBe(STARTED);
    });

    it('a run not published keeps the time before', async () => {
      const report = await quietNight();

      expect(lastNotifiedAfter(report, { publish: false, reason: '' }, '2026-12-01T03:00:00.000Z')).toBe(
        '2026-12-01T03:00:00.000Z',
      );
    });

    it("a failed run's alert lists no findings: the time before is kept", async () => {
      const report = night(await quietNight(), 'error', {});

      expect(lastNotifiedAfter(report, { publish: true, reason: '' }, null)).toBeNull();
    });
  });
});
