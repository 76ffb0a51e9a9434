import { describe, expect, it } from '@jest/globals';
import { formatPath } from '../../lambda/core/zod-path.js';

describe('zod-path', () => {
  describe('formatPath', () => {
    it.each([
      [['checkpoints', 3, 'allowedProjects', 0], 'checkpoints[3].allowedProjects[0]'],
      [['data', 2, 'project_id'], 'data[2].project_id'],
      [[0, 'id'], '[0].id'],
      [['OPENAI_BASE_URL'], 'OPENAI_BASE_URL'],
      [['lookups', 'projectNames'], 'lookups.projectNames'],
      [[], ''],
    ] as const)(
      'writes the zod path %j as %p, in policies, settings and API responses alike',
      (path, expected) => {
        expect(formatPath(path)).toBe(expected);
      },
    );
  });
});
