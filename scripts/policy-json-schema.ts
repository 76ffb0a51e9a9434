/**
 * The policy's JSON Schema, derived from the zod schema the code validates
 * with, so editors complete exactly what the job accepts.
 */
import { z } from 'zod';
import { policyFileSchema } from '../lambda/core/policy.js';

export function policyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(policyFileSchema, { io: 'input', target: 'draft-2020-12' });
  return {
    ...schema,
    title: 'checkpoint-guard policy',
    description:
      'Which fine-tuned checkpoints to audit, which projects may hold a grant, and whether to revoke the rest.',
  };
}

export function policyJsonSchemaText(): string {
  return `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
}
