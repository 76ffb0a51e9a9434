/** Runs the CLI in this process through `main(argv, io)`, capturing what it prints. */
import { type CliIo, main } from '../../lambda/cli.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  stderrIsTty = false,
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env,
    stderrIsTty,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
