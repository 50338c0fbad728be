/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Hardhat keeps its provider on globals; jest must not tear them down between files.
  testEnvironmentOptions: { globalsCleanup: 'off' },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] },
  testTimeout: 120000,
  maxWorkers: 2,
};
