/**
 * Jest runs the TypeScript sources as native ESM (got 16 is ESM-only), transformed
 * by SWC: TypeScript 7 has no compiler API, so ts-jest cannot be used.
 * @type {import('jest').Config}
 */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The pack-and-install test takes half a minute of npm: `npm run test:package`, which
  // .ci/run runs after `npm test`.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/package/'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' }, module: { type: 'es6' } },
    ],
  },
  testTimeout: 20000,
  // Builds dist/ (the compiled CLI) once, for the tests that start the real process.
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  // Jest's default on two cores is one worker. The suite's files are independent, and many
  // of them spend their time waiting (rate-limit waits, timeouts, child processes): four
  // workers overlap that waiting with the CPU-bound files (measured on two cores: 2 workers
  // 65 s, 3 60 s, 4 57 s, 6 60 s). The fault matrix is split into parts for this.
  maxWorkers: 4,
  // The slowest files first even on a fresh clone, where Jest has no durations of its own.
  testSequencer: '<rootDir>/test/support/test-sequencer.mjs',
  // The fault matrix's summary line, over all of its files.
  reporters: ['default', '<rootDir>/test/faults/matrix-summary-reporter.js'],
};
