import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { permissionListSchema, readPermissionList } from '../../../lambda/adapters/openai/schemas.js';

/** A value for one field: of the contract's type or, as often, of another. */
const field = (valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.oneof(
    valid,
    fc.constantFrom(undefined, null, '', 'list', 'checkpoint.permission', 0, 1.5, 2 ** 53, -1, true, [], {}),
    fc.anything(),
  );

const permission = fc.record(
  {
    object: field(fc.constant('checkpoint.permission')),
    id: field(fc.string()),
    created_at: field(fc.integer()),
    project_id: field(fc.string()),
    region: fc.string(),
  },
  { requiredKeys: [] },
);

const page = fc.record(
  {
    object: field(fc.constant('list')),
    data: field(fc.array(field(permission), { maxLength: 4 })),
    first_id: field(fc.option(fc.string())),
    last_id: field(fc.option(fc.string())),
    has_more: field(fc.boolean()),
    extra: fc.anything(),
  },
  { requiredKeys: [] },
);

const validPage = fc.record(
  {
    object: fc.constant('list'),
    data: fc.array(
      fc.record({
        object: fc.constant('checkpoint.permission'),
        id: fc.string(),
        created_at: fc.maxSafeInteger(),
        project_id: fc.string(),
        region: fc.string(),
      }),
      { maxLength: 4 },
    ),
    first_id: fc.option(fc.string(), { nil: undefined }),
    last_id: fc.option(fc.option(fc.string()), { nil: undefined }),
    has_more: fc.boolean(),
  },
  { requiredKeys: ['object', 'data', 'has_more'] },
);

describe('openai/schemas', () => {
  describe('readPermissionList', () => {
    it('accepts nothing the schema refuses, and reads what the schema reads', () => {
      fc.assert(
        fc.property(page, (value) => {
          const read = readPermissionList(value);
          if (read === undefined) return;
          const parsed = permissionListSchema.safeParse(value);

          expect(parsed.success).toBe(true);
          expect(parsed.data).toEqual({
            object: read.object,
            data: read.data.map(({ object, id, created_at, project_id }) => ({
              object,
              id,
              created_at,
              project_id,
            })),
            first_id: read.first_id,
            last_id: read.last_id,
            has_more: read.has_more,
          });
        }),
        { numRuns: 2000 },
      );
    });

    it('reads every page of the contract itself, without the schema', () => {
      fc.assert(
        fc.property(validPage, (value) => {
          expect(readPermissionList(value)).toBe(value);
        }),
      );
    });

    it.each([
      ['a fractional created_at', { created_at: 1.5 }],
      ['an unsafe created_at', { created_at: 2 ** 53 }],
      ['a numeric project_id', { project_id: 7 }],
      ['another object type', { object: 'checkpoint' }],
    ])('leaves %s to the schema', (_case, change) => {
      const item = { object: 'checkpoint.permission', id: 'cp_1', created_at: 1, project_id: 'p', ...change };

      expect(readPermissionList({ object: 'list', data: [item], has_more: false })).toBeUndefined();
    });
  });
});
