/**
 * Imports findings into AWS Security Hub with `BatchImportFindings`: at most 100 findings a
 * call, each under 240 KB; findings Security Hub refuses (`FailedFindings`) are sent again, as
 * `batch-delivery.ts` says.
 */
import { BatchImportFindingsCommand, type SecurityHubClient } from '@aws-sdk/client-securityhub';
import { ASFF_LIMITS, type AsffFinding } from '../core/asff.js';
import {
  type BatchDeliveryOptions,
  type DeliveryOutcome,
  deliverInBatches,
  type Refused,
} from './batch-delivery.js';

export interface SecurityHubImporterOptions extends BatchDeliveryOptions {
  readonly securityHub: SecurityHubClient;
}

const utf8 = new TextEncoder();

/** Splits findings into calls of at most 100; a finding over 240 KB cannot be sent at all. */
export function importBatches(findings: readonly AsffFinding[]): {
  batches: AsffFinding[][];
  refused: Refused<AsffFinding>[];
} {
  const refused: Refused<AsffFinding>[] = [];
  const sendable = findings.filter((finding) => {
    const fits = utf8.encode(JSON.stringify(finding)).byteLength <= ASFF_LIMITS.findingBytes;
    if (!fits) refused.push({ item: finding, reason: 'larger than the 240 KB a finding may be' });
    return fits;
  });
  const batches: AsffFinding[][] = [];
  for (let start = 0; start < sendable.length; start += ASFF_LIMITS.findingsPerImport) {
    batches.push(sendable.slice(start, start + ASFF_LIMITS.findingsPerImport));
  }
  return { batches, refused };
}

export class SecurityHubImporter {
  constructor(private readonly options: SecurityHubImporterOptions) {}

  /** Imports `findings`; never throws: what was not imported is in the outcome. */
  async importFindings(findings: readonly AsffFinding[], deadline: number): Promise<DeliveryOutcome> {
    return deliverInBatches(
      findings,
      deadline,
      {
        batch: importBatches,
        send: async (batch, signal) => {
          const output = await this.options.securityHub.send(
            new BatchImportFindingsCommand({ Findings: batch }),
            {
              abortSignal: signal,
            },
          );
          const byId = new Map(batch.map((finding) => [finding.Id, finding]));
          return (output.FailedFindings ?? []).flatMap((failure) => {
            const item = failure.Id === undefined ? undefined : byId.get(failure.Id);
            return item === undefined
              ? []
              : [
                  {
                    item,
                    reason: `${failure.ErrorCode ?? 'Failed'}: ${failure.ErrorMessage ?? 'no message'}`,
                  },
                ];
          });
        },
        describe: (finding) => finding.Id,
      },
      this.options,
    );
  }
}
