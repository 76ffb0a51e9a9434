/**
 * An API that echoes the admin key into its data: every string of every reply is redacted
 * as it is read, and a permission whose id or project held the key is never acted on.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { sessionActor, userApiKeyActor } from '../../../lambda/emulator/openai/index.js';
import { echoedKeyForms, keyLeaksIn } from '../../support/key-forms.js';
import { type ClientHarness, failure, useClientHarness } from '../../support/openai-client-harness.js';

describe('openai/client-echoed-key', () => {
  const KEY = 'sk-admin-Ech0edKey0123456789abcdefghijklmnopqr';
  const CHECKPOINT = 'ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd';
  const FORMS = Object.entries(echoedKeyForms(KEY));

  const harness = useClientHarness({ adminKey: KEY, maxRetries: 1 });
  const newClient: ClientHarness['newClient'] = (overrides) => harness.newClient(overrides);

  function everyRendering(value: unknown): string {
    return [
      JSON.stringify(value),
      inspect(value, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
    ].join('\n');
  }

  describe('a permission listing that holds the key', () => {
    it.each(FORMS)('in a project_id (%s) is refused, naming the field', async (_form, echoed) => {
      harness.emulator.grant(CHECKPOINT, ['proj_core', `proj_${echoed}`]);

      const error = await failure(newClient().listPermissionsPage(CHECKPOINT, { limit: 10 }));

      expect(error.code).toBe('ERR_OPENAI_INVALID_RESPONSE');
      expect(error.message).toContain('the API echoed the admin key in a permission (data[1].project_id)');
      expect(keyLeaksIn(everyRendering(error), KEY)).toEqual([]);
    });

    it.each([
      [
        'a permission id',
        (page: Record<string, unknown>) => ({ ...page, data: [{ ...permission(), id: `cp_${KEY}` }] }),
        'data[0].id',
      ],
      [
        'the last_id cursor',
        (page: Record<string, unknown>) => ({ ...page, last_id: KEY.slice(-16) }),
        'last_id',
      ],
      [
        'the first_id cursor',
        (page: Record<string, unknown>) => ({ ...page, first_id: KEY.slice(3) }),
        'first_id',
      ],
    ])('in %s is refused', async (_field, change, path) => {
      const page = {
        object: 'list',
        data: [permission()],
        first_id: 'cp_1',
        last_id: 'cp_1',
        has_more: false,
      };
      harness.emulator.injectFault({ kind: 'respond', status: 200, json: change(page) });

      const error = await failure(newClient().listPermissionsPage(CHECKPOINT, { limit: 10 }));

      expect(error.code).toBe('ERR_OPENAI_INVALID_RESPONSE');
      expect(error.message).toContain(`(${path})`);
      expect(keyLeaksIn(everyRendering(error), KEY)).toEqual([]);
    });

    it('in a field the contract does not list is redacted and the listing stands', async () => {
      const page = {
        object: 'list',
        data: [{ ...permission(), note: `granted with ${KEY}` }],
        first_id: 'cp_1',
        last_id: 'cp_1',
        has_more: false,
      };
      harness.emulator.injectFault({ kind: 'respond', status: 200, json: page });

      const listed = await newClient().listPermissionsPage(CHECKPOINT, { limit: 10 });

      expect(listed.permissions).toEqual([{ id: 'cp_1', projectId: 'proj_core', createdAt: 1_721_764_867 }]);
    });
  });

  describe('organization data that holds the key is redacted', () => {
    it.each(FORMS)('in a project name (%s)', async (_form, echoed) => {
      harness.emulator.addProject({ id: 'proj_core', name: `Core ${echoed} team`, createdAt: 1 });

      const page = await newClient().listProjectsPage({ limit: 10, includeArchived: true });

      // A base64 group or an escape that holds bytes from around the key as well may stay.
      expect(page.projects[0]?.name).toMatch(/^Core \[REDACTED\]\S{0,4} team$/);
      expect(keyLeaksIn(everyRendering(page), KEY)).toEqual([]);
    });

    it.each(FORMS)('in an audit log actor (%s)', async (_form, echoed) => {
      const [granted] = harness.emulator.grant(CHECKPOINT, ['proj_a'], {
        actor: sessionActor(`${echoed}@example.com`),
      });
      harness.emulator.grant(CHECKPOINT, ['proj_b'], {
        actor: userApiKeyActor('bob@example.com', `key_${echoed}`),
      });

      const page = await newClient().listAuditLogsPage({
        limit: 10,
        eventTypes: ['checkpoint.permission.created'],
        resourceIds: [granted?.id ?? ''],
      });

      expect(page.entries.map((entry) => entry.actor.actor)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^\[REDACTED\]\S{0,4}@example\.com$/)]),
      );
      expect(keyLeaksIn(everyRendering(page), KEY)).toEqual([]);
    });

    it('in an object key', async () => {
      const entry = {
        id: 'audit_1',
        type: 'checkpoint.permission.created',
        effective_at: 1,
        [`x-${KEY}`]: { id: KEY },
      };
      harness.emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: { object: 'list', data: [entry], first_id: 'audit_1', last_id: 'audit_1', has_more: false },
      });

      const page = await newClient().listAuditLogsPage({ limit: 10, eventTypes: [], resourceIds: [] });

      expect(keyLeaksIn(everyRendering(page), KEY)).toEqual([]);
    });
  });

  describe('an error reply that holds the key', () => {
    it.each(FORMS)(
      'in error.code, error.message and x-request-id (%s) reaches no part of the error',
      async (_form, echoed) => {
        // A header carries Latin-1 only: a zero-width space cannot be sent in one.
        const inHeaders = /^[\x20-\xff]*$/.test(echoed);
        harness.emulator.injectFault({
          kind: 'error',
          status: 400,
          message: `bad key ${echoed}`,
          code: echoed,
          ...(inHeaders ? { headers: { 'x-request-id': `req_${echoed}`, 'x-echo': echoed } } : {}),
        });

        const error = await failure(newClient().listPermissionsPage(CHECKPOINT, { limit: 1 }));

        expect(error.code).toBe('ERR_OPENAI_BAD_REQUEST');
        // A base64 group or an escape that holds bytes from around the key as well may stay.
        expect(error.apiCode).toMatch(/^\[REDACTED\]\S{0,4}$/);
        expect(error.apiMessage).toMatch(/^bad key \[REDACTED\]\S{0,4}$/);
        if (inHeaders) expect(error.requestId).toMatch(/^req_\[REDACTED\]\S{0,4}$/);
        expect(keyLeaksIn(everyRendering(error), KEY)).toEqual([]);
      },
    );
  });

  function permission() {
    return {
      object: 'checkpoint.permission',
      id: 'cp_1',
      created_at: 1_721_764_867,
      project_id: 'proj_core',
    };
  }
});
