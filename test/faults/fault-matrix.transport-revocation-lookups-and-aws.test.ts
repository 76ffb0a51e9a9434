import { describeFaultMatrix } from './matrix.js';
import { MATRIX_PARTS } from './scenarios.js';

describeFaultMatrix(MATRIX_PARTS['transport-revocation-lookups-and-aws']);
