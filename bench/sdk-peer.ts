/**
 * The peer: what a user who does not install checkpoint-guard writes, a script over the
 * official `openai` SDK. It lists each checkpoint's permissions with the SDK's
 * auto-pagination (`client.fineTuning.checkpoints.permissions.list`, pages of 100), a few
 * checkpoints at a time, with the SDK's own retries and defaults, and counts the grants to
 * projects that are not on the allowlist. A checkpoint whose listing throws is failed.
 *
 * Run as a whole process by bench/whole-process.ts, one JSON argument (`PeerJob`); it
 * prints one `PeerOutcome` as JSON on stdout and exits 0.
 */
import OpenAI from 'openai';
import { type WorkloadShape, workloadPolicy } from './workload-shape.js';

export interface PeerJob {
  readonly baseUrl: string;
  readonly adminKey: string;
  readonly shape: WorkloadShape;
  /** Checkpoints listed at once. */
  readonly concurrency: number;
}

export interface PeerOutcome {
  readonly checkpoints: number;
  /** Checkpoints whose listing threw (after the SDK's own retries). */
  readonly failed: number;
  readonly permissionsSeen: number;
  readonly unexpected: number;
  readonly firstFailure?: string;
}

const job = JSON.parse(process.argv[2] ?? '{}') as PeerJob;
const policy = workloadPolicy(job.shape, false);
const allowed = new Set(policy.allowedProjects);
// The permission endpoints take the admin key (`adminAPIKey`); the SDK does not send `apiKey` to them.
const client = new OpenAI({ baseURL: job.baseUrl, adminAPIKey: job.adminKey });

let next = 0;
let failed = 0;
let permissionsSeen = 0;
let unexpected = 0;
let firstFailure: string | undefined;

async function worker(): Promise<void> {
  for (let index = next++; index < policy.checkpoints.length; index = next++) {
    const checkpoint = policy.checkpoints[index] as string;
    try {
      for await (const permission of client.fineTuning.checkpoints.permissions.list(checkpoint, {
        limit: 100,
      })) {
        permissionsSeen++;
        if (!allowed.has(permission.project_id)) unexpected++;
      }
    } catch (error) {
      failed++;
      firstFailure ??= error instanceof Error ? error.message : String(error);
    }
  }
}

await Promise.all(Array.from({ length: job.concurrency }, worker));
const outcome: PeerOutcome = {
  checkpoints: policy.checkpoints.length,
  failed,
  permissionsSeen,
  unexpected,
  ...(firstFailure !== undefined ? { firstFailure } : {}),
};
process.stdout.write(`${JSON.stringify(outcome)}\n`);
