/**
 * The fault matrix's table: every row (scenarios/, one file per kind of failure), in
 * the parts the matrix runs in. Each part has its test file, fault-matrix.<part>.test.ts,
 * so that Jest's workers share the rows; a part's rows take about as long as another's.
 *
 * Adding a scenario is adding a row to the file of its kind. A row says what to break
 * and what the report must then say (see scenarios/scenario.ts).
 */
import { AWS } from './scenarios/aws.js';
import { BASELINE } from './scenarios/baseline.js';
import { CREATION } from './scenarios/creation.js';
import { HOSTILE_DATA } from './scenarios/hostile-data.js';
import { HOSTILE_POLICY } from './scenarios/hostile-policy.js';
import { LOOKUPS } from './scenarios/lookups.js';
import { MALFORMED_ANSWERS } from './scenarios/malformed-answers.js';
import { PAGINATION } from './scenarios/pagination.js';
import { RATE_LIMITS } from './scenarios/rate-limits.js';
import { REFUSALS } from './scenarios/refusals.js';
import { REVOCATION } from './scenarios/revocation.js';
import { RUN_STORE } from './scenarios/run-store.js';
import type { Scenario } from './scenarios/scenario.js';
import { SERVER_ERRORS } from './scenarios/server-errors.js';
import { TRANSPORT } from './scenarios/transport.js';

export const MATRIX_PARTS = {
  // Three parts, not one per kind: every part loads the whole program (the CLI, the handler, the
  // emulator, the AWS SDK) once, about 1.5 s of CPU. Each pairs rows that spend their time in
  // retry waits with rows that compute, and takes about as long as another (12 to 17 s).
  'rate-limits-and-creation': [...RATE_LIMITS, ...CREATION],
  'transport-revocation-lookups-and-aws': [...TRANSPORT, ...REVOCATION, ...LOOKUPS, ...AWS],
  'server-errors-answers-and-hostile-input': [
    ...SERVER_ERRORS,
    BASELINE,
    ...MALFORMED_ANSWERS,
    ...PAGINATION,
    ...REFUSALS,
    ...HOSTILE_POLICY,
    ...HOSTILE_DATA,
    ...RUN_STORE,
  ],
} as const satisfies Record<string, readonly Scenario[]>;

export type MatrixPart = keyof typeof MATRIX_PARTS;

/** Every row, once. */
export const SCENARIOS: readonly Scenario[] = Object.values(MATRIX_PARTS).flat();
