import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { deploymentSchema, type DeploymentRecord as DeploymentConfig } from '../topology/deployment';
import { SETTINGS, type SettingName } from '../topology/settings';

/** Repository root: NodejsFunction entries, deployment records and cdk.json paths are relative to it. */
export const REPOSITORY_ROOT = resolve(__dirname, '..');

export const ENVIRONMENT_NAMES = ['dev', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

/** Context key holding the environment name (`-c env=prod`); cdk.json sets `dev` as the default. */
export const ENVIRONMENT_CONTEXT_KEY = 'env';
/** Context key holding one environment's parameters, e.g. `ssi:environment:dev`. */
export const environmentContextKey = (name: EnvironmentName): string => `ssi:environment:${name}`;

/** CloudWatch Logs retention periods CloudFormation accepts, in days. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** One environment's parameters, as written in cdk.json under `ssi:environment:<name>`. */
export const environmentConfigSchema = z
  .object({
    /** AWS account to deploy to; omitted: the CLI's current credentials decide (env-agnostic stacks). */
    account: z.string().regex(/^\d{12}$/, 'an AWS account id is 12 digits').optional(),
    /** AWS region to deploy to; omitted: the CLI's current region decides. */
    region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'not an AWS region name').optional(),
    /** EVM chain the back end operates on; must match the deployment record. */
    chainId: z.number().int().positive(),
    /** JSON-RPC endpoint the functions use (SSI_RPC_URL). */
    rpcUrl: z.string().url(),
    /** Deployment record (scripts/deploy.ts output), relative to the repository root. */
    deploymentFile: z.string().min(1),
    /**
     * Synthesize with an empty deployment record when the file does not exist yet (a dev back
     * end may be deployed before its contracts). Never for prod.
     */
    allowMissingDeployment: z.boolean().default(false),
    /** Where alarm notifications go (SNS e-mail subscription, confirmed by the recipient). */
    alarmEmail: z.string().email().optional(),
    /** HTTP API stage throttling: steady requests per second and burst. */
    api: z.object({
      rateLimit: z.number().positive(),
      burstLimit: z.number().int().positive(),
    }),
    /** Retention of function and API access logs, in days (a CloudWatch Logs period). */
    logRetentionDays: z
      .number()
      .int()
      .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
        message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
      }),
    /** Powertools log level of the functions. */
    logLevel: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT']).default('INFO'),
    /** Object lock on the reports bucket: every report version is kept at least this long. */
    reportRetention: z.object({
      mode: z.enum(['GOVERNANCE', 'COMPLIANCE']),
      days: z.number().int().positive(),
    }),
    /**
     * The reserve deficit alarm fires when more than this many of an index's assets are in deficit
     * (the metric counts assets: the publisher has no price to express a deficit in USD).
     */
    reserveDeficitAssetsThreshold: z.number().int().nonnegative().default(0),
    /**
     * Values of further declared settings (topology/settings.ts), by name, e.g. RESERVES_FROM_BLOCK;
     * each is checked against its schema at synth.
     */
    settings: z
      .record(z.string())
      .default({})
      .superRefine((values, ctx) => {
        for (const name of Object.keys(values)) {
          if (!(name in SETTINGS)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [name], message: 'not a declared setting (topology/settings.ts)' });
        }
      })
      .transform((values) => values as Partial<Record<SettingName, string>>),
    /**
     * The web app's hosting (infra/stacks/web-stack.ts); omitted: no web stack is deployed. CloudFront
     * serves the app and, under /v1/*, the HTTP API from these names, so the app calls its own origin.
     */
    web: z
      .object({
        /** The app's domain names; the first is the origin written into the app's /config.json. */
        domainNames: z.array(z.string().regex(/^(?!-)[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'a lower-case DNS name')).min(1),
        /** Their ACM certificate, in us-east-1 as CloudFront requires (its default certificate still accepts TLS 1.0). */
        certificateArn: z.string().regex(/^arn:aws:acm:us-east-1:\d{12}:certificate\/[\w-]+$/, 'an ACM certificate ARN in us-east-1'),
        /** The JSON-RPC endpoint browsers read the chain from (public; the functions' rpcUrl may carry a key). @default rpcUrl */
        rpcUrl: z.string().url().optional(),
      })
      .strict()
      .optional(),
    /**
     * Deploy USSI's functions (ussi-api, ussi-nav, ussi-confirm, ussi-payout), its route and its
     * schedules. They need the hedge-book venue (settings.USSI_HEDGE_BOOK_URL): an environment without
     * one sets false and deploys none of them; left true without it, the synth fails naming the setting.
     */
    ussi: z.boolean().default(true),
    /**
     * IAM roles (ARNs) of the operators who may sign with the admin key (`ssi admin roles`): the key
     * policy allows kms:Sign to these alone. Empty: nobody signs with it until one is named.
     */
    adminSignerRoleArns: z.array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]+$/, 'an IAM role ARN')).default([]),
    /** CloudFormation termination protection on every stack. */
    terminationProtection: z.boolean().default(false),
    /** Points and epoch rewards (lambdas/points/settings.ts); each omitted value keeps the code's default. */
    points: z
      .object({
        /** Reward token base units allocated per epoch (SSI_EPOCH_POOL). */
        epochPool: z.string().regex(/^\d+$/, 'base units as a decimal integer').optional(),
        /** USD reference prices by symbol, checked before the reference-price source; $SOSO must be here (SSI_REFERENCE_PRICES). */
        referencePrices: z.record(z.number().nonnegative()).optional(),
        /** Points rules: multipliers, boost tiers, referral share, epoch calendar (SSI_POINTS_CONFIG). */
        rules: z.record(z.unknown()).optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

export type EnvironmentConfig = z.infer<typeof environmentConfigSchema>;

/** Context key of the local stack's parameters, declared in cdk.json beside dev and prod. */
export const LOCAL_ENVIRONMENT_KEY = 'ssi:environment:local';

/**
 * The local stack's parameters: the same `settings` map and `ussi` switch as dev and prod. Its chain,
 * deployment record and service endpoints are the stack's own, so nothing else is declared here.
 */
export const localEnvironmentSchema = environmentConfigSchema.pick({ settings: true, ussi: true }).strict();
export type LocalEnvironmentConfig = z.infer<typeof localEnvironmentSchema>;

/** Reads and checks `ssi:environment:local` from a context source (cdk.json's context for the local stack). */
export function loadLocalEnvironment(context: ContextSource): LocalEnvironmentConfig {
  const raw = context.tryGetContext(LOCAL_ENVIRONMENT_KEY);
  if (raw === undefined) throw new Error(`no parameters for the local stack: add "${LOCAL_ENVIRONMENT_KEY}" to the context in cdk.json`);
  const parsed = localEnvironmentSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`invalid parameters for the local stack:\n  ${parsed.error.issues.map((i) => `${[LOCAL_ENVIRONMENT_KEY, ...i.path].join('.')}: ${i.message}`).join('\n  ')}`);
  }
  return parsed.data;
}

/** cdk.json's context, as the CDK CLI passes it to the app (for tools that run outside `cdk`). */
export function cdkJsonContext(root: string = REPOSITORY_ROOT): ContextSource {
  const context = (JSON.parse(readFileSync(resolve(root, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
  return { tryGetContext: (key) => context[key] };
}

/** A validated environment: its name, parameters and the deployment record the functions get. */
export interface SsiEnvironment {
  readonly name: EnvironmentName;
  readonly config: EnvironmentConfig;
  readonly deployment: DeploymentConfig;
  /** False when the record was missing and `allowMissingDeployment` stood in an empty one. */
  readonly deploymentFound: boolean;
}

/** Anything that reads CDK context: an App, a Stack or any construct node. */
export interface ContextSource {
  tryGetContext(key: string): unknown;
}

/**
 * Reads the environment name from context (`-c env=dev|prod`) and that environment's parameters,
 * checks both, and loads the deployment record. Every problem is reported at once, naming the
 * context key to fix, so a bad configuration fails the synth instead of a deploy.
 */
export function loadEnvironment(context: ContextSource, root: string = REPOSITORY_ROOT): SsiEnvironment {
  const rawName = context.tryGetContext(ENVIRONMENT_CONTEXT_KEY);
  if (typeof rawName !== 'string' || !(ENVIRONMENT_NAMES as readonly string[]).includes(rawName)) {
    throw new Error(
      `unknown environment ${JSON.stringify(rawName)}: pass -c ${ENVIRONMENT_CONTEXT_KEY}=<${ENVIRONMENT_NAMES.join('|')}> (cdk.json defaults to dev)`,
    );
  }
  const name = rawName as EnvironmentName;
  const key = environmentContextKey(name);
  const raw = context.tryGetContext(key);
  if (raw === undefined) throw new Error(`no parameters for environment ${name}: add "${key}" to the context in cdk.json`);
  const parsed = environmentConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${[key, ...i.path].join('.')}: ${i.message}`);
    throw new Error(`invalid parameters for environment ${name}:\n  ${problems.join('\n  ')}`);
  }
  const config = parsed.data;
  const problems: string[] = [];
  if (name === 'prod') {
    if (!config.alarmEmail) problems.push(`${key}.alarmEmail: prod alarms must reach someone`);
    if (config.allowMissingDeployment) problems.push(`${key}.allowMissingDeployment: prod needs its real deployment record`);
  }

  const path = isAbsolute(config.deploymentFile) ? config.deploymentFile : resolve(root, config.deploymentFile);
  let deployment: DeploymentConfig | undefined;
  let deploymentFound = false;
  if (existsSync(path)) {
    deploymentFound = true;
    const record = deploymentSchema.safeParse(parseJson(path));
    if (!record.success) {
      problems.push(`${path}: not a deployment record: ${record.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    } else if (record.data.chainId !== config.chainId) {
      problems.push(`${path}: the record is for chain ${record.data.chainId} but ${key}.chainId is ${config.chainId}`);
    } else {
      deployment = record.data;
    }
  } else if (config.allowMissingDeployment) {
    deployment = { network: `chain-${config.chainId}`, chainId: config.chainId, contracts: {}, tokens: {}, indexes: {}, signers: {} };
  } else {
    problems.push(`${key}.deploymentFile: ${path} does not exist: deploy the contracts first (scripts/deploy.ts writes it) or point deploymentFile at the record`);
  }
  if (problems.length > 0 || !deployment) throw new Error(`invalid parameters for environment ${name}:\n  ${problems.join('\n  ')}`);
  return { name, config, deployment, deploymentFound };
}

function parseJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return { error: `unreadable JSON: ${(error as Error).message}` };
  }
}
