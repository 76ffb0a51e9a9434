/**
 * A listing that contradicts itself cannot be acted on: a permission id seen again
 * on a later page for a different project makes the checkpoint incomplete, so nothing
 * is revoked on it (the fault matrix found the engine revoking on the first version).
 */
import { MemorySource, page, permission } from '../support/memory-source.js';
import { audit, policyOf, SUPPORT, WEATHER } from './fixtures.js';

describe('audit-listing-consistency', () => {
  const policy = policyOf({
    mode: 'enforce',
    allowedProjects: ['proj_core'],
    checkpoints: [WEATHER, SUPPORT],
  });

  describe('a permission listed twice', () => {
    it('for two different projects, the checkpoint is incomplete and nothing on it is revoked', async () => {
      const source = new MemorySource({ [SUPPORT]: [permission('cp_other', 'proj_intruder')] }).scriptPages(
        WEATHER,
        [
          page([permission('cp_1', 'proj_core'), permission('cp_twice', 'proj_intruder')], true),
          page([permission('cp_twice', 'proj_core')], false),
        ],
      );

      const report = await audit(policy, source);

      expect(report.checkpoints[0]).toMatchObject({
        status: 'incomplete',
        reasonCode: 'ERR_OPENAI_INVALID_RESPONSE',
        reason: 'permission cp_twice is listed for two projects (proj_intruder, then proj_core)',
      });
      expect(report.checkpoints[0]?.findings.map((f) => f.action)).toEqual(['halted']);
      expect(source.deleteCalls).toEqual([
        { kind: 'delete', checkpointId: SUPPORT, permissionId: 'cp_other' },
      ]);
    });

    it('escapes the ids it names', async () => {
      const source = new MemorySource({ [SUPPORT]: [] }).scriptPages(WEATHER, [
        page([permission('cp_\nforged', 'proj_a\u2028')], true),
        page([permission('cp_\nforged', 'proj_b')], false),
      ]);

      const report = await audit(policy, source);

      expect(report.checkpoints[0]?.reason).toBe(
        'permission cp_\\nforged is listed for two projects (proj_a\\u2028, then proj_b)',
      );
    });

    it('for the same project, it is the same grant: counted once, and the listing is complete', async () => {
      const source = new MemorySource({ [SUPPORT]: [] }).scriptPages(WEATHER, [
        page([permission('cp_twice', 'proj_core')], true),
        page([permission('cp_twice', 'proj_core')], false),
      ]);

      const report = await audit(policy, source);

      expect(report.checkpoints[0]).toMatchObject({ status: 'clean', permissionsSeen: 1 });
    });
  });
});
