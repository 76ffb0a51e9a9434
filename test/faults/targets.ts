/**
 * The two ways a run happens, each driven whole and watched from outside:
 *
 * - `runCli`: the real `checkpoint-guard audit` process (bin/checkpoint-guard.js),
 *   its stdout, stderr, exit code and report file;
 * - `runLambda`: the handler from `createHandler(env)`, in this process, with SSM and
 *   SNS mocked by aws-sdk-client-mock, its stdout and stderr writes (Powertools writes
 *   ERROR lines to stderr) and every Publish input.
 *
 * Both talk to the OpenAI emulator over HTTP, with a short request timeout and two
 * retries, so that a scenario that exhausts the retry budget stays quick.
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
import { ENV } from '../../lambda/contract.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { createHandler } from '../../lambda/handler.js';
import type { SnsBehaviour, SsmBehaviour } from './scenarios.js';

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
}

export interface CliRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly reportText: string | undefined;
  readonly report: AuditReport | undefined;
  readonly elapsedMs: number;
  readonly deadlineMs: number;
  readonly hung: boolean;
}

/** Spawns `checkpoint-guard audit --enforce --format json --output FILE` and waits for it. */
export async function runCli(input: RunInput): Promise<CliRun> {
  const policyFile = join(input.dir, 'policy.json');
  const reportFile = join(input.dir, 'report.json');
  await writeFile(policyFile, input.policyText);
  const args = [
    BIN,
    'audit',
    '--policy',
    policyFile,
    '--enforce',
    '--format',
    'json',
    '--output',
    reportFile,
    '--timeout-ms',
    String(REQUEST_TIMEOUT_MS),
    '--max-retries',
    String(MAX_RETRIES),
    ...(input.concurrency !== undefined ? ['--concurrency', String(input.concurrency)] : []),
  ];
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    // Only what the command needs: the key and base URL, and a PATH.
    env: { PATH: process.env.PATH ?? '', OPENAI_ADMIN_KEY: input.adminKey, OPENAI_BASE_URL: input.baseUrl },
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
  let hung = false;
  const killer = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, CLI_DEADLINE_MS);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  clearTimeout(killer);
  const elapsedMs = performance.now() - started;
  const reportText = await readFile(reportFile, 'utf8').catch(() => undefined);
  return {
    exitCode,
    stdout,
    stderr,
    reportText,
    report: reportText === undefined ? undefined : (JSON.parse(reportText) as AuditReport),
    elapsedMs,
    deadlineMs: CLI_DEADLINE_MS,
    hung,
  };
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

  const writes: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    });
  }
  const handler = createHandler({
    [ENV.adminKeyParameterName]: PARAMETER,
    [ENV.topicArn]: TOPIC,
    [ENV.policyFile]: policyFile,
    [ENV.openAIBaseUrl]: input.baseUrl,
    [ENV.deadlineMarginMs]: '1000',
    [ENV.openAITimeoutMs]: String(REQUEST_TIMEOUT_MS),
    [ENV.openAIMaxRetries]: String(MAX_RETRIES),
    ...(input.concurrency !== undefined ? { [ENV.concurrency]: String(input.concurrency) } : {}),
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
  let timer: NodeJS.Timeout | undefined;
  let hung = false;
  try {
    const settled = await Promise.race([
      handler({ id: input.eventId, 'detail-type': 'Scheduled Event', source: 'aws.events' }, context).then(
        (result) => ({ result }),
        (error: unknown) => ({ error: error instanceof Error ? error : new Error(String(error)) }),
      ),
      new Promise<'hung'>((resolve) => {
        timer = setTimeout(() => resolve('hung'), input.remainingMs);
      }),
    ]);
    if (settled === 'hung') hung = true;
    else if ('error' in settled) thrown = settled.error;
    else returned = settled.result;
  } finally {
    clearTimeout(timer);
    jest.restoreAllMocks();
  }
  const elapsedMs = performance.now() - started;

  const output = writes.join('');
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
