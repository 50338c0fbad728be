import type { Command } from 'commander';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { getAddress, isAddress, type JsonRpcProvider } from 'ethers';
import { CliError, report } from '../output';
import { readStackFile } from './stack';
import { DEFAULT_LIMITS, keyIdOf, listApiKeys, putApiKey, setApiKeysEnabled, type WlpKey } from '../../lambdas/quotes/api-keys';
import { PmmRegistry } from '../../lambdas/quotes/pmm-registry';
import { AUTHORIZER_CACHE_TTL_SECONDS, type TableName } from '../../topology';
import { localCredentials, LOCAL_REGION } from '../../infra/local/credentials';
import { KMSClient } from '@aws-sdk/client-kms';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { KEYS } from '../../topology';
import { deploymentSchema, type DeploymentRecord } from '../../topology/deployment';
import { chainProvider } from '../../lambdas/shared/chain';
import { acceptAdmin, adminRelayer, changeRole, relayerSender, roleHolders, RoleError, ONBOARDING_ROLES, type RoleTransactionSender } from '../roles';

/*
 * `ssi admin`: operational data of any stage, in DynamoDB, not in environment variables: the PMM
 * registry (table pmms) and WLP API keys (table wlp-keys). `--stage <env>` reaches the AWS
 * deployment (tables ssi-<env>-*, the SDK's own credentials and region, `--region` to pick one);
 * without it, the local stack (`--data`, $SSI_DATA_DIR or .data/local). The local stack registers
 * its own PMM and WLP through the same code.
 */

interface TargetOptions {
  stage?: string;
  region?: string;
  data?: string;
  json?: boolean;
}

interface Target {
  doc: DynamoDBDocumentClient;
  table(name: TableName): string;
  where: string;
  close(): void;
}

function target(options: TargetOptions): Target {
  if (options.stage) {
    if (!/^[a-z][a-z0-9-]{0,20}$/.test(options.stage)) throw new CliError(`not a stage name: ${options.stage}`);
    const client = new DynamoDBClient({ region: options.region });
    return { doc: DynamoDBDocumentClient.from(client), table: (name) => `ssi-${options.stage}-${name}`, where: `stage ${options.stage}`, close: () => client.destroy() };
  }
  const stack = readStackFile(options.data);
  const client = new DynamoDBClient({ endpoint: stack.dynamodb, region: LOCAL_REGION, credentials: localCredentials });
  return { doc: DynamoDBDocumentClient.from(client), table: (name) => stack.tables[name], where: `the local stack (${stack.dataDir})`, close: () => client.destroy() };
}

async function withTarget<T>(options: TargetOptions, work: (t: Target) => Promise<T>): Promise<T> {
  const t = target(options);
  try {
    return await work(t);
  } catch (error) {
    if (error instanceof CliError || error instanceof RangeError) throw new CliError(error.message);
    const name = (error as { name?: string }).name;
    if (name === 'ResourceNotFoundException') throw new CliError(`${t.where} has no such table: is it deployed? (${(error as Error).message})`);
    if (name === 'ConditionalCheckFailedException') throw new CliError('no such record');
    throw new CliError(`${t.where}: ${(error as Error).message}`);
  } finally {
    t.close();
  }
}

/** What `ssi admin roles` needs of a stage: its chain, its deployment and the admin key's KMS relayer. */
interface ChainTarget {
  rpcUrl: string;
  chainId: number;
  deployment: Pick<DeploymentRecord, 'contracts' | 'chainId'>;
  kms: KMSClient;
  /** The admin key (KEYS role `admin`): the only key `ssi admin roles` signs with. */
  adminKey: string;
}

/**
 * The stage's chain as its functions see it: for `--stage`, cdk.json's `ssi:environment:<stage>`
 * (rpcUrl, chainId, deploymentFile; `--rpc-url` overrides the endpoint) and the admin key's alias
 * alias/ssi-admin-<stage>; for the local stack, stack.json.
 */
async function chainTarget(options: TargetOptions & { rpcUrl?: string }): Promise<ChainTarget> {
  const admin = KEYS.find((k) => k.role === 'admin')!;
  if (options.stage) {
    const { loadEnvironment } = await import('../../infra/environment');
    const { keyAliasName } = await import('../../infra/constructs/naming');
    const context = (JSON.parse(readFileSync(resolve(__dirname, '../../cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
    let environment;
    try {
      environment = loadEnvironment({ tryGetContext: (key) => (key === 'env' ? options.stage : context[key]) });
    } catch (error) {
      throw new CliError((error as Error).message);
    }
    return {
      rpcUrl: options.rpcUrl ?? environment.config.rpcUrl,
      chainId: environment.config.chainId,
      deployment: environment.deployment,
      kms: new KMSClient({ region: options.region }),
      adminKey: keyAliasName(admin.alias, options.stage),
    };
  }
  const stack = readStackFile(options.data);
  const deployment = deploymentSchema.parse(JSON.parse(readFileSync(stack.deploymentFile, 'utf8')));
  return {
    rpcUrl: options.rpcUrl ?? stack.rpc,
    chainId: stack.chainId,
    deployment,
    kms: new KMSClient({ endpoint: stack.kms, region: LOCAL_REGION, credentials: localCredentials }),
    adminKey: requireAdminKey(stack.keys.admin?.keyId, stack.dataDir),
  };
}

/** A stack started before the admin key existed has none: say how to get one instead of failing later. */
function requireAdminKey(keyId: string | undefined, dataDir: string): string {
  if (!keyId) throw new CliError(`the local stack in ${dataDir} has no admin key: restart it (npm start) so it creates alias/ssi-admin`);
  return keyId;
}

const address = (value: string, what: string): string => {
  if (!isAddress(value)) throw new CliError(`${what} is not an address: ${value}`);
  return getAddress(value);
};
const url = (value: string | undefined, what: string): string | undefined => {
  if (value === undefined) return undefined;
  try {
    const parsed = new URL(value);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
    return value;
  } catch {
    throw new CliError(`${what} is not an http(s) URL: ${value}`);
  }
};
const count = (value: string | undefined, what: string): number | undefined => {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new CliError(`${what} must be a whole number: ${value}`);
  return Number(value);
};

const withTargetOptions = (command: Command): Command =>
  command
    .option('--stage <env>', 'an AWS deployment (tables ssi-<env>-*); default: the local stack')
    .option('--region <region>', 'AWS region of --stage (default: the SDK default)')
    .option('--data <dir>', 'the local stack data folder (default .data/local or $SSI_DATA_DIR)')
    .option('--json', 'machine-readable output');

const keyView = (k: WlpKey) => ({ keyId: keyIdOf(k), wlp: k.wlp, name: k.name, enabled: k.enabled, rateLimit: k.rateLimit, quota: k.quota, createdAt: k.createdAt });

export function registerAdmin(program: Command): void {
  const admin = program.command('admin').description('operator administration of a stage: PMM registry, WLP API keys, on-chain onboarding roles');

  const pmm = admin.command('pmm').description('the PMMs the quote API and the rebalance ask');
  withTargetOptions(pmm.command('add').description('register a PMM (or update and re-enable it)'))
    .requiredOption('--maker <address>', "the PMM's signing address")
    .requiredOption('--name <name>', 'a short name')
    .requiredOption('--rfq-url <url>', 'where quote RFQs are posted (rebalance RFQs go to <url>/rebalance)')
    .option('--batch-url <url>', 'where batches of RFQs are posted, if the PMM takes them')
    .action(async (options: TargetOptions & { maker: string; name: string; rfqUrl: string; batchUrl?: string }) => {
      const pmmRecord = { maker: address(options.maker, '--maker'), name: options.name, rfqUrl: url(options.rfqUrl, '--rfq-url')!, batchUrl: url(options.batchUrl, '--batch-url') };
      const record = await withTarget(options, (t) => new PmmRegistry(t.doc, t.table('pmms')).add(pmmRecord));
      report(options, { ok: true, pmm: record }, () => [`PMM ${record.name} (${record.maker}) registered: RFQs to ${record.rfqUrl}`]);
    });
  withTargetOptions(pmm.command('list').description('list the registered PMMs')).action(async (options: TargetOptions) => {
    const pmms = await withTarget(options, (t) => new PmmRegistry(t.doc, t.table('pmms')).list());
    report(options, { ok: true, pmms }, () => (pmms.length ? pmms.map((p) => `${p.enabled ? 'enabled ' : 'disabled'} ${p.name} ${p.maker} ${p.rfqUrl}${p.batchUrl ? ` (batch ${p.batchUrl})` : ''}`) : ['no PMM registered']));
  });
  withTargetOptions(pmm.command('disable').description('stop asking a PMM'))
    .requiredOption('--maker <address>', "the PMM's signing address")
    .action(async (options: TargetOptions & { maker: string }) => {
      const maker = address(options.maker, '--maker');
      const record = await withTarget(options, (t) => new PmmRegistry(t.doc, t.table('pmms')).disable(maker));
      report(options, { ok: true, pmm: record }, () => [`PMM ${record.name} (${record.maker}) disabled`]);
    });

  const wlp = admin.command('wlp').description('WLP API keys (stored as hashes; a key is shown once, when made)');
  withTargetOptions(wlp.command('create').description('make an API key for a WLP and print it once'))
    .requiredOption('--wlp <address>', "the WLP's address (the requester its quotes are signed for)")
    .requiredOption('--name <name>', 'a short name')
    .option('--rate-limit <n>', `requests per second (default ${DEFAULT_LIMITS.rateLimit})`)
    .option('--quota <n>', `requests per UTC day (default ${DEFAULT_LIMITS.quota})`)
    .action(async (options: TargetOptions & { wlp: string; name: string; rateLimit?: string; quota?: string }) => {
      const params = { wlp: address(options.wlp, '--wlp'), name: options.name, rateLimit: count(options.rateLimit, '--rate-limit'), quota: count(options.quota, '--quota') };
      const { key, record } = await withTarget(options, (t) => putApiKey(t.doc, t.table('wlp-keys'), params));
      report(options, { ok: true, apiKey: key, key: keyView(record) }, () => [`API key for ${record.name} (${record.wlp}), id ${keyIdOf(record)}; shown only now:`, key]);
    });
  withTargetOptions(wlp.command('list').description('list API keys (ids, not keys)')).action(async (options: TargetOptions) => {
    const keys = (await withTarget(options, (t) => listApiKeys(t.doc, t.table('wlp-keys')))).map(keyView);
    report(options, { ok: true, keys }, () => (keys.length ? keys.map((k) => `${k.enabled ? 'enabled ' : 'revoked '} ${k.keyId} ${k.name} ${k.wlp} ${k.rateLimit}/s ${k.quota}/day since ${k.createdAt}`) : ['no API key']));
  });
  withTargetOptions(wlp.command('revoke').description("turn off a key (--key-id) or all of a WLP's keys (--wlp)"))
    .option('--key-id <id>', 'the 12-hex-digit key id `wlp list` shows')
    .option('--wlp <address>', 'revoke every key of this WLP')
    .action(async (options: TargetOptions & { keyId?: string; wlp?: string }) => {
      if (!options.keyId === !options.wlp) throw new CliError('give exactly one of --key-id and --wlp');
      const wlpAddress = options.wlp ? address(options.wlp, '--wlp') : undefined;
      if (options.keyId && !/^[0-9a-f]{12}$/.test(options.keyId)) throw new CliError(`--key-id is 12 hex digits: ${options.keyId}`);
      const revoked = await withTarget(options, async (t) => {
        const matching = (await listApiKeys(t.doc, t.table('wlp-keys'))).filter((k) => (wlpAddress ? k.wlp === wlpAddress : keyIdOf(k) === options.keyId) && k.enabled);
        if (!matching.length) throw new CliError(`no enabled key matches ${options.keyId ?? wlpAddress}`);
        await setApiKeysEnabled(t.doc, t.table('wlp-keys'), matching.map((k) => k.keyHash), false);
        return matching.map((k) => keyView({ ...k, enabled: false }));
      });
      report(options, { ok: true, revoked }, () => revoked.map((k) => `revoked ${k.keyId} ${k.name} ${k.wlp} (refused once cached answers expire: at most ${AUTHORIZER_CACHE_TTL_SECONDS + 30} s)`));
    });
  withTargetOptions(wlp.command('rotate-key').description("make a new key for a WLP (same name and limits), print it once, and revoke its old keys"))
    .requiredOption('--wlp <address>', "the WLP's address")
    .action(async (options: TargetOptions & { wlp: string }) => {
      const wlpAddress = address(options.wlp, '--wlp');
      const { key, record, revoked } = await withTarget(options, async (t) => {
        const old = (await listApiKeys(t.doc, t.table('wlp-keys'))).filter((k) => k.wlp === wlpAddress && k.enabled);
        if (!old.length) throw new CliError(`${wlpAddress} has no enabled key to rotate (use wlp create)`);
        const last = old[old.length - 1]!;
        const made = await putApiKey(t.doc, t.table('wlp-keys'), { wlp: wlpAddress, name: last.name, rateLimit: last.rateLimit, quota: last.quota });
        await setApiKeysEnabled(t.doc, t.table('wlp-keys'), old.map((k) => k.keyHash), false);
        return { ...made, revoked: old.map((k) => keyIdOf(k)) };
      });
      report(options, { ok: true, apiKey: key, key: keyView(record), revoked }, () => [`new API key for ${record.name}, id ${keyIdOf(record)}; shown only now:`, key, `revoked ${revoked.join(', ')}`]);
    });

  const roles = admin.command('roles').description(`on-chain onboarding roles (${Object.keys(ONBOARDING_ROLES).join(', ')}), signed by the admin KMS key through the relayer`);
  const roleOptions = (command: Command): Command =>
    withTargetOptions(command).option('--rpc-url <url>', "the chain endpoint (default: the stage's own)");
  /** Runs `work` with the stage's chain, deployment, the admin key's address and its relayer; a RoleError becomes the CLI's message. */
  const withAdminKey = <T>(
    options: TargetOptions & { rpcUrl?: string },
    work: (provider: JsonRpcProvider, deployment: ChainTarget['deployment'], sender: string, send: RoleTransactionSender) => Promise<T>,
  ): Promise<T> =>
    withTarget(options, async (t) => {
      const chain = await chainTarget(options);
      const provider = chainProvider(chain.rpcUrl, chain.chainId);
      try {
        const { signer, relayer } = adminRelayer({ kms: chain.kms, adminKey: chain.adminKey, provider, chainId: chain.chainId, doc: t.doc, tables: { actions: t.table('relayer-actions'), nonces: t.table('relayer-nonces') } });
        return await work(provider, chain.deployment, await signer.getAddress(), relayerSender(relayer));
      } catch (error) {
        if (error instanceof RoleError) throw new CliError(error.message);
        throw error;
      } finally {
        provider.destroy();
        chain.kms.destroy();
      }
    });
  const roleChange = (grant: boolean) => async (options: TargetOptions & { rpcUrl?: string; role: string; account: string }) => {
    const account = address(options.account, '--account');
    const changes = await withAdminKey(options, (provider, deployment, sender, send) => changeRole(provider, deployment, { role: options.role, account, grant, sender }, send));
    report(options, { ok: true, changes }, () => changes.map((c) => `${c.outcome === 'unchanged' ? (grant ? 'already had' : 'did not have') : c.outcome} ${c.role} on ${c.contract} ${c.address} for ${c.account}${c.txHash ? ` (tx ${c.txHash})` : ''}`));
  };
  for (const [verb, grant] of [['grant', true], ['revoke', false]] as const) {
    roleOptions(roles.command(verb).description(`${verb} a role on every contract that holds it`))
      .requiredOption('--role <role>', Object.keys(ONBOARDING_ROLES).join(' | '))
      .requiredOption('--account <address>', 'the WLP or PMM address')
      .action(roleChange(grant));
  }
  roleOptions(roles.command('accept-admin').description('accept the default admin handover of the contracts holding the onboarding roles (after the current admin began it and its delay passed)')).action(
    async (options: TargetOptions & { rpcUrl?: string }) => {
      const accepted = await withAdminKey(options, acceptAdmin);
      report(options, { ok: true, accepted }, () => accepted.map((a) => `${a.outcome === 'accepted' ? 'now default admin of' : 'already default admin of'} ${a.contract} ${a.address}${a.txHash ? ` (tx ${a.txHash})` : ''}`));
    },
  );
  roleOptions(roles.command('list').description('who holds the onboarding roles now (from RoleGranted events, checked with hasRole)'))
    .option('--role <role>', 'only this role')
    .option('--from-block <n>', 'where to start reading events (default 0)')
    .action(async (options: TargetOptions & { rpcUrl?: string; role?: string; fromBlock?: string }) => {
      const fromBlock = count(options.fromBlock, '--from-block');
      const chain = await chainTarget(options);
      const provider = chainProvider(chain.rpcUrl, chain.chainId);
      let holders;
      try {
        holders = await roleHolders(provider, chain.deployment, { role: options.role, fromBlock });
      } catch (error) {
        throw new CliError(error instanceof RoleError ? error.message : `${chain.rpcUrl}: ${(error as Error).message}`);
      } finally {
        provider.destroy();
        chain.kms.destroy();
      }
      const view = holders.map(({ contract, address: at, role, account }) => ({ contract, address: at, role, account }));
      report(options, { ok: true, holders: view }, () => (view.length ? view.map((h) => `${h.role} on ${h.contract} ${h.address}: ${h.account}`) : ['nobody holds an onboarding role']));
    });
}

