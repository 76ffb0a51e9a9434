/**
 * What an invalid policy is told, in this project's words: each problem located by its path,
 * what was found, what is accepted, and for a misspelled key or value what was most likely meant.
 */
import { PolicyError } from '../../lambda/core/errors.js';
import { parsePolicy } from '../../lambda/core/policy.js';
import { NOW, WEATHER } from './fixtures.js';

describe('policy-messages', () => {
  function issuesOf(raw: unknown): { path: string; message: string }[] {
    try {
      parsePolicy(raw, 'policy.json', new Date(NOW));
    } catch (error) {
      if (error instanceof PolicyError) return error.issues.map(({ path, message }) => ({ path, message }));
      throw error;
    }
    throw new Error('expected the policy to be rejected');
  }

  const exemption = { projectId: 'proj_vendor', reason: 'ticket SEC-142', expiresAt: '2030-01-01' };

  describe('an unknown key', () => {
    it.each([
      {
        where: 'at the top level',
        raw: { checkpoints: [WEATHER], maxRevocations: 3 },
        path: '',
        message: 'unknown key "maxRevocations" (did you mean "maxRevocationsPerRun"?)',
      },
      {
        where: 'in an exemption',
        raw: { checkpoints: [WEATHER], exemptions: [{ ...exemption, expires: '2030-01-01' }] },
        path: 'exemptions[0]',
        message: 'unknown key "expires" (did you mean "expiresAt"?)',
      },
      {
        where: 'in a checkpoint object',
        raw: { checkpoints: [{ id: WEATHER, allowedProject: ['proj_a'] }] },
        path: 'checkpoints[0]',
        message: 'unknown key "allowedProject" (did you mean "allowedProjects"?)',
      },
      {
        where: 'in lookups',
        raw: { checkpoints: [WEATHER], lookups: { projectName: false } },
        path: 'lookups',
        message: 'unknown key "projectName" (did you mean "projectNames"?)',
      },
    ])('$where is named with the key it most likely meant', ({ raw, path, message }) => {
      expect(issuesOf(raw)).toEqual([{ path, message }]);
    });

    it('that resembles no key is named with the keys accepted there', () => {
      expect(issuesOf({ checkpoints: [WEATHER], lookups: { colour: 'red' } })).toEqual([
        {
          path: 'lookups',
          message: 'unknown key "colour"; the keys here are $comment, projectNames, grantedBy',
        },
      ]);
    });

    it('several are named in one message, each with its own suggestion', () => {
      expect(issuesOf({ checkpoints: [WEATHER], mdoe: 'report', colour: 'red' })).toEqual([
        { path: '', message: 'unknown key "mdoe" (did you mean "mode"?); unknown key "colour"' },
      ]);
    });

    it('thousands are named ten at a time, the rest counted', () => {
      const raw = Object.fromEntries([
        ['checkpoints', [WEATHER]],
        ...Array.from({ length: 5000 }, (_, n) => [`extra${n}`, n]),
      ]);

      const [issue] = issuesOf(raw);

      expect(issue?.message.match(/unknown key "/g)).toHaveLength(10);
      expect(issue?.message).toContain('and 4990 more unknown keys');
    });
  });

  describe('a wrong value', () => {
    it.each([
      {
        what: 'a mode in capitals',
        raw: { checkpoints: [WEATHER], mode: 'ENFORCE' },
        issue: {
          path: 'mode',
          message: 'must be "report" or "enforce", not the string "ENFORCE": did you mean "enforce"?',
        },
      },
      {
        what: 'a mode that is no mode',
        raw: { checkpoints: [WEATHER], mode: true },
        issue: { path: 'mode', message: 'must be "report" or "enforce", not true' },
      },
      {
        what: 'unlistedCheckpoints misspelled',
        raw: { checkpoints: [WEATHER], unlistedCheckpoints: 'audits' },
        issue: {
          path: 'unlistedCheckpoints',
          message:
            'must be one of "report", "audit", "ignore", not the string "audits": did you mean "audit"?',
        },
      },
      {
        what: 'a number written as a string',
        raw: { checkpoints: [WEATHER], maxRevocationsPerRun: '10' },
        issue: { path: 'maxRevocationsPerRun', message: 'must be a number, not the string "10"' },
      },
      {
        what: 'a fraction',
        raw: { checkpoints: [WEATHER], maxRevocationsPerRun: 1.5 },
        issue: { path: 'maxRevocationsPerRun', message: 'must be a whole number, not 1.5' },
      },
      {
        what: 'a cap of 0',
        raw: { checkpoints: [WEATHER], maxRevocationsPerRun: 0 },
        issue: { path: 'maxRevocationsPerRun', message: 'must be at least 1' },
      },
      {
        what: 'a cap too high',
        raw: { checkpoints: [WEATHER], maxRevocationsPerRun: 10_001 },
        issue: { path: 'maxRevocationsPerRun', message: 'must be at most 10000' },
      },
      {
        what: 'one project instead of a list',
        raw: { checkpoints: [WEATHER], allowedProjects: 'proj_core' },
        issue: { path: 'allowedProjects', message: 'must be a list, not the string "proj_core"' },
      },
      {
        what: 'a lookup switch written as a string',
        raw: { checkpoints: [WEATHER], lookups: { grantedBy: 'no' } },
        issue: { path: 'lookups.grantedBy', message: 'must be true or false, not the string "no"' },
      },
      {
        what: 'a missing project id',
        raw: { checkpoints: [WEATHER], exemptions: [{ reason: 'ticket SEC-1', expiresAt: '2030-01-01' }] },
        issue: { path: 'exemptions[0].projectId', message: 'is required' },
      },
      {
        what: 'a policy that is a list',
        raw: [WEATHER],
        issue: { path: '', message: 'must be an object, not a list' },
      },
    ])('$what says what it found and what is accepted', ({ raw, issue }) => {
      expect(issuesOf(raw)).toEqual([issue]);
    });

    it("the schema's own words win over the generic ones", () => {
      expect(issuesOf({ checkpoints: [] })).toEqual([
        { path: 'checkpoints', message: 'must list at least one checkpoint to audit' },
      ]);
    });
  });
});
