// One root config runs every package's tests, in two projects:
//   unit         *.test.ts next to the code; recorded CLI output, no engine.
//   integration  *.integration.test.ts; a real Docker engine, long timeouts, run in band.
const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
  testEnvironment: 'node',
};

/** @type {import('jest').Config} */
export default {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/packages/*/src/**/*.test.ts', '<rootDir>/packages/*/test/**/*.test.ts'],
      testPathIgnorePatterns: ['\\.integration\\.test\\.ts$'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/packages/*/src/**/*.integration.test.ts', '<rootDir>/packages/*/test/**/*.integration.test.ts', '<rootDir>/examples/**/*.integration.test.ts'],
    },
  ],
};
