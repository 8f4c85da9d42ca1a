// One jest run, five projects: unit (pure core, no services), engine (lake steps in embedded DuckDB,
// in-process, no services), workflows and replay (the real Temporal dev server), integration (the
// whole real stack). `npm test` starts the stack once before jest runs.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] };
const base = {
  testEnvironment: 'node',
  transform,
  moduleFileExtensions: ['ts', 'js', 'json'],
  setupFiles: ['<rootDir>/bin/node-warnings.js'],
};

/** @type {import('jest').Config} */
module.exports = {
  // One worker: integration tests share one stack, and the outage test stops and restarts Kafka.
  maxWorkers: 1,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...base, displayName: 'engine', testMatch: ['<rootDir>/test/engine/**/*.test.ts'] },
    { ...base, displayName: 'workflows', testMatch: ['<rootDir>/test/workflows/**/*.test.ts'], slowTestThreshold: 30 },
    { ...base, displayName: 'replay', testMatch: ['<rootDir>/test/replay/**/*.test.ts'] },
    {
      ...base,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/integration/globalSetup.ts',
    },
  ],
};
