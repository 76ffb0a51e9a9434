/**
 * The ways a run happens, each driven whole and watched from outside:
 *
 * - `runCli`: `checkpoint-guard audit` through the CLI's `main(argv, io)`, in this
 *   process: what it gave its stdout and stderr, its exit code and its report file;
 * - `runCliProcess`: the same command as the real process (bin/checkpoint-guard.js),
 *   for the one test that proves the binary around `main` behaves the same;
 * - `runLambda`: the handler from `createHandler(env)`, in this process, with SSM and
 *   SNS mocked by aws-sdk-client-mock, its stdout and stderr writes (Powertools writes
 *   ERROR lines to stderr) and every Publish input.
 *
 * A row with a run store (store.ts) gives the CLI `--state LOCATION` and the Lambda
 * STATE_BUCKET; an S3 store's endpoint and credentials are in the process environment
 * for the run, where the AWS SDK reads them.
 *
 * All talk to the OpenAI emulator over HTTP, with a request timeout and two retries,
 * so that a scenario that exhausts the retry budget stays quick.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { jest } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { type CliIo, main } from '../../lambda/cli.js';
import { ENV } from '../../lambda/contract.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { createHandler } from '../../lambda/handler.js';
import type { SnsBehaviour, SsmBehaviour } from './scenarios/scenario.js';
import type { StoreWiring } from './store.js';

/** Per-request timeout of every run. */
export const REQUEST_TIMEOUT_MS = 1_000;
/** Retries after the first attempt. */
export const MAX_RETRIES = 2;
/** The CLI has no deadline of its own: it must exit within this. */
export const CLI_DEADLINE_MS = 15_000;
/** Default remaining time of a Lambda invocation. */
export const LAMBDA_REMAINING_MS = 15_000;

const BIN = fileURLToPath(new URL('../../bin/checkpoint-guard.js', import.meta.url));
const PARAMETER = '/checkpoint-guard/openai-admin-key';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:checkpoint-guard-reports';

export interface RunInput {
  readonly dir: string;
  readonly policyText: string;
  readonly baseUrl: string;
  readonly adminKey: string;
  readonly concurrency?: number;
  /** @default REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
  /** The run store; none when absent. */
  readonly store?: StoreWiring;
}

export interface CliRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** In-process runs: what reached this process's stdout or stderr other than through the CLI's `io`. */
  readonly processOutput: string;
  readonly reportText: string | undefined;
  readonly report: AuditReport | undefined;
  readonly elapsedMs: number;
  readonly deadlineMs: number;
  readonly hung: boolean;
}

/** `checkpoint-guard audit --enforce --format json --output FILE [--state LOCATION]`, with the run's timeout and retries. */
async function cliArguments(input: RunInput): Promise<{ args: string[]; reportFile: string }> {
  const policyFile = join(input.dir, 'policy.json');
  const reportFile = join(input.dir, 'report.json');
  await writeFile(policyFile, input.policyText);
  const args = [
    'audit',
    '--policy',
    policyFile,
    '--enforce',
    '--format',
    'json',
    '--output',
    reportFile,
    '--timeout-ms',
    String(input.requestTimeoutMs ?? REQUEST_TIMEOUT_MS),
    '--max-retries',
    String(MAX_RETRIES),
    ...(input.concurrency !== undefined ? ['--concurrency', String(input.concurrency)] : []),
    ...(input.store !== undefined ? ['--state', input.store.location] : []),
  ];
  return { args, reportFile };
}

/** Only what the command needs: the key, the base URL, and what reaches an S3 store. */
function cliEnvironment(input: RunInput): Record<string, string> {
  return { OPENAI_ADMIN_KEY: input.adminKey, OPENAI_BASE_URL: input.baseUrl, ...input.store?.awsEnv };
}

/**
 * Runs `work` with `variables` in this process's environment, then puts it back as it was: an
 * in-process run's AWS SDK reads its endpoint and credentials there.
 */
async function withProcessEnv<T>(
  variables: Readonly<Record<string, string>>,
  work: () => Promise<T>,
): Promise<T> {
  const saved = Object.keys(variables).map((name) => [name, process.env[name]] as const);
  Object.assign(process.env, variables);
  try {
    return await work();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

async function cliRun(
  reportFile: string,
  streams: Pick<CliRun, 'exitCode' | 'stdout' | 'stderr' | 'processOutput' | 'hung'>,
  elapsedMs: number,
): Promise<CliRun> {
  const reportText = await readFile(reportFile, 'utf8').catch(() => undefined);
  return {
    ...streams,
    reportText,
    report: reportText === undefined ? undefined : (JSON.parse(reportText) as AuditReport),
    elapsedMs,
    deadlineMs: CLI_DEADLINE_MS,
  };
}

/**
 * Settles with what `work` settled with, or with `'hung'` once `ms` have passed. (An
 * in-process run cannot be killed; a hung one is left to the emulator's close.)
 */
async function withinDeadline<T>(work: Promise<T>, ms: number): Promise<T | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<'hung'>((resolve) => {
        timer = setTimeout(() => resolve('hung'), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Collects every write to this process's stdout and stderr until `stop()`. */
function captureProcessOutput(): { stop(): string } {
  const writes: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    });
  }
  return {
    stop() {
      jest.restoreAllMocks();
      return writes.join('');
    },
  };
}

/**
 * Runs `checkpoint-guard audit --enforce --format json --output FILE` in this process,
 * through the CLI's `main(argv, io)`, as `bin/checkpoint-guard.js` does, and waits for it
 * up to its deadline. It is judged from outside all the same: the text it gave its
 * stdout and stderr, its exit code, its report file, and anything it wrote to this
 * process's own streams past its `io` (which must be nothing).
 */
export async function runCli(input: RunInput): Promise<CliRun> {
  const { args, reportFile } = await cliArguments(input);
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: cliEnvironment(input),
    stderrIsTty: false,
  };
  const started = performance.now();
  const capture = captureProcessOutput();
  let settled: number | 'hung';
  let processOutput: string;
  try {
    settled = await withProcessEnv(input.store?.awsEnv ?? {}, () =>
      withinDeadline(main(args, io), CLI_DEADLINE_MS),
    );
  } finally {
    processOutput = capture.stop();
  }
  const elapsedMs = performance.now() - started;
  const hung = settled === 'hung';
  const exitCode = settled === 'hung' ? null : settled;
  return cliRun(reportFile, { exitCode, stdout, stderr, processOutput, hung }, elapsedMs);
}

/** Spawns the real `bin/checkpoint-guard.js` with the same arguments, and waits for it to exit. */
export async function runCliProcess(input: RunInput): Promise<CliRun> {
  const { args, reportFile } = await cliArguments(input);
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    // A PATH, and nothing else of this process's environment.
    env: { PATH: process.env.PATH ?? '', ...cliEnvironment(input) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  const settled = await withinDeadline(exited, CLI_DEADLINE_MS);
  if (settled === 'hung') {
    child.kill('SIGKILL');
    await exited;
  }
  const elapsedMs = performance.now() - started;
  const hung = settled === 'hung';
  const exitCode = settled === 'hung' ? null : settled;
  return cliRun(reportFile, { exitCode, stdout, stderr, processOutput: '', hung }, elapsedMs);
}

const ssmMock = mockClient(SSMClient);
const snsMock = mockClient(SNSClient);

function awsError(name: string, message: string, httpStatusCode: number): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode } });
}

export interface LambdaInput extends RunInput {
  readonly ssm: SsmBehaviour;
  readonly sns: SnsBehaviour;
  readonly remainingMs: number;
  readonly eventId: string;
}

export interface LambdaRun {
  readonly output: string;
  readonly logLines: Record<string, unknown>[];
  /** Lines of output that are not JSON. */
  readonly strayLines: string[];
  readonly ssmCalls: number;
  readonly publishInputs: PublishCommandInput[];
  readonly delivered: PublishCommandInput[];
  readonly thrown: Error | undefined;
  readonly returned: { status: string } | undefined;
  readonly report: AuditReport | undefined;
  readonly email: string | undefined;
  readonly elapsedMs: number;
  readonly deadlineMs: number;
  readonly hung: boolean;
}

/** Runs one scheduled invocation of a fresh handler (a cold start) and waits for it, up to its deadline. */
export async function runLambda(input: LambdaInput): Promise<LambdaRun> {
  if (input.store !== undefined && input.store.bucket === undefined)
    throw new Error('the Lambda keeps its run store in S3: a store for it names a bucket');
  const policyFile = join(input.dir, 'policy.json');
  await writeFile(policyFile, input.policyText);

  let ssmCalls = 0;
  ssmMock.reset();
  ssmMock.on(GetParameterCommand).callsFake(async () => {
    ssmCalls++;
    if (input.ssm === 'parameter-not-found') throw awsError('ParameterNotFound', 'Parameter not found.', 400);
    if (input.ssm === 'throttled-then-ok' && ssmCalls === 1)
      throw awsError('ThrottlingException', 'Rate exceeded', 400);
    return { Parameter: { Name: PARAMETER, Type: 'SecureString', Value: input.adminKey, Version: 3 } };
  });
  const publishInputs: PublishCommandInput[] = [];
  const delivered: PublishCommandInput[] = [];
  snsMock.reset();
  snsMock.on(PublishCommand).callsFake(async (publish: PublishCommandInput) => {
    publishInputs.push(publish);
    if (input.sns === 'failing') throw awsError('InternalErrorException', 'Internal error', 500);
    if (input.sns === 'throttled-then-ok' && publishInputs.length === 1)
      throw awsError('Throttling', 'Rate exceeded', 400);
    delivered.push(publish);
    return { MessageId: `message-${delivered.length}` };
  });

  const handler = createHandler({
    [ENV.adminKeyParameterName]: PARAMETER,
    [ENV.topicArn]: TOPIC,
    [ENV.policyFile]: policyFile,
    [ENV.openAIBaseUrl]: input.baseUrl,
    [ENV.deadlineMarginMs]: '1000',
    [ENV.openAITimeoutMs]: String(input.requestTimeoutMs ?? REQUEST_TIMEOUT_MS),
    [ENV.openAIMaxRetries]: String(MAX_RETRIES),
    ...(input.concurrency !== undefined ? { [ENV.concurrency]: String(input.concurrency) } : {}),
    ...(input.store?.bucket !== undefined
      ? { [ENV.stateBucket]: input.store.bucket, ...input.store.awsEnv }
      : {}),
  });
  const started = performance.now();
  const deadlineAt = Date.now() + input.remainingMs;
  const context = {
    awsRequestId: `request-${input.eventId}`,
    functionName: 'checkpoint-guard',
    getRemainingTimeInMillis: () => Math.max(0, deadlineAt - Date.now()),
  };
  let thrown: Error | undefined;
  let returned: { status: string } | undefined;
  let hung = false;
  let output: string;
  const capture = captureProcessOutput();
  try {
    const settled = await withProcessEnv(input.store?.awsEnv ?? {}, () =>
      withinDeadline(
        handler({ id: input.eventId, 'detail-type': 'Scheduled Event', source: 'aws.events' }, context).then(
          (result) => ({ result }),
          (error: unknown) => ({ error: error instanceof Error ? error : new Error(String(error)) }),
        ),
        input.remainingMs,
      ),
    );
    if (settled === 'hung') hung = true;
    else if ('error' in settled) thrown = settled.error;
    else returned = settled.result;
  } finally {
    output = capture.stop();
  }
  const elapsedMs = performance.now() - started;

  const logLines: Record<string, unknown>[] = [];
  const strayLines: string[] = [];
  for (const line of output.split('\n')) {
    if (line === '') continue;
    try {
      logLines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      strayLines.push(line);
    }
  }
  let report: AuditReport | undefined;
  let email: string | undefined;
  const message = delivered[0]?.Message;
  if (message !== undefined) {
    const parts = JSON.parse(message) as { default: string; email: string };
    report = JSON.parse(parts.default) as AuditReport;
    email = parts.email;
  } else {
    const line = logLines.find((l) => l.message === 'publishing the report failed; full report follows');
    report = line?.report as AuditReport | undefined;
  }
  return {
    output,
    logLines,
    strayLines,
    ssmCalls,
    publishInputs,
    delivered,
    thrown,
    returned,
    report,
    email,
    elapsedMs,
    deadlineMs: input.remainingMs,
    hung,
  };
}
