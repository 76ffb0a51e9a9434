/**
 * A policy whose ids carry a newline, `/../`, `?` or `#`: refused with one line naming
 * the field, before any request.
 */
import type { Scenario } from './scenario.js';

export const HOSTILE_POLICY: readonly Scenario[] = [
  {
    name: 'a policy project id containing a newline',
    policy: (policy) => ({ ...policy, allowedProjects: ['proj_core\nproj_forged'] }),
    expect: { invalidPolicy: 'allowedProjects[0]' },
  },
  {
    name: 'a policy checkpoint id containing /../',
    policy: (policy) => ({ ...policy, checkpoints: [...policy.checkpoints, 'ft:gpt-4o:org:x/../../files'] }),
    expect: { invalidPolicy: 'checkpoints[3]' },
  },
  {
    name: 'a policy checkpoint id containing ?',
    policy: (policy) => ({ ...policy, checkpoints: ['ft:gpt-4o:org:x?after=cp_1', ...policy.checkpoints] }),
    expect: { invalidPolicy: 'checkpoints[0]' },
  },
  {
    name: 'a policy checkpoint id containing #',
    policy: (policy) => ({ ...policy, checkpoints: ['ft:gpt-4o:org:x#fragment', ...policy.checkpoints] }),
    expect: { invalidPolicy: 'checkpoints[0]' },
  },
];
