import type { Test } from '@jest/test-result';
import Sequencer from '@jest/test-sequencer';

export declare const SLOWEST_FIRST: readonly string[];
export default class SlowestFirstSequencer extends Sequencer {
  sort(tests: Array<Test>): Array<Test>;
}
