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
  // Jest's default on two cores is one worker; the suite's files are independent, so both
  // cores can run them (the fault matrix is split into parts for this).
  maxWorkers: 2,
  // The fault matrix's summary line, over all of its files.
  reporters: ['default', '<rootDir>/test/faults/matrix-summary-reporter.js'],
};
