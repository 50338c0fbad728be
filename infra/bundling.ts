/**
 * How a function's handler is bundled, declared once: the CDK app's NodejsFunction bundling and
 * the local stack's Lambda-shaped workers (infra/local/lambda-workers.ts) both read it, so what
 * runs locally is the artifact AWS runs.
 */
export const FUNCTION_BUNDLING = {
  format: 'cjs',
  /** The Lambda runtime's Node.js major (FUNCTION_RUNTIME); local workers run what this machine has. */
  target: 'node24',
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  // Bundle the AWS SDK the repository pins instead of whatever version the runtime ships.
  externalModules: [] as string[],
  mainFields: ['module', 'main'],
} as const;
