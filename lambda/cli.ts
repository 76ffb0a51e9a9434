/**
 * The `checkpoint-guard` command line: the CLI composition root. It reads flags
 * and environment, runs the same engine as the Lambda, prints the report on
 * stdout and problems on stderr, and maps the verdict to an exit code.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createRedactor } from './adapters/openai/index.js';
import { effectiveMode, runCheckpointAudit } from './audit-runner.js';
import { CheckpointGuardError, PolicyError } from './core/errors.js';
import { type LoadedPolicy, parsePolicy, parsePolicyText } from './core/policy.js';
import { renderJson } from './core/render-json.js';
import { renderText, verdictLine } from './core/render-text.js';
import { type AuditReport, isFailedRun } from './core/report.js';

/** 0: clean. 1: findings. 2: error, partial run, or invalid input. */
export const EXIT = { clean: 0, findings: 1, failure: 2 } as const;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Progress is shown only when stderr is a terminal. */
  readonly stderrIsTty: boolean;
}

const USAGE = `Usage:
  checkpoint-guard audit --policy FILE [--enforce] [--format text|json] [--output FILE]
                         [--concurrency N] [--timeout-ms MS] [--max-retries N] [--debug]
  checkpoint-guard validate --policy FILE
  checkpoint-guard demo [--format text|json]

Environment:
  OPENAI_ADMIN_KEY   organization admin API key (sk-admin-...), required by audit
  OPENAI_BASE_URL    API base URL (default https://api.openai.com/v1; https only, except loopback)

Exit codes: 0 clean, 1 unexpected grants found, 2 error, incomplete run or invalid input.
`;

export const OPTIONS = {
  policy: { type: 'string' },
  enforce: { type: 'boolean', default: false },
  format: { type: 'string', default: 'text' },
  output: { type: 'string' },
  concurrency: { type: 'string' },
  'timeout-ms': { type: 'string' },
  'max-retries': { type: 'string' },
  debug: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function usageError(message: string): CheckpointGuardError {
  return new CheckpointGuardError('ERR_CONFIG', `${message}\n\n${USAGE}`);
}

function integerFlag(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) {
    throw usageError(`--${flag} must be an integer of at least ${min}, got "${value}"`);
  }
  return parsed;
}

function format(flags: Flags): 'text' | 'json' {
  if (flags.format !== 'text' && flags.format !== 'json') {
    throw usageError(`--format must be text or json, got "${flags.format}"`);
  }
  return flags.format;
}

async function loadPolicyFile(path: string | undefined): Promise<LoadedPolicy> {
  if (path === undefined) throw usageError('--policy FILE is required');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new PolicyError(path, [{ path: '', message: `cannot read: ${reason}` }]);
  }
  return parsePolicyText(text, path, new Date());
}

function exitCodeOf(report: AuditReport): number {
  if (report.status === 'clean') return EXIT.clean;
  if (report.status === 'findings') return EXIT.findings;
  return EXIT.failure;
}

function render(report: AuditReport, as: 'text' | 'json'): string {
  return as === 'json' ? `${renderJson(report)}\n` : renderText(report);
}

function progress(io: CliIo, total: number): { onCheckpointListed(): void } {
  let done = 0;
  return {
    onCheckpointListed() {
      done++;
      if (io.stderrIsTty) io.stderr(`\rauditing checkpoints: ${done}/${total}${done === total ? '\n' : ''}`);
    },
  };
}

async function audit(flags: Flags, io: CliIo): Promise<number> {
  const as = format(flags);
  const concurrency = integerFlag('concurrency', flags.concurrency, 1);
  const timeoutMs = integerFlag('timeout-ms', flags['timeout-ms'], 1);
  const maxRetries = integerFlag('max-retries', flags['max-retries'], 0);
  const loaded = await loadPolicyFile(flags.policy);
  const adminKey = io.env.OPENAI_ADMIN_KEY;
  if (adminKey === undefined || adminKey.trim() === '') {
    throw new CheckpointGuardError(
      'ERR_MISSING_KEY',
      'OPENAI_ADMIN_KEY is not set: export the organization admin API key',
    );
  }
  for (const warning of loaded.warnings)
    io.stderr(`warning: ${flags.policy}: ${warning.path}: ${warning.message}\n`);
  const report = await runCheckpointAudit({
    loaded,
    mode: effectiveMode(loaded.policy.mode, flags.enforce),
    adminKey: adminKey.trim(),
    baseUrl: io.env.OPENAI_BASE_URL,
    ...(concurrency !== undefined ? { concurrency } : {}),
    client: {
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(maxRetries !== undefined ? { retry: { maxRetries } } : {}),
    },
    observer: progress(io, loaded.policy.checkpoints.length),
  });
  if (loaded.policy.mode === 'enforce' && !flags.enforce) {
    io.stderr('note: the policy says enforce, but --enforce was not given: nothing was revoked\n');
  }
  const output = render(report, as);
  if (flags.output !== undefined) {
    await writeFile(flags.output, output);
    io.stderr(`${verdictLine(report)}\nreport written to ${flags.output}\n`);
  } else {
    io.stdout(output);
    // A failed run must be visible even when stdout goes to a file or a pipe.
    if (isFailedRun(report.status)) io.stderr(`${verdictLine(report)}\n`);
  }
  return exitCodeOf(report);
}

async function validate(flags: Flags, io: CliIo): Promise<number> {
  const { policy, warnings } = await loadPolicyFile(flags.policy);
  for (const warning of warnings)
    io.stderr(`warning: ${flags.policy}: ${warning.path}: ${warning.message}\n`);
  io.stdout(
    `${flags.policy}: valid (${policy.checkpoints.length} checkpoints, ${policy.exemptions.length} exemptions, mode ${policy.mode}, at most ${policy.maxRevocationsPerRun} revocations per run)\n`,
  );
  return EXIT.clean;
}

/** Runs a report-mode audit of a seeded organization on a local emulator: no key, no network. */
async function demo(flags: Flags, io: CliIo): Promise<number> {
  const as = format(flags);
  const now = new Date();
  const adminKey = `sk-admin-demo-${Math.random().toString(36).slice(2)}`;
  // Loaded only here: the emulator is the demo's, not something audit or validate need.
  const { startOpenAIEmulator } = await import('./emulator/openai/index.js');
  const { demoPolicy, seedDemoOrganization } = await import('./emulator/demo-organization.js');
  const emulator = await startOpenAIEmulator({ adminKey });
  try {
    seedDemoOrganization(emulator, now);
    const loaded = parsePolicy(demoPolicy(now), 'the demo policy', now);
    const report = await runCheckpointAudit({ loaded, mode: 'report', adminKey, baseUrl: emulator.baseUrl });
    io.stdout(render(report, as));
    // Findings are the point of the demo; only a failed run is a failure here.
    return isFailedRun(report.status) ? EXIT.failure : EXIT.clean;
  } finally {
    await emulator.close();
  }
}

/**
 * Shortest admin key searched for in the output. A shorter one is no real admin key, and
 * replacing each of its occurrences in a report would shred it and show, by where
 * `[REDACTED]` lands, what the key is. Secret-looking text is redacted whatever the key.
 */
const MIN_REDACTED_KEY_LENGTH = 8;

/** Redacts every line the CLI prints: the admin key (trimmed, as the client gets it) and anything secret-looking. */
function outputRedactor(env: CliIo['env']): (text: string) => string {
  const key = env.OPENAI_ADMIN_KEY?.trim() ?? '';
  return createRedactor(key.length >= MIN_REDACTED_KEY_LENGTH ? [key] : [], { keepLines: true });
}

/** Entry point: returns the exit code; never throws. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const redact = outputRedactor(io.env);
  const safeIo: CliIo = {
    ...io,
    stdout: (text) => io.stdout(redact(text)),
    stderr: (text) => io.stderr(redact(text)),
  };
  let debug = argv.includes('--debug');
  try {
    const { values: flags, positionals } = parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: true,
    });
    debug = flags.debug;
    const [command, ...extra] = positionals;
    if (flags.help || command === 'help') {
      safeIo.stdout(USAGE);
      return EXIT.clean;
    }
    if (extra.length > 0) throw usageError(`unexpected argument "${extra[0]}"`);
    switch (command) {
      case 'audit':
        return await audit(flags, safeIo);
      case 'validate':
        return await validate(flags, safeIo);
      case 'demo':
        return await demo(flags, safeIo);
      case undefined:
        throw usageError('a command is required');
      default:
        throw usageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof CheckpointGuardError) {
      safeIo.stderr(`checkpoint-guard: ${error.message}\n`);
    } else if (
      error instanceof TypeError &&
      (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      safeIo.stderr(`checkpoint-guard: ${error.message}\n\n${USAGE}`);
    } else {
      const message = error instanceof Error ? error.message : String(error);
      safeIo.stderr(
        `checkpoint-guard: unexpected error: ${message}${debug ? '' : ' (run with --debug for details)'}\n`,
      );
    }
    if (debug && error instanceof Error && error.stack) safeIo.stderr(`${error.stack}\n`);
    return EXIT.failure;
  }
}

/** Runs the CLI on this process's arguments and streams, setting the exit code. */
export async function runFromProcess(): Promise<void> {
  process.exitCode = await main(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    stderrIsTty: process.stderr.isTTY === true,
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runFromProcess();
