import { z } from 'zod';
import { ConfigError } from './errors';
import { bucketEnv, keyEnv, tableEnv, type BucketName, type FunctionName, type KeyRole, type TableName } from '../../topology';
import { FUNCTION_SETTINGS, SETTINGS, type SettingName, type SettingValue } from '../../topology/settings';

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

/** The function this code runs as, from POWERTOOLS_SERVICE_NAME (`ssi-<function>`, set by functionEnvironment). */
function runningFunction(env: NodeJS.ProcessEnv): FunctionName | undefined {
  const name = env.POWERTOOLS_SERVICE_NAME?.replace(/^ssi-/, '');
  return name !== undefined && name in FUNCTION_SETTINGS ? (name as FunctionName) : undefined;
}

/**
 * Reads declared settings (topology/settings.ts) once, at cold start. Inside a declared function,
 * reading a setting it does not declare is refused: the deployment gives a function only what it
 * declares, so such a read would pass locally and fail (or silently default) in AWS.
 */
export function loadSettings<const N extends readonly SettingName[]>(names: N, env: NodeJS.ProcessEnv = process.env): { [K in N[number]]: SettingValue<K> } {
  const fn = runningFunction(env);
  if (fn) {
    const declared: readonly string[] = FUNCTION_SETTINGS[fn];
    const undeclared = names.filter((name) => !declared.includes(name));
    if (undeclared.length) throw new ConfigError(`invalid configuration: function ${fn} reads ${undeclared.join(', ')}, which topology/settings.ts does not declare for it`);
  }
  const shape = Object.fromEntries(names.map((name) => [name, SETTINGS[name].schema])) as z.ZodRawShape;
  return loadConfig(shape, env) as { [K in N[number]]: SettingValue<K> };
}

/** Every setting a function declares. */
export function functionSettings<F extends FunctionName>(fn: F, env: NodeJS.ProcessEnv = process.env) {
  return loadSettings(FUNCTION_SETTINGS[fn], env);
}

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
