/**
 * "Did you mean ...?" for a name that is not one of a known few: the known names a typo, a
 * change of case, a `_`, or a word left out or added most likely stood for.
 */

/** Lower case, without `_` or `-`: `policy_file`, `PolicyFile` and `policyfile` all read `policyfile`. */
const folded = (name: string) => name.toLowerCase().replace(/[_-]/g, '');

/**
 * Edits (insert, delete, replace, or swap two neighbours) that turn `a` into `b`: the optimal
 * string alignment distance.
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      const row = rows[i];
      if (row !== undefined) row[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The names of `known` that `name` was most likely meant to be, best first (at most three):
 * those within a few edits of it (a third of its length, at least two), ignoring case, `_`
 * and `-`; failing those, those that contain it or that it contains (`emails` for
 * `alertEmails`, `stackName` for `name`), when the shorter has four letters or more.
 * Empty when nothing is close.
 */
export function closestNames(name: string, known: readonly string[]): string[] {
  const wanted = folded(name);
  const allowed = Math.max(2, Math.floor(wanted.length / 3));
  const near = known
    .map((candidate) => ({ candidate, distance: editDistance(wanted, folded(candidate)) }))
    .filter(({ distance }) => distance <= allowed)
    .sort((x, y) => x.distance - y.distance)
    .map(({ candidate }) => candidate);
  if (near.length > 0) return near.slice(0, 3);
  return known
    .filter((candidate) => {
      const other = folded(candidate);
      const [shorter, longer] = other.length < wanted.length ? [other, wanted] : [wanted, other];
      return shorter.length >= 4 && longer.includes(shorter);
    })
    .slice(0, 3);
}
