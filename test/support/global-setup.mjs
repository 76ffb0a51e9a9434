/**
 * Jest's global setup: builds dist/ once before any test file runs, so the tests that start
 * the real `checkpoint-guard` process run the compiled CLI a user gets, from these sources.
 * The rest of the package (the construct library) is built by the one test that packs it
 * (test/package), so the other runs do not wait for it.
 */
import { buildCli } from '../../scripts/build.mjs';

export default async function globalSetup() {
  await buildCli();
}
