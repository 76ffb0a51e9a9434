/**
 * The order Jest starts the test files in. Jest starts the slowest first, from the durations it
 * recorded on this machine, so that no long file starts last and runs on alone. A machine with
 * no record (a fresh clone, CI) gets Jest's guess instead, the largest file first, and that
 * guess is wrong here twice over: the files that run rooms (`import './x.spec.js'`, see
 * test/infra/infra.test.ts) are a few lines long, and the slowest files spend their time
 * in processes they start or stacks they synthesize, not in their own lines. So until Jest has
 * timed every file, the files below start first, in this order (measured on two cores), and the
 * rest follow Jest's guess. The order is the one Jest chose from its own durations in the
 * fastest run measured (44 s). Starting the matrix's waiting parts early, beside the heaviest
 * files, was tried and was slower (51 s): the files that compute then competed for the cores.
 */
import TestSequencerModule from '@jest/test-sequencer';

// The package is CommonJS: its class is the default export's `default`.
const Sequencer = TestSequencerModule.default ?? TestSequencerModule;

/** Paths from the repository root; test/suite/test-order.test.ts checks that each exists. */
export const SLOWEST_FIRST = [
  'test/core/core.test.ts',
  'test/app/app-layer.test.ts',
  'test/app/bundled.test.ts',
  'test/infra/app.test.ts',
  'test/infra/infra.test.ts',
  'test/faults/fault-matrix.rate-limits-and-creation.test.ts',
  'test/faults/fault-matrix.transport-revocation-lookups-and-aws.test.ts',
  'test/faults/fault-matrix.server-errors-answers-and-hostile-input.test.ts',
  'test/adapters/adapters.test.ts',
  'test/faults/security.test.ts',
];

export default class SlowestFirstSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    if (sorted.every((test) => test.duration != null)) return sorted;
    const rank = (test) => {
      const index = SLOWEST_FIRST.findIndex((path) => test.path.endsWith(`/${path}`));
      return index === -1 ? SLOWEST_FIRST.length : index;
    };
    // Array.prototype.sort is stable: the rest keep Jest's order.
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}
