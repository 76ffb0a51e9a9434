import {
  toAuditActor,
  toAuditLogEntry,
  toProjectRecord,
} from '../../../lambda/adapters/openai/organization.js';

describe('openai/organization', () => {
  describe('who an audit log actor is', () => {
    it.each([
      {
        case: 'a user signed in to the dashboard',
        actor: {
          type: 'session',
          session: { user: { id: 'user-a', email: 'alice@example.com' }, ip_address: '1.2.3.4' },
        },
        expected: { actor: 'alice@example.com', actorType: 'user', via: 'dashboard' },
      },
      {
        case: 'a dashboard user without an email, by user id',
        actor: { type: 'session', session: { user: { id: 'user-a' } } },
        expected: { actor: 'user-a', actorType: 'user', via: 'dashboard' },
      },
      {
        case: 'a user with their own API key',
        actor: {
          type: 'api_key',
          api_key: { id: 'key_1', type: 'user', user: { id: 'u', email: 'bob@example.com' } },
        },
        expected: { actor: 'bob@example.com', actorType: 'user', via: 'api', apiKeyId: 'key_1' },
      },
      {
        case: 'a service account',
        actor: {
          type: 'api_key',
          api_key: { id: 'key_2', type: 'service_account', service_account: { id: 'svc_ci' } },
        },
        expected: { actor: 'svc_ci', actorType: 'service_account', via: 'api', apiKeyId: 'key_2' },
      },
      {
        case: 'an API key whose owner the log does not name',
        actor: { type: 'api_key', api_key: { id: 'key_3' } },
        expected: { actor: 'key_3', actorType: 'api_key', via: 'api', apiKeyId: 'key_3' },
      },
      {
        case: 'a service account key that names no service account',
        actor: {
          type: 'api_key',
          api_key: { id: 'key_4', type: 'service_account', user: { email: 'x@example.com' } },
        },
        expected: { actor: 'key_4', actorType: 'api_key', via: 'api', apiKeyId: 'key_4' },
      },
      {
        case: 'an API key with nothing to name it',
        actor: { type: 'api_key' },
        expected: { actor: null, actorType: 'unknown', via: 'api' },
      },
      {
        case: 'a session without a user',
        actor: { type: 'session' },
        expected: { actor: null, actorType: 'unknown', via: 'dashboard' },
      },
      {
        case: 'an actor type the contract does not list yet',
        actor: { type: 'workload_identity' },
        expected: { actor: null, actorType: 'unknown', via: null },
      },
      { case: 'no actor', actor: null, expected: { actor: null, actorType: 'unknown', via: null } },
    ])('$case', ({ actor, expected }) => {
      expect(toAuditActor(actor)).toEqual(expected);
    });
  });

  describe('an audit log entry', () => {
    it('names as its resource the id in the details object named after its type, and the checkpoint and project of its data', () => {
      const entry = toAuditLogEntry({
        id: 'audit_log-1',
        type: 'checkpoint.permission.created',
        effective_at: 1_722_945_600,
        actor: null,
        'checkpoint.permission.created': {
          id: 'cp_1',
          data: { project_id: 'proj_a', fine_tuned_model_checkpoint: 'ft:m:acme::ck1' },
        },
        'checkpoint.permission.deleted': {
          id: 'cp_other',
          data: { fine_tuned_model_checkpoint: 'ft:other' },
        },
      });

      expect(entry).toEqual({
        id: 'audit_log-1',
        type: 'checkpoint.permission.created',
        effectiveAt: 1_722_945_600,
        resourceId: 'cp_1',
        actor: { actor: null, actorType: 'unknown', via: null },
        checkpointId: 'ft:m:acme::ck1',
        projectId: 'proj_a',
      });
    });

    it.each([
      { data: undefined },
      { data: 'ft:m' },
      { data: { fine_tuned_model_checkpoint: 42, project_id: ['proj_a'] } },
    ])('names no checkpoint nor project when the data is $data', ({ data }) => {
      const entry = toAuditLogEntry({
        id: 'audit_log-1',
        type: 'checkpoint.permission.created',
        effective_at: 1,
        actor: null,
        'checkpoint.permission.created': { id: 'cp_1', data },
      });

      expect(entry).toMatchObject({ resourceId: 'cp_1', checkpointId: null, projectId: null });
    });

    it.each([{ details: undefined }, { details: 'cp_1' }, { details: { id: 42 } }])(
      'has no resource when the details are $details',
      ({ details }) => {
        const entry = toAuditLogEntry({
          id: 'audit_log-1',
          type: 'checkpoint.permission.created',
          effective_at: 1,
          'checkpoint.permission.created': details,
        });

        expect(entry.resourceId).toBeNull();
      },
    );
  });

  describe('a project', () => {
    it.each([
      { status: 'active', archived_at: null, archived: false },
      { status: 'archived', archived_at: 1_790_899_200, archived: true },
      { status: 'archived', archived_at: null, archived: true },
      { status: null, archived_at: 1_790_899_200, archived: true },
      { status: undefined, archived_at: undefined, archived: false },
    ])(
      'status $status with archived_at $archived_at is archived: $archived',
      ({ status, archived_at, archived }) => {
        const record = toProjectRecord({
          object: 'organization.project',
          id: 'proj_a',
          name: 'A',
          created_at: 1,
          ...(status !== undefined ? { status } : {}),
          ...(archived_at !== undefined ? { archived_at } : {}),
        });

        expect(record).toEqual({ id: 'proj_a', name: 'A', archived, archivedAt: archived_at ?? null });
      },
    );
  });
});
