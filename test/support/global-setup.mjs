/**
 * Jest's global setup: builds dist/ once before any test file runs, so the tests that start
 * the real `checkpoint-guard` process run the compiled CLI a user gets, from these sources.
 */
import { buildCli } from '../../scripts/build.mjs';

export default async function globalSetup() {
  await buildCli();
}
