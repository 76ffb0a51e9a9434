import { describeFaultMatrix } from './matrix.js';
import { MATRIX_PARTS } from './scenarios.js';

describeFaultMatrix(MATRIX_PARTS['rate-limits-and-creation']);
