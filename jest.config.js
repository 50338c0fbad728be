/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Hardhat keeps its provider on globals; jest must not tear them down between files.
  testEnvironmentOptions: { globalsCleanup: 'off' },
  roots: ['<rootDir>/test'],
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/setup-keccak.ts'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }],
    '^.+\\.m?js$': ['@swc/jest', { jsc: { target: 'es2022' } }],
  },
  // middy, and noble 2.x and @scure/base 2.x (under ripple-address-codec), ship ES modules only; let swc turn them into
  // CommonJS like our own code. A path is left alone unless its innermost package is one of these.
  transformIgnorePatterns: ['/node_modules/(?!(@middy|@noble|@scure)/)(?!.*/node_modules/(@middy|@noble|@scure)/)'],
  testTimeout: 120000,
  maxWorkers: 2,
};
