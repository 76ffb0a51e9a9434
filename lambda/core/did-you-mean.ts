/**
 * "Did you mean": the closest of the words a place accepts to a word it did not, for a
 * misspelled policy key (`maxRevocations`), enum value, command or option. One rule for all.
 */

/**
 * Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`, case-insensitively:
 * the optimal string alignment distance.
 */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) {
        best = Math.min(best, (beforePrevious[j - 2] ?? 0) + 1);
      }
      row.push(best);
    }
    beforePrevious = previous;
    previous = row;
  }
  return previous[t.length] ?? 0;
}

/** Shortest word whose start alone makes it a suggestion (`expires` for `expiresAt`). */
const MIN_PREFIX_LENGTH = 4;

/**
 * The candidate `word` most likely meant, or `undefined` when none is close: within a third of
 * its length in edits (at least one), or the start or the whole of it (`maxRevocations` for
 * `maxRevocationsPerRun`). The closest wins; a tie goes to the first candidate.
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const other = candidate.toLowerCase();
    const distance = editDistance(word, candidate);
    const [shorter, longer] = lower.length <= other.length ? [lower, other] : [other, lower];
    const close =
      distance <= Math.max(1, Math.floor(word.length / 3)) ||
      (shorter.length >= MIN_PREFIX_LENGTH && longer.startsWith(shorter));
    if (close && (best === undefined || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}
