/**
 * The run store of a row's run (`scenario.store`): set up before the run as the row's
 * behaviour says, and read back after it, byte for byte.
 *
 * Each target keeps its store where it would in use: the CLI in a folder (`--state DIR`, its
 * embedded default), the Lambda in S3 (STATE_BUCKET, at the bucket's root), here the fake S3
 * of test/support/fake-s3.ts, which the SDK reaches through AWS_ENDPOINT_URL_S3. The CLI keeps
 * its store in S3 (`--state s3://bucket/prefix`) only where a folder cannot produce the fault:
 * an endpoint that refuses connections, and writes refused (a folder's permissions do not stop
 * root, and the suite may run as root).
 */
import type { Dirent } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { FINDINGS_STATE_SCHEMA_VERSION } from '../../lambda/core/finding-history.js';
import { STATE_KEY } from '../../lambda/core/run-store.js';
import { FAKE_S3_SECRET, startFakeS3 } from '../support/fake-s3.js';
import type { StoreBehaviour, StoreObjects, Target } from './scenarios/scenario.js';

const BUCKET = 'checkpoint-guard-faults';
/** The CLI's S3 store sits under a prefix, as an operator's `s3://bucket/prefix` would. */
const CLI_PREFIX = 'nightly';

/** The state object a behaviour starts from (the others start from an empty store). */
const STATE_BEFORE: Partial<Readonly<Record<StoreBehaviour, string>>> = {
  // Cut off where another tool, or a full disk, left it.
  'corrupt-state': '{"schemaVersion": 1, "runId": "night-0", "findings": [{"checkpointId": "ft:gpt-4o',
  'not-a-state': '{"schemaVersion": 1, "runId": "night-0", "findings": {"proj_stranger": "open"}}\n',
  'newer-schema': `${JSON.stringify(
    {
      schemaVersion: FINDINGS_STATE_SCHEMA_VERSION + 1,
      runId: 'night-0',
      runStartedAt: '2026-01-01T03:00:00.000Z',
      lastNotifiedAt: null,
      findings: [],
      suppressed: [],
    },
    null,
    2,
  )}\n`,
};

/** How a target is pointed at its store. */
export interface StoreWiring {
  /** As the operator writes it: the CLI's `--state`; for the Lambda, `s3://` and its bucket. */
  readonly location: string;
  /** The Lambda's STATE_BUCKET (an S3 store's bucket). */
  readonly bucket?: string;
  /** What the AWS SDK reads from the process environment to reach the fake S3 (nothing for a folder). */
  readonly awsEnv: Readonly<Record<string, string>>;
}

export interface StoreFixture extends StoreWiring {
  /** Every object in the store now. */
  objects(): Promise<StoreObjects>;
  close(): Promise<void>;
}

/** Where a target keeps a store that behaves so: in S3, or in a folder. */
function inS3(behaviour: StoreBehaviour, target: Target): boolean {
  return target === 'lambda' || behaviour === 'unreachable' || behaviour === 'write-fails-after-audit';
}

async function s3Store(behaviour: StoreBehaviour, target: Target): Promise<StoreFixture> {
  const s3 = await startFakeS3();
  const prefix = target === 'cli' ? `${CLI_PREFIX}/` : '';
  const location = `s3://${BUCKET}${target === 'cli' ? `/${CLI_PREFIX}` : ''}`;
  const state = STATE_BEFORE[behaviour];
  if (state !== undefined) s3.objects.set(`${BUCKET}/${prefix}${STATE_KEY}`, state);
  if (behaviour === 'write-fails-after-audit') s3.failWritesWith = 403;
  const endpoint = s3.endpoint;
  // Its port, closed: connections to it are refused.
  if (behaviour === 'unreachable') await s3.close();
  return {
    location,
    bucket: BUCKET,
    awsEnv: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDFAULTMATRIX',
      AWS_SECRET_ACCESS_KEY: FAKE_S3_SECRET,
    },
    async objects() {
      const inStore = `${BUCKET}/${prefix}`;
      return new Map(
        [...s3.objects]
          .filter(([key]) => key.startsWith(inStore))
          .map(([key, body]) => [key.slice(inStore.length), body]),
      );
    },
    close: behaviour === 'unreachable' ? async () => {} : () => s3.close(),
  };
}

/** Every file under `root` (lock and temporary files included: none may be left), or `root` itself as `''`. */
async function filesUnder(root: string): Promise<StoreObjects> {
  const files = new Map<string, string>();
  const found = await stat(root).catch(() => undefined);
  if (found === undefined) return files;
  if (!found.isDirectory()) return files.set('', await readFile(root, 'utf8'));
  const walk = async (dir: string): Promise<void> => {
    const entries: Dirent[] = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else files.set(relative(root, path).split(sep).join('/'), await readFile(path, 'utf8'));
    }
  };
  await walk(root);
  return files;
}

async function folderStore(behaviour: StoreBehaviour, dir: string): Promise<StoreFixture> {
  const location = join(dir, 'store');
  const state = STATE_BEFORE[behaviour];
  if (behaviour === 'not-a-folder') {
    await writeFile(location, "notes on last night's audit\n");
  } else if (state !== undefined) {
    await mkdir(join(location, 'state'), { recursive: true });
    await writeFile(join(location, ...STATE_KEY.split('/')), state);
  }
  return {
    location,
    awsEnv: {},
    objects: () => filesUnder(location),
    close: async () => {},
  };
}

/** The store a row's run on `target` keeps, as `behaviour` says; `undefined` for none. */
export async function prepareStore(
  behaviour: StoreBehaviour,
  target: Target,
  dir: string,
): Promise<StoreFixture | undefined> {
  if (behaviour === 'none') return undefined;
  if (behaviour === 'not-a-folder' && target !== 'cli')
    throw new Error('only the CLI keeps its store in a folder');
  return inS3(behaviour, target) ? s3Store(behaviour, target) : folderStore(behaviour, dir);
}
