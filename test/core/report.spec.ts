import { readFileSync } from 'node:fs';
import { CheckpointGuardError, type ErrorCode } from '../../lambda/core/errors.js';
import {
  type CheckpointResult,
  computeRunStatus,
  computeTotals,
  isFailedRun,
  isRequestFailureCode,
  notAudited,
  type ReasonCode,
  type RunStatus,
} from '../../lambda/core/report.js';

/** Every reason code: the compiler refuses this object when the union gains or loses one. */

describe('report', () => {
  const EVERY_REASON_CODE: Record<ReasonCode, true> = {
    ERR_OPENAI_AUTH: true,
    ERR_OPENAI_FORBIDDEN: true,
    ERR_OPENAI_NOT_FOUND: true,
    ERR_OPENAI_BAD_REQUEST: true,
    ERR_OPENAI_QUOTA: true,
    ERR_OPENAI_RATE_LIMITED: true,
    ERR_OPENAI_SERVER: true,
    ERR_OPENAI_NETWORK: true,
    ERR_OPENAI_TIMEOUT: true,
    ERR_OPENAI_INVALID_RESPONSE: true,
    ERR_INVALID_ID: true,
    EMPTY_PAGE: true,
    NULL_CURSOR: true,
    CURSOR_REPEATED: true,
    PAGE_CAP: true,
    DEADLINE: true,
    RUN_ABORTED: true,
    ERR_UNEXPECTED: true,
  };

  function checkpoint(status: CheckpointResult['status']): CheckpointResult {
    return { id: `ft:m:${status}`, status, pagesRead: 1, permissionsSeen: 0, allowed: 0, findings: [] };
  }

  describe('isFailedRun', () => {
    it.each<[RunStatus, boolean]>([
      ['clean', false],
      ['findings', false],
      ['partial', true],
      ['error', true],
    ])('a %s run is failed: %s', (status, failed) => {
      expect(isFailedRun(status)).toBe(failed);
    });
  });

  describe('notAudited', () => {
    it('counts incomplete and refused checkpoints, not clean ones or ones with findings', () => {
      const totals = computeTotals(
        (['clean', 'findings', 'incomplete', 'incomplete', 'error'] as const).map(checkpoint),
      );

      expect(notAudited(totals)).toBe(3);
    });

    it('decides the run status: every checkpoint unaudited is an error, some is partial', () => {
      const all = [checkpoint('incomplete'), checkpoint('error')];
      const some = [checkpoint('clean'), checkpoint('error')];

      expect(computeRunStatus(all, computeTotals(all))).toBe('error');
      expect(computeRunStatus(some, computeTotals(some))).toBe('partial');
    });
  });

  describe('reason codes', () => {
    it('a listing keeps the code of an OpenAI request failure, but not of a DELETE or of configuration', () => {
      const cases: [ErrorCode, boolean][] = [
        ['ERR_OPENAI_TIMEOUT', true],
        ['ERR_INVALID_ID', true],
        ['ERR_OPENAI_NOT_DELETED', false],
        ['ERR_CONFIG', false],
        ['ERR_SSM', false],
      ];

      expect(cases.map(([code]) => isRequestFailureCode(new CheckpointGuardError(code, 'x').code))).toEqual(
        cases.map(([, kept]) => kept),
      );
    });

    it('the report reference documents every reason code, one table row each', () => {
      const reference = readFileSync(new URL('../../docs/report.md', import.meta.url), 'utf8');

      const undocumented = Object.keys(EVERY_REASON_CODE).filter(
        (code) => !reference.includes(`| \`${code}\` |`),
      );

      expect(undocumented).toEqual([]);
    });
  });
});
