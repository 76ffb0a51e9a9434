/**
 * Runs the CLI in this process, through `main(argv, io)` (what bin/checkpoint-guard.js
 * calls), and hands back its exit code and what it wrote on stdout and stderr.
 */
import { type CliIo, main } from '../../lambda/cli.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  stderrIsTty = false,
): Promise<CliResult> {
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
