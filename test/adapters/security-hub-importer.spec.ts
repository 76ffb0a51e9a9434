import {
  AccessDeniedException,
  BatchImportFindingsCommand,
  type BatchImportFindingsRequest,
  InternalException,
  LimitExceededException,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { importBatches, SecurityHubImporter } from '../../lambda/adapters/security-hub-importer.js';
import { type AsffFinding, securityHubFindings } from '../../lambda/core/asff.js';
import type { AuditReport, Finding } from '../../lambda/core/report.js';
import { secondNight } from '../core/fixtures.js';
import { BATCH_IMPORT_FINDINGS_INPUT } from '../support/documented-schemas.js';

describe('security-hub-importer', () => {
  const TARGET = {
    productArn: 'arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default',
    accountId: '123456789012',
  };
  const FAR = Number.MAX_SAFE_INTEGER;

  // Mocked for this room's tests only: its Jest file's other rooms keep the real client.
  let securityHub: AwsClientStub<SecurityHubClient>;
  afterAll(() => securityHub.restore());

  let night: AuditReport;
  let waits: number[];

  /** `count` distinct findings in ASFF: the night's intruder, granted to `count` projects. */
  function findings(count: number): AsffFinding[] {
    const checkpoint = night.checkpoints[0] as AuditReport['checkpoints'][number];
    const template = checkpoint.findings[0] as Finding;
    return securityHubFindings(
      {
        ...night,
        resolved: [],
        checkpoints: [
          {
            ...checkpoint,
            findings: Array.from({ length: count }, (_, n) => ({ ...template, projectId: `proj_${n}` })),
          },
        ],
      },
      TARGET,
    );
  }

  function importer(now: () => number = () => 0): SecurityHubImporter {
    return new SecurityHubImporter({
      securityHub: new SecurityHubClient({ region: 'eu-west-1' }),
      sleep: async (ms) => {
        waits.push(ms);
      },
      retry: { sleep: async () => {} },
      now,
    });
  }

  function sentIds(): string[][] {
    return securityHub
      .commandCalls(BatchImportFindingsCommand)
      .map((call) => (call.args[0].input.Findings ?? []).map((finding) => finding.Id ?? ''));
  }

  beforeAll(async () => {
    securityHub = mockClient(SecurityHubClient);
    night = await secondNight();
  });

  beforeEach(() => {
    securityHub.reset();
    waits = [];
  });

  it('imports the findings exactly as built, in one call, under the documented limits', async () => {
    securityHub
      .on(BatchImportFindingsCommand)
      .resolves({ SuccessCount: 4, FailedCount: 0, FailedFindings: [] });
    const built = securityHubFindings(night, TARGET);

    const outcome = await importer().importFindings(built, FAR);

    expect(outcome).toEqual({ delivered: 4, failed: [] });
    expect(securityHub).toHaveReceivedCommandTimes(BatchImportFindingsCommand, 1);
    expect(securityHub).toHaveReceivedCommandWith(BatchImportFindingsCommand, { Findings: built });
    const input = securityHub.commandCalls(BatchImportFindingsCommand)[0]?.args[0]
      .input as BatchImportFindingsRequest;
    expect(BATCH_IMPORT_FINDINGS_INPUT.safeParse(input).error).toBeUndefined();
  });

  it('250 findings go in three calls of 100, 100 and 50, in order', async () => {
    securityHub.on(BatchImportFindingsCommand).callsFake(async (input: BatchImportFindingsRequest) => ({
      SuccessCount: input.Findings?.length,
      FailedCount: 0,
    }));
    const all = findings(250);

    const outcome = await importer().importFindings(all, FAR);

    expect(outcome).toEqual({ delivered: 250, failed: [] });
    expect(sentIds().map((ids) => ids.length)).toEqual([100, 100, 50]);
    expect(sentIds().flat()).toEqual(all.map((f) => f.Id));
    for (const call of securityHub.commandCalls(BatchImportFindingsCommand)) {
      expect(BATCH_IMPORT_FINDINGS_INPUT.safeParse(call.args[0].input).error).toBeUndefined();
    }
  });

  it('findings Security Hub refused are sent again, alone, after a backoff', async () => {
    const all = findings(3);
    const refused = all[1] as AsffFinding;
    securityHub
      .on(BatchImportFindingsCommand)
      .resolvesOnce({
        SuccessCount: 2,
        FailedCount: 1,
        FailedFindings: [{ Id: refused.Id, ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
      })
      .resolves({ SuccessCount: 1, FailedCount: 0 });

    const outcome = await importer().importFindings(all, FAR);

    expect(outcome).toEqual({ delivered: 3, failed: [] });
    expect(sentIds()).toEqual([all.map((f) => f.Id), [refused.Id]]);
    expect(waits).toEqual([500]);
  });

  it('a finding refused every time is given up after three rounds, with its reason', async () => {
    const all = findings(2);
    const refused = all[0] as AsffFinding;
    securityHub.on(BatchImportFindingsCommand).resolves({
      SuccessCount: 0,
      FailedCount: 1,
      FailedFindings: [
        { Id: refused.Id, ErrorCode: 'InvalidInput', ErrorMessage: 'Finding does not adhere to ASFF' },
      ],
    });

    const outcome = await importer().importFindings(all, FAR);

    expect(outcome).toEqual({
      delivered: 1,
      failed: [{ item: refused.Id, reason: 'InvalidInput: Finding does not adhere to ASFF' }],
    });
    expect(securityHub).toHaveReceivedCommandTimes(BatchImportFindingsCommand, 3);
    expect(waits).toEqual([500, 1000]);
  });

  it('a throttled call is retried at once, then its findings in the next round', async () => {
    const throttled = new LimitExceededException({
      message: 'Rate exceeded',
      $metadata: { httpStatusCode: 429 },
    });
    securityHub
      .on(BatchImportFindingsCommand)
      .rejectsOnce(throttled)
      .rejectsOnce(throttled)
      .rejectsOnce(throttled)
      .resolves({ SuccessCount: 2, FailedCount: 0 });

    const outcome = await importer().importFindings(findings(2), FAR);

    expect(outcome).toEqual({ delivered: 2, failed: [] });
    expect(securityHub).toHaveReceivedCommandTimes(BatchImportFindingsCommand, 4);
    expect(waits).toEqual([500]);
  });

  it('a server error on every call fails every finding, each with the error, after three rounds', async () => {
    securityHub
      .on(BatchImportFindingsCommand)
      .rejects(new InternalException({ message: 'Internal error', $metadata: { httpStatusCode: 500 } }));

    const outcome = await importer().importFindings(findings(2), FAR);

    expect(outcome.delivered).toBe(0);
    expect(outcome.failed.map((f) => f.reason)).toEqual([
      'InternalException: Internal error',
      'InternalException: Internal error',
    ]);
  });

  it('access denied stops at the first call: the other batches are not sent', async () => {
    securityHub.on(BatchImportFindingsCommand).rejects(
      new AccessDeniedException({
        message: 'not authorized to perform: securityhub:BatchImportFindings',
        $metadata: { httpStatusCode: 403 },
      }),
    );

    const outcome = await importer().importFindings(findings(150), FAR);

    expect(securityHub).toHaveReceivedCommandTimes(BatchImportFindingsCommand, 1);
    expect(outcome.delivered).toBe(0);
    expect(outcome.failed).toHaveLength(150);
    expect(outcome.failed[0]?.reason).toMatch(/^AccessDeniedException: /);
    expect(outcome.failed[149]?.reason).toMatch(
      /^not sent after an earlier call was refused: AccessDeniedException/,
    );
    expect(waits).toEqual([]);
  });

  it("nothing is started after the run's deadline", async () => {
    let clock = 0;
    securityHub.on(BatchImportFindingsCommand).callsFake(async () => {
      clock = 2_000;
      return { SuccessCount: 100, FailedCount: 0 };
    });

    const outcome = await importer(() => clock).importFindings(findings(250), 1_000);

    expect(securityHub).toHaveReceivedCommandTimes(BatchImportFindingsCommand, 1);
    expect(outcome.delivered).toBe(100);
    expect(outcome.failed).toHaveLength(150);
    expect(outcome.failed[0]?.reason).toBe("not sent: the run's deadline came first");
  });

  it('no findings, no call', async () => {
    expect(await importer().importFindings([], FAR)).toEqual({ delivered: 0, failed: [] });
    expect(securityHub).toHaveReceivedCommandTimes(BatchImportFindingsCommand, 0);
  });

  it('a finding over 240 KB is refused before any call', () => {
    const [finding] = findings(1);
    const huge = { ...(finding as AsffFinding), ProductFields: { big: 'x'.repeat(250 * 1024) } };

    const { batches, refused } = importBatches([huge, finding as AsffFinding]);

    expect(batches).toEqual([[finding]]);
    expect(refused).toEqual([{ item: huge, reason: 'larger than the 240 KB a finding may be' }]);
  });
});
