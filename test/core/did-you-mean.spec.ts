import { didYouMean, editDistance } from '../../lambda/core/did-you-mean.js';

describe('did-you-mean', () => {
  const POLICY_KEYS = [
    '$schema',
    '$comment',
    'mode',
    'allowedProjects',
    'checkpoints',
    'exemptions',
    'maxRevocationsPerRun',
    'lookups',
    'unlistedCheckpoints',
  ];

  describe('editDistance', () => {
    it.each([
      { a: 'mode', b: 'mode', distance: 0 },
      { a: 'Mode', b: 'mode', distance: 0 },
      { a: 'mdoe', b: 'mode', distance: 1 },
      { a: 'mod', b: 'mode', distance: 1 },
      { a: 'node', b: 'mode', distance: 1 },
      { a: '', b: 'mode', distance: 4 },
      { a: 'kitten', b: 'sitting', distance: 3 },
    ])('from "$a" to "$b" is $distance', ({ a, b, distance }) => {
      expect(editDistance(a, b)).toBe(distance);
    });
  });

  describe('didYouMean', () => {
    it.each([
      { word: 'maxRevocations', meant: 'maxRevocationsPerRun', why: 'the start of the key' },
      { word: 'allowedProject', meant: 'allowedProjects', why: 'one letter short' },
      { word: 'allowed_projects', meant: 'allowedProjects', why: 'snake case of it' },
      { word: 'checkpionts', meant: 'checkpoints', why: 'two letters swapped' },
      { word: 'Mode', meant: 'mode', why: 'another case' },
      { word: 'exemption', meant: 'exemptions', why: 'the singular' },
    ])('"$word" is taken for "$meant" ($why)', ({ word, meant }) => {
      expect(didYouMean(word, POLICY_KEYS)).toBe(meant);
    });

    it.each([{ word: 'colour' }, { word: 'x' }, { word: 'schedule' }, { word: 'maxRevocationsPerRun' }])(
      '"$word" is taken for nothing',
      ({ word }) => {
        expect(didYouMean(word, POLICY_KEYS)).toBeUndefined();
      },
    );

    it('a word of three letters or fewer is matched by edits only, never as a start', () => {
      expect(didYouMean('che', ['checkpoints'])).toBeUndefined();
    });

    it('the closest candidate wins', () => {
      expect(didYouMean('enforced', ['report', 'enforce'])).toBe('enforce');
      expect(didYouMean('polcy', ['project', 'policy'])).toBe('policy');
    });
  });
});
