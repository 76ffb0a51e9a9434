/**
 * The `checkpoint-guard` command line: the CLI composition root. It reads flags
 * and environment, runs the same engine as the Lambda, prints the report on
 * stdout and problems on stderr, and maps the verdict to an exit code.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRedactor } from './adapters/openai/index.js';
import { openRunStore } from './adapters/store/open-run-store.js';
import { auditedPolicy, effectiveMode, openClient, runCheckpointAudit } from './audit-runner.js';
import {
  type CommandName,
  commandHelp,
  type Flags,
  parseCommandLine,
  usage,
  usageError,
} from './cli-arguments.js';
import type { DiscoveryState } from './core/discovery.js';
import { readProjectDirectory } from './core/enrichment.js';
import { CheckpointGuardError, type ConfigIssue } from './core/errors.js';
import { readEvidence } from './core/evidence.js';
import { type AuditMode, type LoadedPolicy, type Policy, parsePolicy } from './core/policy.js';
import { loadPolicyDocumentText } from './core/policy-document.js';
import { jsonReportChunks } from './core/render-json.js';
import { textReportLines, verdictLine } from './core/render-text.js';
import { type AuditReport, isFailedRun } from './core/report.js';
import { requiredProjectWarnings } from './core/required-project-check.js';
import { historyCsv, historyJson, historyText, readHistory } from './core/run-history.js';
import { readDiscoveryState, readFindingsState, recordRun } from './core/run-recorder.js';
import { printable } from './core/sanitize.js';
import { policyFileText } from './policy-file.js';
import { ReportFile } from './report-file.js';
import { restoreCommand } from './restore-command.js';
import { TUNING_RANGES, WHOLE_NUMBER } from './setting-rules.js';
import { runWatchCommand } from './watch-command.js';

/** 0: clean. 1: findings (unexpected grants, missing required grants). 2: error, partial run, or invalid input. */
export const EXIT = { clean: 0, findings: 1, failure: 2 } as const;

export interface CliIo {
  /** Resolves once the text is handed on, so a large report is written no faster than it is read. */
  readonly stdout: (text: string) => void | Promise<void>;
  readonly stderr: (text: string) => void | Promise<void>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Progress is shown only when stderr is a terminal. */
  readonly stderrIsTty: boolean;
  /**
   * Calls `handler` on Ctrl-C instead of exiting, until the returned function is called: a
   * watch loop ends after its current poll. Absent: Ctrl-C is the process's default.
   */
  readonly onInterrupt?: (handler: () => void) => () => void;
}

/**
 * A flag's value the command cannot use: said with the command's synopsis (see `main`), exit
 * code 2.
 */
class FlagError extends CheckpointGuardError {
  constructor(message: string) {
    super('ERR_CONFIG', message);
    this.name = 'FlagError';
  }
}

function integerFlag(
  flag: string,
  value: string | undefined,
  range: { readonly min: number; readonly max: number },
): number | undefined {
  if (value === undefined) return undefined;
  const parsed = WHOLE_NUMBER.test(value) ? Number(value) : Number.NaN;
  if (!(parsed >= range.min && parsed <= range.max)) {
    throw new FlagError(`--${flag} must be a whole number from ${range.min} to ${range.max}, got "${value}"`);
  }
  return parsed;
}

const DURATION_UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** `--deadline 90s`: a duration of at least a second and at most a day. */
function durationFlag(flag: string, value: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(value);
  const ms =
    match === null
      ? Number.NaN
      : Number(match[1]) * DURATION_UNITS_MS[match[2] as keyof typeof DURATION_UNITS_MS];
  if (!(ms >= 1000 && ms <= 24 * 3_600_000)) {
    throw new FlagError(`--${flag} must be a duration from 1s to 24h such as 90s, 15m or 1h, got "${value}"`);
  }
  return ms;
}

function format(flags: Flags): 'text' | 'json' {
  if (flags.format !== 'text' && flags.format !== 'json') {
    throw new FlagError(`--format must be text or json, got "${flags.format}"`);
  }
  return flags.format;
}

/** The policy named by `--policy` (JSON, or YAML for `.yaml` and `.yml`), validated now. */
async function policyFlag(path: string | undefined): Promise<LoadedPolicy> {
  if (path === undefined) throw new FlagError('--policy FILE is required');
  return loadPolicyDocumentText(policyFileText(path), path, new Date());
}

/**
 * What the policy's mode and `--enforce` make of a run when they disagree: either way the run
 * reports and revokes nothing.
 */
function modeMismatch(policyMode: AuditMode, enforce: boolean): string | undefined {
  if (policyMode === 'enforce' && !enforce) {
    return 'note: the policy says "mode": "enforce", but --enforce was not given: report mode, nothing is revoked\n';
  }
  if (policyMode === 'report' && enforce) {
    return 'warning: --enforce was given, but the policy says "mode": "report": report mode, nothing is revoked (set "mode": "enforce" in the policy to allow revocations)\n';
  }
  return undefined;
}

/** The policy's warnings, on stderr before a run starts. */
async function warnAboutPolicy(io: CliIo, file: string, loaded: LoadedPolicy): Promise<void> {
  for (const warning of loaded.warnings)
    await io.stderr(`warning: ${file}: ${warning.path}: ${warning.message}\n`);
}

function exitCodeOf(report: AuditReport): number {
  if (report.status === 'clean') return EXIT.clean;
  if (report.status === 'findings') return EXIT.findings;
  return EXIT.failure;
}

/** The report as chunks, never as one string: a million findings would not fit in one. */
function* reportChunks(report: AuditReport, as: 'text' | 'json'): Generator<string> {
  if (as === 'json') {
    yield* jsonReportChunks(report);
    yield '\n';
    return;
  }
  for (const line of textReportLines(report)) yield `${line}\n`;
}

/** Writes chunks in batches, each awaited, so a slow reader holds the writer back. */
async function writeChunks(write: CliIo['stdout'], chunks: Iterable<string>): Promise<void> {
  let batch = '';
  for (const chunk of chunks) {
    batch += chunk;
    if (batch.length >= 1 << 16) {
      await write(batch);
      batch = '';
    }
  }
  if (batch !== '') await write(batch);
}

function progress(io: CliIo, total: number): { onCheckpointListed(): void } {
  let done = 0;
  return {
    onCheckpointListed() {
      done++;
      if (io.stderrIsTty)
        void io.stderr(`\rauditing checkpoints: ${done}/${total}${done === total ? '\n' : ''}`);
    },
  };
}

async function audit(flags: Flags, io: CliIo): Promise<number> {
  const as = format(flags);
  const concurrency = integerFlag('concurrency', flags.concurrency, TUNING_RANGES.concurrency);
  const timeoutMs = integerFlag('timeout-ms', flags['timeout-ms'], TUNING_RANGES.timeoutMs);
  const maxRetries = integerFlag('max-retries', flags['max-retries'], TUNING_RANGES.maxRetries);
  const deadlineMs = durationFlag('deadline', flags.deadline);
  const loaded = await policyFlag(flags.policy);
  const adminKey = io.env.OPENAI_ADMIN_KEY;
  if (adminKey === undefined || adminKey.trim() === '') {
    throw new CheckpointGuardError(
      'ERR_MISSING_KEY',
      'OPENAI_ADMIN_KEY is not set: export the organization admin API key',
    );
  }
  await warnAboutPolicy(io, flags.policy ?? '', loaded);
  // Every output is proven usable before the first request: a run that revokes must leave its record.
  const store = flags.state !== undefined ? await openRunStore(flags.state) : undefined;
  const readBefore = store !== undefined ? await readFindingsState(store) : undefined;
  const discoveryBefore = store !== undefined ? await readDiscoveryState(store) : undefined;
  const since = sinceFlag(flags.since);
  if (since !== undefined && store !== undefined) {
    throw new FlagError(
      '--since applies to a run without --state: with a store, discovery goes on from its cursor',
    );
  }
  const reportFile = flags.output !== undefined ? await ReportFile.open(flags.output) : undefined;
  let report: AuditReport;
  let discovered: DiscoveryState | undefined;
  try {
    report = await runCheckpointAudit({
      discovery: {
        previous: discoveryBefore?.state ?? null,
        ...(since !== undefined ? { since: Date.parse(since) } : {}),
        onState: (state) => {
          discovered = state;
        },
      },
      loaded,
      mode: effectiveMode(loaded.policy.mode, flags.enforce),
      adminKey: adminKey.trim(),
      baseUrl: io.env.OPENAI_BASE_URL,
      deadline: Date.now() + deadlineMs,
      ...(concurrency !== undefined ? { concurrency } : {}),
      client: {
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        ...(maxRetries !== undefined ? { retry: { maxRetries } } : {}),
      },
      observer: progress(io, loaded.policy.checkpoints.length),
    });
    if (store !== undefined && readBefore !== undefined && discoveryBefore !== undefined) {
      report = await recordRun(store, report, auditedPolicy(loaded.policy, discovered), {
        readBefore,
        ...(discovered !== undefined ? { discovery: { readBefore: discoveryBefore, next: discovered } } : {}),
      });
    }
  } catch (error) {
    await reportFile?.discard();
    throw error;
  }
  // Said with the run's outcome, next to its report: a run that could not start says only why.
  const mismatch = modeMismatch(loaded.policy.mode, flags.enforce);
  if (mismatch !== undefined) await io.stderr(mismatch);
  if (reportFile !== undefined) {
    try {
      await reportFile.write(reportChunks(report, as));
    } catch (error) {
      // What the run did must not be lost with the file: the report goes to stderr instead.
      const why = error instanceof Error ? error.message : String(error);
      await io.stderr(`checkpoint-guard: ${why}; the report follows on stderr\n`);
      await writeChunks(io.stderr, reportChunks(report, as));
      await io.stderr(`${verdictLine(report)}\n`);
      return EXIT.failure;
    }
    await io.stderr(`${verdictLine(report)}\nreport written to ${reportFile.path}\n`);
  } else {
    await writeChunks(io.stdout, reportChunks(report, as));
    // A failed run must be visible even when stdout goes to a file or a pipe.
    if (isFailedRun(report.status)) await io.stderr(`${verdictLine(report)}\n`);
  }
  return exitCodeOf(report);
}

/** `watch`: polls of the audit log, each re-listing only what new events touched. */
async function watch(flags: Flags, io: CliIo): Promise<number> {
  const as = format(flags);
  if (flags.state === undefined) {
    throw new FlagError(
      '--state LOCATION is required: watch keeps its place in the audit log in the run store',
    );
  }
  const intervalMs = durationFlag('interval', flags.interval);
  const loaded = await policyFlag(flags.policy);
  const adminKey = io.env.OPENAI_ADMIN_KEY?.trim();
  if (adminKey === undefined || adminKey === '') {
    throw new CheckpointGuardError(
      'ERR_MISSING_KEY',
      'OPENAI_ADMIN_KEY is not set: export the organization admin API key',
    );
  }
  await warnAboutPolicy(io, flags.policy ?? '', loaded);
  // Before the first poll: a loop runs until Ctrl-C.
  const mismatch = modeMismatch(loaded.policy.mode, flags.enforce);
  if (mismatch !== undefined) await io.stderr(mismatch);
  const store = await openRunStore(flags.state);
  const stop = new AbortController();
  const release = flags.once ? undefined : io.onInterrupt?.(() => stop.abort());
  try {
    return await runWatchCommand({
      loaded,
      mode: effectiveMode(loaded.policy.mode, flags.enforce),
      adminKey,
      baseUrl: io.env.OPENAI_BASE_URL,
      store,
      intervalMs,
      once: flags.once,
      pollDeadlineMs: durationFlag('deadline', flags.deadline),
      stop: stop.signal,
      print: async (report, quiet) => {
        if (quiet && as === 'text') await io.stdout(`${verdictLine(report)}\n`);
        else await writeChunks(io.stdout, reportChunks(report, as));
        if (isFailedRun(report.status)) await io.stderr(`${verdictLine(report)}\n`);
        return exitCodeOf(report);
      },
    });
  } finally {
    release?.();
  }
}

/** `--since 2026-01-01` (that day, UTC) or an ISO 8601 instant. */
function sinceFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const instant = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : Date.parse(value);
  if (!Number.isFinite(instant) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
    throw new FlagError(`--since must be a date such as 2026-01-01 or an ISO 8601 date-time, got "${value}"`);
  }
  return new Date(instant).toISOString();
}

/** One line per recorded run, newest first, or the evidence page: the evidence export. */
async function history(flags: Flags, io: CliIo): Promise<number> {
  if (flags.state === undefined) throw new FlagError('--state LOCATION is required');
  const as = flags.format;
  if (as !== 'text' && as !== 'json' && as !== 'csv' && as !== 'html') {
    throw new FlagError(`--format must be text, json, csv or html, got "${as}"`);
  }
  const since = sinceFlag(flags.since);
  const store = await openRunStore(flags.state);
  const file = flags.output !== undefined ? await ReportFile.open(flags.output) : undefined;
  let body: string;
  let problems: readonly string[] = [];
  try {
    if (as === 'html') {
      const evidence = await readEvidence(store, since);
      problems = evidence.problems;
      // The page's renderer is loaded only for it: no other command draws HTML.
      const { renderEvidencePage } = await import('./core/evidence-page.js');
      body = renderEvidencePage(evidence, new Date().toISOString());
    } else {
      const runs = await readHistory(store, since);
      body = as === 'json' ? historyJson(runs) : as === 'csv' ? historyCsv(runs) : historyText(runs);
    }
  } catch (error) {
    await file?.discard();
    throw error;
  }
  for (const problem of problems) await io.stderr(`warning: ${printable(problem, 500)}\n`);
  if (file === undefined) {
    await io.stdout(body);
  } else {
    // Redacted like everything the CLI prints (stdout is, by main's io).
    await file.write([outputRedactor(io.env)(body)]);
    await io.stderr(`history written to ${file.path}\n`);
  }
  // A page that could not read everything is incomplete evidence.
  return problems.length > 0 ? EXIT.failure : EXIT.clean;
}

/** Re-creates the grants a recorded run revoked (only with --apply). */
async function restore(flags: Flags, io: CliIo): Promise<number> {
  if (flags.state === undefined) throw new FlagError('--state LOCATION is required');
  if (flags.run === undefined) throw new FlagError('--run RUN_ID is required (see checkpoint-guard history)');
  const adminKey = io.env.OPENAI_ADMIN_KEY?.trim();
  if (adminKey === undefined || adminKey === '') {
    throw new CheckpointGuardError(
      'ERR_MISSING_KEY',
      'OPENAI_ADMIN_KEY is not set: export the organization admin API key',
    );
  }
  return restoreCommand({
    state: flags.state,
    runId: flags.run,
    ...(flags.checkpoint !== undefined ? { checkpointId: flags.checkpoint } : {}),
    ...(flags.project !== undefined ? { projectId: flags.project } : {}),
    apply: flags.apply,
    ...(flags.policy !== undefined ? { policy: (await policyFlag(flags.policy)).policy } : {}),
    adminKey,
    baseUrl: io.env.OPENAI_BASE_URL,
    env: io.env,
    print: io.stdout,
    warn: io.stderr,
  });
}

async function validate(flags: Flags, io: CliIo): Promise<number> {
  const { policy, warnings } = await policyFlag(flags.policy);
  const organization = await organizationWarnings(policy, io);
  for (const warning of [...warnings, ...organization])
    await io.stderr(
      `warning: ${flags.policy}: ${warning.path ? `${warning.path}: ` : ''}${warning.message}\n`,
    );
  await io.stdout(
    `${flags.policy}: valid (${policy.checkpoints.length} checkpoints, ${policy.exemptions.length} exemptions, mode ${policy.mode}, at most ${policy.maxRevocationsPerRun} revocations and ${policy.maxCreationsPerRun} creations per run)\n`,
  );
  return EXIT.clean;
}

/** How long `validate` may spend reading the project list. */
const VALIDATE_LOOKUP_MS = 60_000;

/**
 * With an admin key, the projects the policy requires checked against the organization's project
 * list: one archived or unknown is a warning. Without a key, or with `lookups.projectNames`
 * off, nothing is asked; a list that cannot be read is one warning, never a failure.
 */
async function organizationWarnings(policy: Policy, io: CliIo): Promise<ConfigIssue[]> {
  const adminKey = io.env.OPENAI_ADMIN_KEY?.trim();
  if (adminKey === undefined || adminKey === '') return [];
  if (policy.requiredProjectPaths.size === 0 || !policy.lookups.projectNames) return [];
  const client = openClient({
    adminKey,
    baseUrl: io.env.OPENAI_BASE_URL,
    deadline: Date.now() + VALIDATE_LOOKUP_MS,
  });
  try {
    const read = await readProjectDirectory(client, { clock: { now: () => Date.now() } });
    if ('unavailable' in read) {
      return [
        { path: '', message: `requiredProjects not checked against the organization: ${read.unavailable}` },
      ];
    }
    return requiredProjectWarnings(policy, (projectId) => {
      const project = read.directory.get(projectId);
      if (project === undefined) return { status: 'unknown', archivedAt: null };
      return {
        status: project.archived ? 'archived' : 'active',
        archivedAt: project.archivedAt === null ? null : new Date(project.archivedAt * 1000).toISOString(),
      };
    });
  } finally {
    client.close();
  }
}

/**
 * Runs a report-mode audit of a seeded organization on a local emulator (no key, no network),
 * two nights in a row with a run store in a temporary folder, and prints the second night:
 * one finding new, others open since the night before, one resolved.
 */
async function demo(flags: Flags, io: CliIo): Promise<number> {
  const as = format(flags);
  const now = new Date();
  const nightBefore = now.getTime() - 24 * 60 * 60 * 1000;
  const adminKey = `sk-admin-demo-${Math.random().toString(36).slice(2)}`;
  // Loaded only here: the emulator is the demo's, not something audit or validate need.
  const { startOpenAIEmulator } = await import('./emulator/openai/index.js');
  const { changeDemoOrganizationOvernight, demoPolicy, seedDemoOrganization } = await import(
    './emulator/demo-organization.js'
  );
  const { LocalFolderStore } = await import('./adapters/store/local-folder-store.js');
  const emulator = await startOpenAIEmulator({ adminKey });
  const storeFolder = await mkdtemp(join(tmpdir(), 'checkpoint-guard-demo-'));
  try {
    const store = new LocalFolderStore(storeFolder);
    const loaded = parsePolicy(demoPolicy(now), 'the demo policy', now);
    let discovered: DiscoveryState | undefined;
    const night = async (clock: { now(): number }): Promise<AuditReport> => {
      const discoveryBefore = await readDiscoveryState(store);
      const report = await runCheckpointAudit({
        loaded,
        mode: 'report',
        adminKey,
        baseUrl: emulator.baseUrl,
        clock,
        discovery: {
          previous: discoveryBefore.state,
          onState: (state) => {
            discovered = state;
          },
        },
      });
      return recordRun(store, report, auditedPolicy(loaded.policy, discovered), {
        ...(discovered !== undefined ? { discovery: { readBefore: discoveryBefore, next: discovered } } : {}),
      });
    };
    seedDemoOrganization(emulator, now);
    const first = await night({ now: () => nightBefore + (Date.now() - now.getTime()) });
    changeDemoOrganizationOvernight(emulator, now);
    const report = isFailedRun(first.status) ? first : await night({ now: () => Date.now() });
    await writeChunks(io.stdout, reportChunks(report, as));
    // Findings are the point of the demo; only a failed run is a failure here.
    return isFailedRun(report.status) ? EXIT.failure : EXIT.clean;
  } finally {
    await emulator.close();
    await rm(storeFolder, { recursive: true, force: true });
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

/** The version in the package's package.json (next to dist/ and lambda/ alike). */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

const RUN: Readonly<Record<CommandName, (flags: Flags, io: CliIo) => Promise<number>>> = {
  audit,
  watch,
  history,
  restore,
  validate,
  demo,
};

/** Entry point: returns the exit code; never throws. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const redact = outputRedactor(io.env);
  const safeIo: CliIo = {
    ...io,
    stdout: (text) => io.stdout(redact(text)),
    stderr: (text) => io.stderr(redact(text)),
  };
  let debug = argv.includes('--debug');
  let command: CommandName | undefined;
  try {
    const line = parseCommandLine(argv);
    if (line.kind === 'version') {
      await safeIo.stdout(`${packageVersion()}\n`);
      return EXIT.clean;
    }
    if (line.kind === 'help') {
      await safeIo.stdout(line.command !== undefined ? commandHelp(line.command) : usage());
      return EXIT.clean;
    }
    ({ command } = line);
    debug = line.flags.debug;
    return await RUN[command](line.flags, safeIo);
  } catch (error) {
    if (error instanceof FlagError) {
      await safeIo.stderr(`checkpoint-guard: ${usageError(error.message, command).message}\n`);
    } else if (error instanceof CheckpointGuardError) {
      await safeIo.stderr(`checkpoint-guard: ${error.message}\n`);
    } else {
      const message = error instanceof Error ? error.message : String(error);
      await safeIo.stderr(
        `checkpoint-guard: unexpected error: ${message}${debug ? '' : ' (run with --debug for details)'}\n`,
      );
    }
    if (debug && error instanceof Error && error.stack) await safeIo.stderr(`${error.stack}\n`);
    return EXIT.failure;
  }
}

/**
 * A stream write that resolves when the text is handed to the system, and does nothing once the
 * reader has gone (`| head -1` closes the pipe: that is not the run's failure, and the exit code
 * still says what the run found).
 */
function streamWriter(stream: NodeJS.WriteStream): (text: string) => Promise<void> {
  let closed = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    closed = true;
  });
  return (text) =>
    closed
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          stream.write(text, () => resolve());
        });
}

/** Runs the CLI on this process's arguments and streams, setting the exit code. */
export async function runFromProcess(): Promise<void> {
  process.exitCode = await main(process.argv.slice(2), {
    stdout: streamWriter(process.stdout),
    stderr: streamWriter(process.stderr),
    env: process.env,
    stderrIsTty: process.stderr.isTTY === true,
    // The first Ctrl-C ends a watch after its poll; a second one is Node's default (exit at once).
    onInterrupt: (handler) => {
      process.once('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runFromProcess();
