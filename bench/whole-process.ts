/**
 * Whole processes, timed from start to exit as a user would time them: `checkpoint-guard
 * audit` (bin/checkpoint-guard.js, the compiled CLI that `npm run bench` builds first) and
 * the peer script over the official SDK (bench/sdk-peer.ts compiled to plain JavaScript the
 * same way, the SDK imported from node_modules as a user's script would). Neither pays for a
 * TypeScript loader. Both get the emulator's base URL and key, run with the benchmark's
 * policy and finding lookups off, and are judged on what they printed. `checkpoint-guard
 * history` is timed the same way, over a run store the `history` workload recorded.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { AuditReport } from '../lambda/core/report.js';
import type { RunningEmulator } from './ipc.js';
import { reportFigures } from './report-figures.js';
import type { PeerJob, PeerOutcome } from './sdk-peer.js';
import { type WorkloadShape, workloadPolicy } from './workload-shape.js';

export interface WholeProcessRun {
  /** From spawning the process to its exit. */
  readonly wallMs: number;
  readonly exitCode: number | null;
  readonly checkpoints: number;
  /** Checkpoints not fully listed: `incomplete` or `error` for ours, a thrown listing for the peer. */
  readonly failed: number;
  readonly permissionsSeen: number;
  readonly firstFailure?: string;
}

const CLI = fileURLToPath(new URL('../bin/checkpoint-guard.js', import.meta.url));
const PEER_SOURCE = fileURLToPath(new URL('./sdk-peer.ts', import.meta.url));
// Under node_modules, so that the compiled script finds `openai` the way a user's script does.
const PEER = fileURLToPath(
  new URL('../node_modules/.cache/checkpoint-guard-bench/sdk-peer.mjs', import.meta.url),
);
let peerCompiled: Promise<unknown> | undefined;

/** Compiles the peer script once per benchmark: its own code bundled, its packages left to node_modules. */
function compilePeer(): Promise<unknown> {
  peerCompiled ??= build({
    entryPoints: [PEER_SOURCE],
    outfile: PEER,
    bundle: true,
    packages: 'external',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  return peerCompiled;
}
const PROCESS_TIMEOUT_MS = 5 * 60 * 1000;

interface Finished {
  readonly wallMs: number;
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `args` under this Node, timed from spawn to exit; a non-zero exit is a result, not an error. */
function timed(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Finished> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...args],
      { env, timeout: PROCESS_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const wallMs = performance.now() - start;
        if (error && typeof error.code !== 'number') {
          reject(new Error(`${args.join(' ')}: ${error.message}`, { cause: error }));
          return;
        }
        resolve({ wallMs, exitCode: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

/** The environment of a measured process: this one's, without its loader options, plus `extra`. */
function childEnv(extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _loader, ...env } = process.env;
  return { ...env, ...extra };
}

/** `checkpoint-guard audit --format json --output FILE` against `emulator`, in its own process. */
export async function timeCheckpointGuardProcess(
  emulator: RunningEmulator,
  shape: WorkloadShape,
  concurrency: number | undefined,
): Promise<WholeProcessRun> {
  const dir = await mkdtemp(join(tmpdir(), 'checkpoint-guard-bench-'));
  try {
    const policyFile = join(dir, 'policy.json');
    const reportFile = join(dir, 'report.json');
    await writeFile(policyFile, JSON.stringify(workloadPolicy(shape, false)));
    const args = [CLI, 'audit', '--policy', policyFile, '--format', 'json', '--output', reportFile];
    if (concurrency !== undefined) args.push('--concurrency', String(concurrency));
    const run = await timed(
      args,
      childEnv({ OPENAI_BASE_URL: emulator.baseUrl, OPENAI_ADMIN_KEY: emulator.adminKey }),
    );
    let report: AuditReport;
    try {
      report = JSON.parse(await readFile(reportFile, 'utf8')) as AuditReport;
    } catch {
      return {
        wallMs: run.wallMs,
        exitCode: run.exitCode,
        checkpoints: shape.checkpoints,
        failed: shape.checkpoints,
        permissionsSeen: 0,
        firstFailure: `no report (exit ${run.exitCode}): ${run.stderr.trim().slice(0, 300)}`,
      };
    }
    const { checkpoints, failed, permissionsSeen, firstFailure } = reportFigures(report);
    return {
      wallMs: run.wallMs,
      exitCode: run.exitCode,
      checkpoints,
      failed,
      permissionsSeen,
      ...(firstFailure !== undefined ? { firstFailure } : {}),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `checkpoint-guard history --state FOLDER --format FORMAT` in its own process: its time, and the bytes it printed. */
export async function timeHistoryProcess(
  folder: string,
  format: 'text' | 'json',
): Promise<{ readonly wallMs: number; readonly exitCode: number | null; readonly stdoutBytes: number }> {
  const run = await timed([CLI, 'history', '--state', folder, '--format', format], childEnv({}));
  return { wallMs: run.wallMs, exitCode: run.exitCode, stdoutBytes: Buffer.byteLength(run.stdout) };
}

/** The SDK script (bench/sdk-peer.ts) against `emulator`, in its own process. */
export async function timeSdkPeerProcess(
  emulator: RunningEmulator,
  shape: WorkloadShape,
  concurrency: number,
): Promise<WholeProcessRun> {
  const job: PeerJob = { baseUrl: emulator.baseUrl, adminKey: emulator.adminKey, shape, concurrency };
  await compilePeer();
  const run = await timed([PEER, JSON.stringify(job)], childEnv({}));
  let outcome: PeerOutcome;
  try {
    outcome = JSON.parse(run.stdout) as PeerOutcome;
  } catch {
    throw new Error(`the SDK script printed no outcome (exit ${run.exitCode}): ${run.stderr.slice(0, 500)}`);
  }
  return {
    wallMs: run.wallMs,
    exitCode: run.exitCode,
    checkpoints: outcome.checkpoints,
    failed: outcome.failed,
    permissionsSeen: outcome.permissionsSeen,
    ...(outcome.firstFailure !== undefined ? { firstFailure: outcome.firstFailure } : {}),
  };
}
