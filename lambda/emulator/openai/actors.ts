/** The actors an audit log entry can name, for seeding who made a grant. */
import type { AuditLogActorObject } from './wire-types.js';

function userIdFor(email: string): string {
  return `user-${email.split('@')[0] ?? 'someone'}`;
}

/** A person signed in to the dashboard. */
export function sessionActor(email: string, userId = userIdFor(email)) {
  return {
    type: 'session',
    session: { user: { id: userId, email }, ip_address: '203.0.113.7' },
  } satisfies AuditLogActorObject;
}

/** A person using one of their API keys. */
export function userApiKeyActor(email: string, keyId: string, userId = userIdFor(email)) {
  return {
    type: 'api_key',
    api_key: { id: keyId, type: 'user', user: { id: userId, email } },
  } satisfies AuditLogActorObject;
}

/** A service account's API key. */
export function serviceAccountActor(serviceAccountId: string, keyId: string) {
  return {
    type: 'api_key',
    api_key: { id: keyId, type: 'service_account', service_account: { id: serviceAccountId } },
  } satisfies AuditLogActorObject;
}

/**
 * The actor audit log entries name when none is given: the admin key the emulator accepts,
 * as a user's key.
 */
export const DEFAULT_EMULATOR_ACTOR: AuditLogActorObject = userApiKeyActor(
  'emulator-admin@example.com',
  'key_emulatorAdmin0000',
  'user-emulator-admin',
);
