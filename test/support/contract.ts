/**
 * The OpenAI contract (test/contract/openai-admin-subset.yaml) as JSON Schema
 * validators: tests check that the emulator answers, and the client sends, what
 * the published document says.
 */

import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';

const CONTRACT_PATH = new URL('../contract/openai-admin-subset.yaml', import.meta.url);
const DOCUMENT_ID = 'openai-admin-subset';

/** Names of the schemas under `components.schemas`. */
export type ContractSchemaName =
  | 'ListFineTuningCheckpointPermissionResponse'
  | 'CreateFineTuningCheckpointPermissionRequest'
  | 'DeleteFineTuningCheckpointPermissionResponse'
  | 'FineTuningCheckpointPermission'
  | 'ErrorResponse'
  | 'ProjectListResponse'
  | 'ListAuditLogsResponse';

export interface ContractValidation {
  readonly valid: boolean;
  /** Ajv's errors, as `instancePath message` lines; empty when valid. */
  readonly errors: readonly string[];
}

let ajv: Ajv2020 | undefined;

function contractAjv(): Ajv2020 {
  if (!ajv) {
    const document = parse(readFileSync(CONTRACT_PATH, 'utf8')) as Record<string, unknown>;
    // strict: false because the OpenAPI document carries keywords Ajv does not know (x-oaiMeta, example, ...).
    ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addFormat('unixtime', true);
    ajv.addSchema({ $id: DOCUMENT_ID, components: document.components }, DOCUMENT_ID);
  }
  return ajv;
}

/** Validates `value` against `components.schemas[schemaName]` of the contract. */
export function validateAgainstSchema(schemaName: ContractSchemaName, value: unknown): ContractValidation {
  const validate = contractAjv().getSchema(`${DOCUMENT_ID}#/components/schemas/${schemaName}`);
  if (!validate) throw new Error(`no schema ${schemaName} in the contract`);
  const valid = validate(value) as boolean;
  return {
    valid,
    errors: (validate.errors ?? []).map((error) =>
      `${error.instancePath || '(root)'} ${error.message ?? ''}`.trim(),
    ),
  };
}
