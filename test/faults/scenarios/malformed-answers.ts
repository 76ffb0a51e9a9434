/**
 * Answers that cannot be read: truncated JSON, an HTML page with status 200, a wrong
 * content type, missing fields, fields of the wrong type; and extra fields, which are fine.
 */
import { CHECKPOINTS, listPage } from '../world.js';
import { list } from './requests.js';
import type { Scenario } from './scenario.js';

const { A, B } = CHECKPOINTS;

export const MALFORMED_ANSWERS: readonly Scenario[] = [
  {
    name: 'truncated JSON',
    setup: ({ emulator }) => {
      emulator.injectFault({ kind: 'truncated-json', match: { ...list(B), pageIndex: 1 } });
    },
    expect: {
      checkpoints: { B: { status: 'incomplete', reasonCode: 'ERR_OPENAI_INVALID_RESPONSE' } },
      actions: { proj_intruder: 'halted' },
    },
  },
  {
    name: 'an HTML error page with status 200 (a proxy)',
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        contentType: 'text/html; charset=utf-8',
        text: '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>',
        match: list(A),
      });
    },
    expect: {
      checkpoints: { A: { status: 'incomplete', reasonCode: 'ERR_OPENAI_INVALID_RESPONSE' } },
      actions: { proj_stranger: null, proj_vendor: null },
    },
  },
  {
    name: 'a JSON page sent with a wrong content type',
    setup: ({ emulator, permissions }) => {
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        contentType: 'text/plain',
        text: JSON.stringify(listPage(permissions('A'), false)),
        match: list(A),
      });
    },
    expect: {
      checkpoints: { A: { status: 'incomplete', reasonCode: 'ERR_OPENAI_INVALID_RESPONSE' } },
      actions: { proj_stranger: null, proj_vendor: null },
    },
  },
  {
    name: 'schema drift: a page missing a required field',
    setup: ({ emulator, permissions }) => {
      const data = permissions('A').map(({ project_id: _dropped, ...rest }) => rest);
      emulator.injectFault({ kind: 'respond', status: 200, json: listPage(data, false), match: list(A) });
    },
    expect: {
      checkpoints: { A: { status: 'incomplete', reasonCode: 'ERR_OPENAI_INVALID_RESPONSE' } },
      actions: { proj_stranger: null, proj_vendor: null },
    },
  },
  {
    name: 'schema drift: fields of the wrong type',
    setup: ({ emulator, permissions }) => {
      const data = permissions('A').map((p) => ({ ...p, created_at: String(p.created_at), project_id: 42 }));
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: { ...listPage(data, false), has_more: 'no' },
        match: list(A),
      });
    },
    expect: {
      checkpoints: { A: { status: 'incomplete', reasonCode: 'ERR_OPENAI_INVALID_RESPONSE' } },
      actions: { proj_stranger: null, proj_vendor: null },
    },
  },
  {
    name: 'extra unknown fields are accepted',
    setup: ({ emulator, permissions }) => {
      const data = permissions('A').map((p) => ({ ...p, granted_by: 'user-123', scope: { tier: 'gold' } }));
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: listPage(data, false, { total_count: 3, next_page_url: null }),
        match: list(A),
      });
    },
    expect: {},
  },
];
