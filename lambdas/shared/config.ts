import { z } from 'zod';
import { ConfigError } from './errors';
import { deploymentSchema } from '../../topology/deployment';
import { bucketEnv, keyEnv, tableEnv, type BucketName, type KeyRole, type TableName } from '../../topology';

export { deploymentSchema, type DeploymentRecord as DeploymentConfig } from '../../topology/deployment';

/**
 * Reads and checks environment variables once, at cold start. A missing or malformed value
 * throws ConfigError naming every problem, so a bad deployment fails loudly instead of later.
 */
export function loadConfig<T extends z.ZodRawShape>(shape: T, env: NodeJS.ProcessEnv = process.env): z.infer<z.ZodObject<T>> {
  const parsed = z.object(shape).safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  return parsed.data;
}

/** Schemas for the common settings, to compose into a function's config shape. */
export const settings = {
  rpcUrl: z.string().url(),
  chainId: z.coerce.number().int().positive(),
  deployment: z
    .string()
    .transform((text, ctx) => {
      try {
        return deploymentSchema.parse(JSON.parse(text));
      } catch (error) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not a deployment record: ${(error as Error).message}` });
        return z.NEVER;
      }
    }),
  name: z.string().min(1),
};

export const tableName = (table: TableName, env: NodeJS.ProcessEnv = process.env): string =>
  required(tableEnv(table), env);
export const keyId = (role: KeyRole, env: NodeJS.ProcessEnv = process.env): string => required(keyEnv(role), env);
export const bucketName = (bucket: BucketName, env: NodeJS.ProcessEnv = process.env): string =>
  required(bucketEnv(bucket), env);

function required(name: string, env: NodeJS.ProcessEnv): string {
  const value = env[name];
  if (!value) throw new ConfigError(`invalid configuration: ${name} is not set`);
  return value;
}
