import { FUNCTION_SETTINGS, SETTINGS, isRequiredFor, settingProblem, type SettingName } from '../topology/settings';
import { encodeDeploymentSetting } from '../topology/deployment';
import type { SsiEnvironment } from './environment';
import { functionEnvironment, type FunctionSpec, type ResolvedResources } from '../topology';

/** Values of the declared settings in one environment; a setting without a value is left out. */
export type SettingValues = Partial<Record<SettingName, string>>;

/**
 * The environment's values of the declared settings (topology/settings.ts): the chain, the
 * deployment record and log level from its parameters, the points parameters, then anything its
 * `settings` map sets. The CDK app and the local stack both resolve values here.
 */
export function settingValues(ssi: { config: Pick<SsiEnvironment['config'], 'rpcUrl' | 'chainId' | 'logLevel' | 'points' | 'settings'>; deployment: SsiEnvironment['deployment'] }): SettingValues {
  const { config } = ssi;
  const { points } = config;
  return {
    SSI_RPC_URL: config.rpcUrl,
    SSI_CHAIN_ID: String(config.chainId),
    SSI_DEPLOYMENT: encodeDeploymentSetting(ssi.deployment),
    POWERTOOLS_LOG_LEVEL: config.logLevel,
    ...(points.epochPool === undefined ? {} : { SSI_EPOCH_POOL: points.epochPool }),
    ...(points.referencePrices === undefined ? {} : { SSI_REFERENCE_PRICES: JSON.stringify(points.referencePrices) }),
    ...(points.rules === undefined ? {} : { SSI_POINTS_CONFIG: JSON.stringify(points.rules) }),
    ...config.settings,
  };
}

/**
 * Exactly the settings function `fn` declares, with their values in environment `environment`.
 * Fails, naming the function and every setting, when a required one has no value or a value does
 * not pass its schema: the synth stops instead of a function failing at cold start.
 */
export function settingsFor(fn: string, values: SettingValues, environment: string): Record<string, string> {
  const declared: readonly SettingName[] = (FUNCTION_SETTINGS as Record<string, readonly SettingName[]>)[fn] ?? [];
  const out: Record<string, string> = {};
  const problems: string[] = [];
  for (const name of declared) {
    const value = values[name];
    if (value === undefined) {
      if (isRequiredFor(fn, name)) problems.push(`${name} has no value (${SETTINGS[name].description})`);
      continue;
    }
    const problem = settingProblem(name, value);
    if (problem) problems.push(`${name}: ${problem}`);
    out[name] = value;
  }
  if (problems.length) throw new Error(`function ${fn} cannot run in environment ${environment}:\n  ${problems.join('\n  ')}`);
  return out;
}

/**
 * A function's whole environment as the CDK app deploys it: its declared settings, the names of
 * its declared resources and the runtime options. The local stack's workers get exactly this, with
 * only where the local services are added.
 */
export function functionVariables(spec: FunctionSpec, values: SettingValues, environment: string, resources: ResolvedResources): Record<string, string> {
  return { ...settingsFor(spec.name, values, environment), ...functionEnvironment(spec, resources), NODE_OPTIONS: '--enable-source-maps' };
}
