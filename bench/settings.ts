/** The benchmark's command line: its options, their defaults, and the usage text. */
import { parseArgs } from 'node:util';
import { DEFAULT_CONCURRENCY } from '../lambda/core/audit.js';
import type { WorkloadShape } from './workload-shape.js';

export const USAGE = `Usage: npm run bench -- [options]

  --checkpoints N      workloads A and B: checkpoints (default 500)
  --grants N           workloads A and B: grants per checkpoint (default 120)
  --latency-ms MS      workloads A and B: emulator latency per request (default 25)
  --rate N             workload B: requests per second before 429 (default 40)
  --concurrency N      checkpoint-guard's concurrency (default: its own, ${DEFAULT_CONCURRENCY})
  --c-checkpoints N    workload C: checkpoints (default 2000)
  --c-grants N         workload C: grants per checkpoint (default 500)
  --import-runs N      cold start: fresh processes timed (default 7)
  --only LIST          comma-separated subset of A,B,C,cold (default all)
  --check              exit 1 when a target is missed
`;

export interface Settings {
  readonly shape: WorkloadShape;
  readonly latencyMs: number;
  readonly rate: number;
  readonly concurrency: number | undefined;
  readonly bigShape: WorkloadShape;
  readonly importRuns: number;
  readonly only: ReadonlySet<string>;
  readonly check: boolean;
}

/** The settings `argv` asks for; `undefined` for `--help`. Throws on a bad option, with the usage. */
export function readSettings(argv: readonly string[]): Settings | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      checkpoints: { type: 'string', default: '500' },
      grants: { type: 'string', default: '120' },
      'latency-ms': { type: 'string', default: '25' },
      rate: { type: 'string', default: '40' },
      concurrency: { type: 'string' },
      'c-checkpoints': { type: 'string', default: '2000' },
      'c-grants': { type: 'string', default: '500' },
      'import-runs': { type: 'string', default: '7' },
      only: { type: 'string', default: 'A,B,C,cold' },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return undefined;
  const integer = (name: string, text: string | undefined, min: number): number => {
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min) {
      throw new Error(`--${name} must be a whole number of at least ${min}, got "${text}"\n\n${USAGE}`);
    }
    return value;
  };
  const only = new Set(values.only.split(',').map((part) => part.trim()));
  for (const part of only) {
    if (!['A', 'B', 'C', 'cold'].includes(part))
      throw new Error(`--only: unknown part "${part}"\n\n${USAGE}`);
  }
  return {
    shape: {
      checkpoints: integer('checkpoints', values.checkpoints, 1),
      grants: integer('grants', values.grants, 1),
    },
    latencyMs: integer('latency-ms', values['latency-ms'], 0),
    rate: integer('rate', values.rate, 1),
    concurrency: values.concurrency === undefined ? undefined : integer('concurrency', values.concurrency, 1),
    bigShape: {
      checkpoints: integer('c-checkpoints', values['c-checkpoints'], 1),
      grants: integer('c-grants', values['c-grants'], 1),
    },
    importRuns: integer('import-runs', values['import-runs'], 1),
    only,
    check: values.check,
  };
}
