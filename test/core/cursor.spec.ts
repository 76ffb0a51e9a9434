import { CursorWalk } from '../../lambda/core/cursor.js';

describe('cursor', () => {
  describe('a cursor walk', () => {
    it('starts without a cursor and follows each last_id', () => {
      const walk = new CursorWalk();
      const before = walk.after;

      const first = walk.advance(100, 'cp_100');
      const second = walk.advance(100, 'cp_200');

      expect([before, first, second, walk.after]).toEqual([undefined, undefined, undefined, 'cp_200']);
    });

    it.each([
      { page: 'an empty page', itemCount: 0, lastId: 'cp_1', code: 'EMPTY_PAGE' },
      { page: 'a page without a cursor', itemCount: 5, lastId: null, code: 'NULL_CURSOR' },
    ])('stops on $page that says more follow', ({ itemCount, lastId, code }) => {
      expect(new CursorWalk().advance(itemCount, lastId)?.code).toBe(code);
    });

    it('stops when the cursor repeats the previous one', () => {
      const walk = new CursorWalk();
      walk.advance(1, 'cp_1');

      expect(walk.advance(1, 'cp_1')).toMatchObject({
        code: 'CURSOR_REPEATED',
        reason: expect.stringContaining('cp_1'),
      });
      expect(walk.after).toBe('cp_1');
    });

    it('stops when the cursor goes back to any earlier one (a cycle)', () => {
      const walk = new CursorWalk();
      walk.advance(1, 'cp_1');
      walk.advance(1, 'cp_2');

      expect(walk.advance(1, 'cp_1')?.code).toBe('CURSOR_REPEATED');
    });
  });
});
