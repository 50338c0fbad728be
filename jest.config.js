/**
 * Two projects over one shared configuration (README, Layout): `unit` runs the pure tests (`*.test.ts`,
 * `npm run test:unit`), `integration` the tests that start something: a chain, DynamoDB Local, the KMS
 * endpoint, s3rver, bundles or workers, an HTTP server, the local stack, a child process or a browser
 * (`*.integration.test.ts`, `npm run test:integration`). Plain `jest` (and `npm test`) runs both.
 */
/** @type {import('jest').Config} */
const shared = {
  rootDir: __dirname,
  testEnvironment: '<rootDir>/test/helpers/environment.ts',
  // Hardhat keeps its provider on globals; jest must not tear them down between files.
  testEnvironmentOptions: { globalsCleanup: 'off' },
  roots: ['<rootDir>/test'],
  setupFiles: ['<rootDir>/test/helpers/setup-env.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/helpers/setup-keccak.ts'],
  transform: {
    '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }],
    '^.+\\.m?js$': ['@swc/jest', { jsc: { target: 'es2022' } }],
  },
  // middy, and noble 2.x and @scure/base 2.x (under ripple-address-codec), ship ES modules only; let swc turn them into
  // CommonJS like our own code. A path is left alone unless its innermost package is one of these.
  transformIgnorePatterns: ['/node_modules/(?!(@middy|@noble|@scure)/)(?!.*/node_modules/(@middy|@noble|@scure)/)'],
};

/** @type {import('jest').Config} */
module.exports = {
  maxWorkers: 2,
  // A global option in jest 29 (projects may not set it).
  testTimeout: 120000,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', '\\.integration\\.test\\.ts$'] },
    { ...shared, displayName: 'integration', testMatch: ['**/*.integration.test.ts'] },
  ],
};
