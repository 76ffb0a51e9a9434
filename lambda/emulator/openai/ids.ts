/** The ids the emulator mints, in the formats OpenAI uses. */
import { randomInt } from 'node:crypto';

const ALPHANUMERICS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const LOWER_HEX = '0123456789abcdef';

function randomId(prefix: string, length: number, alphabet = ALPHANUMERICS): string {
  let id = prefix;
  for (let i = 0; i < length; i++) id += alphabet[randomInt(alphabet.length)];
  return id;
}

/** `cp_` and 24 alphanumerics. */
export function newPermissionId(): string {
  return randomId('cp_', 24);
}

export function newAuditLogId(): string {
  return randomId('audit_log-', 20);
}

/** The `x-request-id` of a response: `req_` and 32 lowercase hex digits. */
export function newRequestId(): string {
  return randomId('req_', 32, LOWER_HEX);
}
