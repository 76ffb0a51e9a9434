/** The benchmark's results: one row per figure, rendered as one aligned plain-text table. */

export interface Row {
  readonly workload: string;
  readonly figure: string;
  readonly value: string;
  readonly target?: string;
  /** Absent: a figure without a target. */
  readonly pass?: boolean;
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
export const times = (ratio: number): string => `${ratio.toFixed(2)}x`;

/** The middle value; the mean of the two middle ones for an even count. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function renderTable(rows: readonly Row[]): string {
  const header: Row = { workload: 'workload', figure: 'figure', value: 'value', target: 'target' };
  const cells = [header, ...rows].map((row, index) => [
    row.workload,
    row.figure,
    row.value,
    row.target ?? '',
    index === 0 ? 'result' : row.pass === undefined ? '' : row.pass ? 'pass' : 'MISS',
  ]);
  const widths =
    cells[0]?.map((_, column) => Math.max(...cells.map((line) => (line[column] as string).length))) ?? [];
  const line = (values: readonly string[]): string =>
    values
      .map((value, column) => value.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(cells[0] ?? []), rule, ...cells.slice(1).map(line)].join('\n');
}
