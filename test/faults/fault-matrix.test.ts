/**
 * The fault matrix: every scenario of scenarios.ts, on the CLI and on the Lambda.
 */
import { describeFaultMatrix } from './matrix.js';
import { SCENARIOS } from './scenarios.js';

describeFaultMatrix(SCENARIOS);
