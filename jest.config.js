/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    // p-queue and p-timeout ship ESM only; ts-jest compiles them to CommonJS for jest's module system.
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(p-queue|p-timeout)/)'],
  testTimeout: 60000,
  // Real redis-server processes are spawned per suite; two workers fit a 2-core machine.
  maxWorkers: 2,
};
