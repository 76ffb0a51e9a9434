import { describeFaultMatrix } from './matrix.js';
import { MATRIX_PARTS } from './scenarios.js';

describeFaultMatrix(MATRIX_PARTS['server-errors-answers-and-hostile-input']);
