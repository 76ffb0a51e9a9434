/** What a day of watch polls may still revoke and create: the policy's caps, over any 24 hours. */
import { emptyDiscoveryState } from '../../lambda/core/discovery.js';
import {
  watchCreationsLeft,
  watchPolicy,
  watchRevocationsLeft,
  withWatchCreations,
  withWatchRevocations,
} from '../../lambda/core/watch.js';
import { policyOf, SUPPORT, WEATHER } from './fixtures.js';

describe('watch-allowance', () => {
  const NOON = Date.parse('2027-01-14T12:00:00Z');
  const HOUR = 60 * 60 * 1000;

  describe('the creations watch may still make', () => {
    it('are the cap less those made in the last 24 hours, counted apart from revocations', () => {
      let state = withWatchCreations(emptyDiscoveryState(), 2, NOON - 23 * HOUR);
      state = withWatchCreations(state, 1, NOON - HOUR);
      state = withWatchRevocations(state, 4, NOON - HOUR);

      expect(watchCreationsLeft(state, 5, NOON)).toBe(2);
      expect(watchRevocationsLeft(state, 5, NOON)).toBe(1);
    });

    it('a creation older than 24 hours no longer counts, and is dropped from the state', () => {
      const old = withWatchCreations(emptyDiscoveryState(), 3, NOON - 25 * HOUR);

      expect(watchCreationsLeft(old, 3, NOON)).toBe(3);
      expect(withWatchCreations(old, 1, NOON).watchCreations).toEqual([
        { at: new Date(NOON).toISOString(), count: 1 },
      ]);
    });

    it('never goes below zero, and a poll that created nothing leaves the state as it was', () => {
      const state = withWatchCreations(emptyDiscoveryState(), 9, NOON);

      expect(watchCreationsLeft(state, 2, NOON)).toBe(0);
      expect(withWatchCreations(state, 0, NOON)).toBe(state);
    });
  });

  describe("a poll's policy", () => {
    it('keeps the required projects of the checkpoints it re-lists, with the caps the day has left', () => {
      const policy = policyOf({
        requiredProjects: ['proj_prod'],
        checkpoints: [WEATHER],
        maxCreationsPerRun: 4,
      });

      const polled = watchPolicy(policy, [WEATHER, SUPPORT], { revocations: 3, creations: 1 });

      expect(polled.maxRevocationsPerRun).toBe(3);
      expect(polled.maxCreationsPerRun).toBe(1);
      expect([...(polled.checkpoints[0]?.requiredProjects ?? [])]).toEqual(['proj_prod']);
      // A checkpoint the policy does not list, re-listed under `unlistedCheckpoints: audit`: none required.
      expect(polled.checkpoints[1]).toEqual({
        id: SUPPORT,
        allowedProjects: policy.allowedProjects,
        unlisted: 'audit',
      });
    });
  });
});
