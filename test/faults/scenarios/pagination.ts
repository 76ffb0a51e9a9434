/**
 * Listings that contradict themselves across pages: a permission on two pages (for
 * one project or two), `has_more` with an empty page, a repeating cursor, `last_id: null`.
 */
import type { PermissionObject } from '../../../lambda/emulator/openai/index.js';
import { CHECKPOINTS, listPage } from '../world.js';
import { expectRequests, FOREVER, list } from './requests.js';
import type { Scenario } from './scenario.js';

const { A, B } = CHECKPOINTS;

export const PAGINATION: readonly Scenario[] = [
  {
    name: 'the same permission id on two pages counts and is revoked once',
    setup: ({ emulator, permissions, permission }) => {
      const [core, stranger, vendor] = permissions('A') as [
        PermissionObject,
        PermissionObject,
        PermissionObject,
      ];
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: listPage([core, stranger], true),
        match: { ...list(A), after: null },
      });
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: listPage([stranger, vendor], false),
        match: { ...list(A), after: permission('A', 'proj_stranger').id },
      });
    },
    expect: {
      check: (outcome, world) => {
        const a = outcome.report?.checkpoints.find((c) => c.id === A);
        expect(a).toMatchObject({ pagesRead: 2, permissionsSeen: 3 });
        const stranger = world.permission('A', 'proj_stranger').id;
        expect(outcome.requests.filter((r) => r.permissionId === stranger)).toHaveLength(1);
      },
    },
  },
  {
    name: 'the same permission id on two pages for two different projects',
    setup: ({ emulator, permissions, permission }) => {
      const [core, stranger, vendor] = permissions('A') as [
        PermissionObject,
        PermissionObject,
        PermissionObject,
      ];
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: listPage([core, stranger], true),
        match: { ...list(A), after: null },
      });
      // The same id again, now said to be the allowed project's: the listing contradicts itself.
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: listPage([{ ...stranger, project_id: 'proj_core' }, vendor], false),
        match: { ...list(A), after: permission('A', 'proj_stranger').id },
      });
    },
    expect: {
      checkpoints: { A: { status: 'incomplete', reasonCode: 'ERR_OPENAI_INVALID_RESPONSE' } },
      // The walk stops at the contradiction, before the vendor's grant.
      actions: { proj_stranger: 'halted', proj_vendor: null },
      check: (outcome) => {
        expect(outcome.report?.checkpoints[0]?.reason).toContain('is listed for two projects');
      },
    },
  },
  {
    name: 'has_more: true with an empty page',
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'pagination',
        mode: 'empty-has-more',
        match: { ...list(B), pageIndex: 1 },
      });
    },
    expect: {
      checkpoints: { B: { status: 'incomplete', reasonCode: 'EMPTY_PAGE' } },
      actions: { proj_intruder: 'halted' },
    },
  },
  {
    name: 'a repeating cursor',
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'pagination',
        mode: 'repeat-cursor',
        match: { ...list(B), pageIndex: 1 },
        times: FOREVER,
      });
    },
    expect: {
      checkpoints: { B: { status: 'incomplete', reasonCode: 'CURSOR_REPEATED' } },
      actions: { proj_intruder: 'halted' },
      check: expectRequests(2, 'listPermissions', B),
    },
  },
  {
    name: 'last_id: null with has_more: true',
    setup: ({ emulator }) => {
      emulator.injectFault({ kind: 'pagination', mode: 'null-last-id', match: { ...list(B), pageIndex: 0 } });
    },
    expect: {
      checkpoints: { B: { status: 'incomplete', reasonCode: 'NULL_CURSOR' } },
      actions: { proj_intruder: 'halted' },
    },
  },
];
