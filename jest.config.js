// One root config runs every package's tests, in two projects:
//   unit         *.test.ts next to the code; recorded CLI output, no engine.
//   integration  *.integration.test.ts; a real Docker engine, long timeouts, run in band.
//   emulated     *.emulated.test.ts; another architecture under QEMU (npm run test:arm64 only).
// The workspace packages are mapped to their sources, so tests need no build (the CLI's
// integration test runs the built `srs`).
const packageSources = {
  core: 'packages/core/src/index.ts',
  image: 'images/spark-rstudio-shiny/src/index.ts',
  stack: 'stack/src/index.ts',
  sdk: 'packages/sdk/src/index.ts',
  cli: 'packages/cli/src/index.ts',
  'test-support': 'packages/test-support/src/index.ts',
};

const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    ...Object.fromEntries(Object.entries(packageSources).map(([name, path]) => [`^@spark-rstudio-shiny/${name}$`, `<rootDir>/${path}`])),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
  testEnvironment: 'node',
};

// Where tests live: next to the code (src), in a package's test folder, and in the examples.
const roots = ['packages/*', 'images/*', 'stack'];
const under = (pattern) => roots.flatMap((root) => [`<rootDir>/${root}/src/**/${pattern}`, `<rootDir>/${root}/test/**/${pattern}`]);

/** @type {import('jest').Config} */
export default {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: [...under('*.test.ts'), '<rootDir>/scripts/*.test.ts'],
      testPathIgnorePatterns: ['\\.integration\\.test\\.ts$', '\\.emulated\\.test\\.ts$', '/node_modules/', '/dist/'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: [...under('*.integration.test.ts'), '<rootDir>/examples/**/*.integration.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/'],
    },
    {
      // Another architecture under emulation: slow, run by `npm run test:arm64` only.
      ...shared,
      displayName: 'emulated',
      testMatch: under('*.emulated.test.ts'),
      testPathIgnorePatterns: ['/node_modules/', '/dist/'],
    },
  ],
};
