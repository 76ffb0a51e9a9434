/**
 * The guard every cursor-paginated walk shares (permissions, projects, audit logs): a
 * page that says more pages follow but cannot lead to them — no data, no cursor, a
 * cursor already used — ends the walk instead of looping forever.
 */

export interface CursorStop {
  readonly code: 'EMPTY_PAGE' | 'NULL_CURSOR' | 'CURSOR_REPEATED';
  readonly reason: string;
}

/** The cursors of one walk: `after` for the next request, and every cursor used so far. */
export class CursorWalk {
  readonly #used = new Set<string>();
  #after: string | undefined;

  /** `after` for the next page request; undefined for the first page. */
  get after(): string | undefined {
    return this.#after;
  }

  /**
   * Moves past a page that said `has_more: true`. Returns why the walk must stop instead,
   * when the page cannot lead to the next one.
   */
  advance(itemCount: number, lastId: string | null): CursorStop | undefined {
    if (itemCount === 0) {
      return { code: 'EMPTY_PAGE', reason: 'the API said more pages follow but sent an empty page' };
    }
    if (lastId === null) {
      return {
        code: 'NULL_CURSOR',
        reason: 'the API said more pages follow but gave no cursor (last_id: null)',
      };
    }
    if (lastId === this.#after || this.#used.has(lastId)) {
      return {
        code: 'CURSOR_REPEATED',
        reason: `the pagination cursor did not advance (last_id ${lastId} repeated)`,
      };
    }
    this.#used.add(lastId);
    this.#after = lastId;
    return undefined;
  }
}
