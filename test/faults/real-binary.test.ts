/**
 * The one run of the real `checkpoint-guard` process (bin/checkpoint-guard.js, through
 * tsx). The matrix drives the CLI in-process through `main(argv, io)`; this proves what
 * only the process can: the shim loads the sources, `main`'s exit code becomes the
 * process's, its text reaches the real stdout and stderr, and the process exits on its
 * own. The row is the one most likely to keep a process alive: a server that never
 * answers, whose abandoned connections must not hold the event loop open.
 */
import { runRow, useRowFixtures } from './matrix.js';
import { SCENARIOS } from './scenarios.js';
import { runCliProcess } from './targets.js';

const NEVER_ANSWERS = 'a server that never answers: every attempt times out';

const fixtures = useRowFixtures();

it(`the real binary keeps the invariants and the row's expectations: ${NEVER_ANSWERS}`, async () => {
  const scenario = SCENARIOS.find((s) => s.name === NEVER_ANSWERS);
  if (!scenario) throw new Error(`no scenario "${NEVER_ANSWERS}"`);

  await runRow('cli', scenario, { ...fixtures(), runCli: runCliProcess });
}, 30_000);
