import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { KMSClient, ListAliasesCommand, CreateKeyCommand, CreateAliasCommand, GetParametersForImportCommand, ImportKeyMaterialCommand } from '@aws-sdk/client-kms';
import { constants as cryptoConstants, createPrivateKey, createPublicKey, publicEncrypt } from 'node:crypto';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { S3Client, HeadBucketCommand } from '@aws-sdk/client-s3';
import { JsonRpcProvider, SigningKey } from 'ethers';
import { KEYS, FUNCTIONS, SCHEDULES, functionEnvironment, type FunctionName, type KeyRole, type TableName } from '../topology';
import { kmsAddress } from '../../lambdas/signing/kms-public-key';
import { startKmsServer, type RunningKms } from './kms-server';
import { startDynamo, ensureTables, type RunningDynamo } from './dynamodb';
import { startS3, type RunningS3 } from './s3';
import { startAnvil, deployContracts, deploymentOnChain, type RunningChain } from './chain';
import { startApi, type RunningApi } from './api-gateway';
import { loadOrCreatePmmKey, preparePmmInventory, startPmmProcess, type PmmProcess } from './pmm-simulator';
import { startPerpVenue } from './perp-venue';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { newApiKey, putApiKey } from '../../lambdas/quotes/api-keys';
import { PmmRegistry } from '../../lambdas/quotes/pmm-registry';
import { adminRelayer, changeRole, relayerSender } from '../../cli/roles';
import type { IsoDate } from '../../lambdas/domain/market';
import { localPriceDocument, publishMarketData } from './market-prices';
import { SETTINGS, type SettingName } from '../../topology/settings';
import { functionVariables, settingValues } from '../settings';
import { cdkJsonContext, loadLocalEnvironment } from '../environment';
import { LocalLambdaWorkers } from './lambda-workers';
import { LOCAL_INDEXES } from '../../scripts/deploy/index-protocol';
import { LocalScheduler } from './scheduler';
import { LocalStateMachines } from './state-machine';
import { StackError } from './net';
import { localCredentials, LOCAL_REGION } from './credentials';
import type { DeploymentRecord } from '../../topology/deployment';
import { localRouteRefusal } from './local-guard';
import { buildWebApp, webReply } from './web';
import { templateEnvironments, withLocalOverrides, type LocalOverride, type SynthesizedEnvironment } from './template-environment';
import { LOCAL_BLOCK_INTERVAL_MS, startLedgerSimulators, type RunningLedgers, type XrpLedgerSimulator } from './ledger-simulators';
import { CUSTODIAN_ASSETS } from '../../scripts/deploy/assets';

/** Reference prices of the local chain's assets (the deploy's constituent prices) and $SOSO, for the points snapshot. */
export function localReferencePrices(): Record<string, number> {
  const prices: Record<string, number> = { SOSO: 1 };
  for (const index of LOCAL_INDEXES) for (const c of index.constituents) prices[c.symbol] = c.priceUsd;
  return prices;
}

/** Rewards per epoch on the local stack: 10,000 SOSO (the deploy funds the distributor with 1,000,000). */
export const LOCAL_EPOCH_POOL = (10_000n * 10n ** 18n).toString();

export interface StackPorts {
  api: number;
  chain: number;
  dynamodb: number;
  kms: number;
  s3: number;
}

export const DEFAULT_PORTS: StackPorts = { api: 4500, chain: 8545, dynamodb: 8000, kms: 4599, s3: 4569 };

/** Consecutive ports from `base`: api, chain, dynamodb, kms, s3. */
export const portsFrom = (base: number): StackPorts => ({ api: base, chain: base + 1, dynamodb: base + 2, kms: base + 3, s3: base + 4 });

export interface StackOptions {
  dataDir: string;
  ports: StackPorts;
  reset?: boolean;
  /** Fire schedules on their own (default); off leaves them to POST /_local/schedules/{name}/run. */
  scheduler?: boolean;
  /**
   * DynamoDB Local keeps its tables in memory instead of SQLite files in the data folder: about half
   * the CPU per written item, and nothing in DynamoDB survives a restart (default false).
   */
  dynamodbInMemory?: boolean;
  log?: (line: string) => void;
  /**
   * A deploy-shaped run: every function gets the environment this synthesized environment's
   * templates give it, resolved to the local resources, plus only the documented overrides
   * (infra/local/template-environment.ts). Called once the chain's deployment record exists, for
   * the synth to read. Default: the local settings (settingValues above) through functionVariables.
   */
  synthesize?: (chain: { chainId: number; deploymentFile: string }) => Promise<SynthesizedEnvironment>;
}

/** What `stack.json` in the data folder says about a running stack; other tools read it. */
export interface StackFile extends Pick<DeploymentRecord, 'contracts' | 'tokens' | 'indexes' | 'custodianAssets'> {
  pid: number;
  startedAt: string;
  dataDir: string;
  region: string;
  api: string;
  health: string;
  rpc: string;
  chainId: number;
  dynamodb: string;
  kms: string;
  s3: string;
  tables: Record<string, string>;
  buckets: Record<string, string>;
  keys: Record<string, { keyId: string; alias: string; address: string }>;
  deploymentFile: string;
  /** The PMM simulator: its RFQ endpoint and maker address. */
  pmm: { url: string; rfqUrl: string; rfqBatchUrl: string; address: string };
  /** The perpetual-futures simulator holding USSI's hedge book (infra/local/perp-venue.ts): USSI_HEDGE_BOOK_URL. */
  hedgeBook: { url: string };
  /**
   * Custody on native chains: the ledger simulators (the custodian's API here: SSI_CUSTODIAN_URL), the
   * custodian wallet per chain registered in the CustodyRegistry, and the PMM's native addresses
   * (on the custodian's withdrawal whitelist).
   */
  custody: { ledgersUrl: string; custodyRegistry?: string; attestedIssuer?: string; wallets: Record<string, string>; pmmNativeAddresses: Record<string, string> };
  /**
   * The local WLP: Hardhat account #1 (a well-known test key, local only) with PARTICIPANT_ROLE,
   * USDC, and an API key for the quote API (stored hashed in wlp-keys; in clear only here).
   */
  wlp: { name: string; address: string; privateKey: string; apiKey: string; rateLimit: number; quota: number };
}

/** Hardhat's account #1: the local WLP. Its key is public knowledge; never use it on a real network. */
export const LOCAL_WLP = {
  name: 'local-wlp',
  address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  privateKey: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  /** Generous local limits so the quote benchmark measures the API, not the limiter's refusals. */
  rateLimit: 5_000,
  quota: 100_000_000,
} as const;

/** Declared settings set in `env`, except where the chain and deployment are (the stack decides those). */
function declaredSettingsFrom(env: NodeJS.ProcessEnv): Partial<Record<SettingName, string>> {
  const stackOwned = new Set<string>(['SSI_RPC_URL', 'SSI_CHAIN_ID', 'SSI_DEPLOYMENT', 'POWERTOOLS_LOG_LEVEL']);
  return Object.fromEntries(Object.keys(SETTINGS).filter((name) => !stackOwned.has(name) && env[name] !== undefined).map((name) => [name, env[name]!]));
}

export interface RunningStack {
  file: StackFile;
  stackFilePath: string;
  /** Every function, run from its bundle in Lambda-shaped workers (what the API adapter, scheduler and state machines invoke). */
  lambdas: LocalLambdaWorkers;
  stateMachines: LocalStateMachines;
  scheduler: LocalScheduler;
  health(): Promise<{ ok: boolean; components: Record<string, unknown> }>;
  stop(): Promise<void>;
}

interface LockFile {
  pid: number;
  children: number[];
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/**
 * Takes the data folder for this process. A live owner is refused; children a crashed owner left
 * behind (DynamoDB Local, anvil) are stopped first so they cannot hold ports or files.
 */
function lockDataDir(dataDir: string, log: (line: string) => void): string {
  const lockPath = join(dataDir, 'stack.pid');
  if (existsSync(lockPath)) {
    let lock: LockFile | undefined;
    try {
      lock = JSON.parse(readFileSync(lockPath, 'utf8')) as LockFile;
    } catch {
      lock = undefined;
    }
    if (lock && lock.pid !== process.pid && isAlive(lock.pid) && /infra\/local|tsx|node/.test(commandLine(lock.pid))) {
      throw new StackError(`another local stack (pid ${lock.pid}) is using ${dataDir}: stop it first or choose another --data folder`);
    }
    for (const child of lock?.children ?? []) {
      if (isAlive(child) && /DynamoDBLocal|anvil|pmm-simulator/.test(commandLine(child))) {
        log(`stopping ${child}, left behind by a previous run`);
        process.kill(child, 'SIGKILL');
      }
    }
  }
  writeFileSync(lockPath, JSON.stringify({ pid: process.pid, children: [] } satisfies LockFile));
  return lockPath;
}

function prepareDataDir(dataDir: string, reset: boolean, log: (line: string) => void): void {
  if (existsSync(dataDir) && !statSync(dataDir).isDirectory()) throw new StackError(`data folder ${dataDir} is a file, not a folder`);
  if (reset && existsSync(dataDir)) {
    lockDataDir(dataDir, log);
    log(`resetting ${dataDir}`);
    rmSync(dataDir, { recursive: true, force: true });
  }
  mkdirSync(dataDir, { recursive: true });
  const stackFile = join(dataDir, 'stack.json');
  if (existsSync(stackFile)) {
    try {
      const previous = JSON.parse(readFileSync(stackFile, 'utf8')) as Partial<StackFile>;
      if (typeof previous !== 'object' || previous === null || typeof previous.startedAt !== 'string') throw new Error('missing fields');
    } catch (error) {
      throw new StackError(`data folder ${dataDir} is corrupt: stack.json is unreadable (${(error as Error).message}); start with --reset to begin again`);
    }
  }
}

/**
 * Anvil's account #0 (the "test test ... junk" mnemonic), which deploys the local contracts and so
 * is their default admin. Its key is public knowledge; never use it on a real network.
 */
export const LOCAL_DEPLOYER_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

/**
 * A KMS key holding `privateKey`, made as AWS makes one from outside key material: CreateKey with
 * Origin EXTERNAL, GetParametersForImport, the PKCS#8 key wrapped with RSAES_OAEP_SHA_256, ImportKeyMaterial.
 */
export async function importSigningKey(client: KMSClient, privateKey: string, description: string): Promise<string> {
  const created = await client.send(new CreateKeyCommand({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY', Origin: 'EXTERNAL', Description: description }));
  const keyId = created.KeyMetadata!.KeyId!;
  const parameters = await client.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }));
  const point = Buffer.from(SigningKey.computePublicKey(privateKey, false).slice(4), 'hex');
  const jwk = { kty: 'EC', crv: 'secp256k1', d: Buffer.from(privateKey.slice(2), 'hex').toString('base64url'), x: point.subarray(0, 32).toString('base64url'), y: point.subarray(32).toString('base64url') };
  const material = createPrivateKey({ key: jwk, format: 'jwk' }).export({ format: 'der', type: 'pkcs8' });
  const wrapped = publicEncrypt(
    { key: createPublicKey({ key: Buffer.from(parameters.PublicKey!), format: 'der', type: 'spki' }), padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    material,
  );
  await client.send(new ImportKeyMaterialCommand({ KeyId: keyId, ImportToken: parameters.ImportToken, EncryptedKeyMaterial: wrapped, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }));
  return keyId;
}

/**
 * The custodian's wallet per native chain, made once and kept in the data folder so a kept deployment
 * (which registered them) finds the same addresses; their balances are in the ledgers' state file.
 */
function loadOrCreateCustodyWallets(path: string, ledgers: RunningLedgers): Record<string, string> {
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
  const wallets: Record<string, string> = {};
  for (const { chain } of Object.values(CUSTODIAN_ASSETS)) {
    const ledger = ledgers.ledgers[chain];
    // The XRP wallet is a shared custodian account told apart by its destination tag.
    wallets[chain] ??= chain === 'xrpl' ? (ledger as XrpLedgerSimulator).taggedAddress(ledger.newAddress(), 1001) : ledger.newAddress();
  }
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, `${JSON.stringify(wallets, null, 2)}\n`);
  return wallets;
}

async function ensureKeys(endpoint: string): Promise<Record<KeyRole, { keyId: string; alias: string; address: string }>> {
  const client = new KMSClient({ endpoint, region: LOCAL_REGION, credentials: localCredentials });
  try {
    const { Aliases = [] } = await client.send(new ListAliasesCommand({}));
    const keys = {} as Record<KeyRole, { keyId: string; alias: string; address: string }>;
    for (const spec of KEYS) {
      let keyId = Aliases.find((a) => a.AliasName === spec.alias)?.TargetKeyId;
      if (!keyId) {
        // The admin key holds the local deployer's key, so it is the contracts' default admin as the
        // deployer is: the key AccessControlDefaultAdminRules lets grant the onboarding roles (docs/deploy.md).
        keyId =
          spec.role === 'admin'
            ? await importSigningKey(client, LOCAL_DEPLOYER_KEY, spec.description)
            : (await client.send(new CreateKeyCommand({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY', Description: spec.description }))).KeyMetadata!.KeyId!;
        await client.send(new CreateAliasCommand({ AliasName: spec.alias, TargetKeyId: keyId }));
      }
      keys[spec.role] = { keyId, alias: spec.alias, address: await kmsAddress(client, keyId) };
    }
    return keys;
  } finally {
    client.destroy();
  }
}

/** Starts every part of the local stack, or stops what it started and throws one clear StackError. */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  const log = options.log ?? ((line: string) => console.log(line));
  const dataDir = resolve(options.dataDir);
  prepareDataDir(dataDir, options.reset ?? false, log);
  const lockPath = lockDataDir(dataDir, log);
  const children: number[] = [];
  const recordChild = (pid: number | undefined): void => {
    if (pid) children.push(pid);
    writeFileSync(lockPath, JSON.stringify({ pid: process.pid, children } satisfies LockFile));
  };

  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
    rmSync(lockPath, { force: true });
  };

  try {
    log('starting the local KMS endpoint');
    const kms: RunningKms = await startKmsServer({ port: options.ports.kms, dataDir: join(dataDir, 'kms') });
    stops.push(() => kms.close());
    const keys = await ensureKeys(kms.url);

    log(options.dynamodbInMemory ? 'starting DynamoDB Local in memory (no item survives a restart)' : 'starting DynamoDB Local');
    const dynamo: RunningDynamo = await startDynamo(options.ports.dynamodb, options.dynamodbInMemory ? undefined : join(dataDir, 'dynamodb'));
    recordChild(dynamo.process.pid);
    stops.push(() => dynamo.stop());
    const tables = await ensureTables(dynamo.endpoint);

    log('starting S3 (s3rver)');
    const s3: RunningS3 = await startS3(options.ports.s3, join(dataDir, 's3'));
    stops.push(() => s3.stop());

    log('starting the chain (anvil; kept in the data folder)');
    const deploymentsDir = join(dataDir, 'chain');
    const chain: RunningChain = await startAnvil(options.ports.chain, { stateFile: join(deploymentsDir, 'anvil-state.json') });
    recordChild(chain.process.pid);
    stops.push(() => chain.stop());
    log('starting the native-chain ledger simulators (the custodian API; kept in the data folder)');
    // Blocks pass on their own (sped up: every chain is final in about 12 s) and the ledgers survive a
    // restart, as the chain and its deployment do: custody attested on chain is still in the wallets.
    const ledgers: RunningLedgers = await startLedgerSimulators({ blockIntervalMs: LOCAL_BLOCK_INTERVAL_MS, stateFile: join(dataDir, 'custody', 'ledgers.json'), log });
    stops.push(() => ledgers.close());
    const custodyWallets = loadOrCreateCustodyWallets(join(dataDir, 'custody', 'wallets.json'), ledgers);
    const pmmKey = loadOrCreatePmmKey(join(dataDir, 'pmm', 'key.json'));
    // KMS signers and the PMM pay gas for their transactions: topped up when low, so a kept chain keeps its balances.
    const fundingProvider = new JsonRpcProvider(chain.rpcUrl, undefined, { staticNetwork: true });
    for (const address of [...Object.values(keys).map((k) => k.address), pmmKey.address]) {
      if ((await fundingProvider.getBalance(address)) < 100n * 10n ** 18n) await fundingProvider.send('anvil_setBalance', [address, '0x3635C9ADC5DEA00000']);
    }
    fundingProvider.destroy();
    // The roles the deploy grants: a kept deployment must have granted them to these very signers.
    const signers: Record<string, string> = {
      operator: keys.operator.address,
      reserve: keys.reserve.address,
      rewards: keys.rewards.address,
      price: keys.price.address,
      ussiOrders: keys['ussi-orders'].address,
      custodian: keys.custodian.address,
    };
    process.env.SSI_OPERATOR_ADDRESS = signers.operator;
    process.env.SSI_RESERVE_SIGNER_ADDRESS = signers.reserve;
    process.env.SSI_REWARDS_SIGNER_ADDRESS = signers.rewards;
    process.env.SSI_PRICE_SIGNER_ADDRESS = signers.price;
    process.env.SSI_USSI_ORDER_SIGNER_ADDRESS = signers.ussiOrders;
    process.env.SSI_CUSTODIAN_SIGNER_ADDRESS = signers.custodian;
    process.env.SSI_CUSTODIAN_WALLETS = JSON.stringify(custodyWallets);
    process.env.SSI_WLP_ADDRESS = LOCAL_WLP.address;
    const deploymentFile = join(deploymentsDir, 'localhost.json');
    const kept = await deploymentOnChain(chain.rpcUrl, deploymentFile);
    if (kept && Object.entries(signers).every(([role, address]) => kept.signers[role] === address)) {
      log(`contracts kept from the previous run (deployed ${kept.deployedAt ?? 'earlier'})`);
    } else {
      log('deploying contracts');
      await deployContracts(chain.rpcUrl, deploymentsDir, log);
    }
    const deployment = JSON.parse(readFileSync(deploymentFile, 'utf8')) as Pick<StackFile, 'contracts' | 'tokens' | 'indexes' | 'custodianAssets'> & { chainId: number };

    log('starting the PMM simulator (inventory, approvals, RFQ endpoint)');
    const priceDocument = localPriceDocument(Object.keys(deployment.tokens), process.env.SSI_PRICE_DATE as IsoDate | undefined, log);
    const pmmDeployment = { chainId: chain.chainId, contracts: deployment.contracts, tokens: deployment.tokens, custodianAssets: deployment.custodianAssets };
    await preparePmmInventory({ privateKey: pmmKey.privateKey, rpcUrl: chain.rpcUrl, deployment: pmmDeployment });
    const pmm: PmmProcess = await startPmmProcess(
      {
        privateKey: pmmKey.privateKey,
        rpcUrl: chain.rpcUrl,
        deployment: pmmDeployment,
        spreadBps: Number(process.env.SSI_PMM_SPREAD_BPS ?? 10),
        prices: { fixed: priceDocument.prices },
        ledgersUrl: ledgers.url,
        ordersFile: join(dataDir, 'pmm', 'signed-orders.json'),
      },
      log,
    );
    recordChild(pmm.process.pid);
    stops.push(() => pmm.stop());
    // The custodian releases only to whitelisted addresses: the PMM's, as a custodian's operations team would list them.
    for (const [chain, address] of Object.entries(pmm.nativeAddresses ?? {})) ledgers.ledgers[chain as keyof typeof ledgers.ledgers].whitelist.add(address);

    log('starting the perpetual-futures simulator (USSI hedge book)');
    const stables = Object.fromEntries(Object.entries(deployment.tokens).filter(([symbol]) => symbol === 'USDC'));
    const venue = await startPerpVenue({
      rpcUrl: chain.rpcUrl,
      // The hedge vault pays redeems the USSI float cannot cover: on local chains, the deployer's unlocked account.
      payer: deployment.contracts.ussiHedgeVault!,
      tokens: stables,
      markets: Object.fromEntries(Object.entries(priceDocument.prices).filter(([symbol]) => !(symbol in stables)).map(([symbol, price]) => [`${symbol}-PERP`, price])),
    });
    stops.push(() => venue.stop());

    const resources = {
      tables,
      keys: Object.fromEntries(Object.entries(keys).map(([role, k]) => [role, k.keyId])) as Record<KeyRole, string>,
      buckets: s3.buckets,
    };
    // The settings every function declares, resolved as the CDK app resolves them (infra/settings.ts),
    // plus only where the local services are.
    const localSettings = settingValues({
      deployment: JSON.parse(readFileSync(deploymentFile, 'utf8')) as DeploymentRecord,
      config: {
        rpcUrl: chain.rpcUrl,
        chainId: chain.chainId,
        logLevel: SETTINGS.POWERTOOLS_LOG_LEVEL.schema.parse(process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN'),
        points: { epochPool: LOCAL_EPOCH_POOL, referencePrices: localReferencePrices() },
        settings: {
          // Declared in cdk.json (`ssi:environment:local`) as dev's and prod's are, e.g. RESERVES_CONFIRMATIONS.
          ...loadLocalEnvironment(cdkJsonContext()).settings,
          // Declared settings given to `npm start` (e.g. SSI_PRICE_DATE, SSI_POINTS_CONFIG), as cdk.json's `settings` would.
          ...declaredSettingsFrom(process.env),
          // The venue the hedge book lives at: the simulator here, the venue gateway in AWS (cdk.json settings).
          USSI_HEDGE_BOOK_URL: venue.url,
          // The custodian's API: the ledger simulators here, the custodian gateway in AWS (cdk.json settings).
          SSI_CUSTODIAN_URL: ledgers.url,
        },
      },
    });
    // Where the local services are: the only variables a function gets beyond its declared ones.
    const endpoints = {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_KMS: kms.url,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      SSI_S3_FORCE_PATH_STYLE: 'true',
    } satisfies Partial<Record<LocalOverride, string>>;
    // Functions get their own environment in their workers (below); this process's environment gets the
    // same values for what runs here beside them (tools and tests that call domain code directly).
    Object.assign(process.env, { ...localSettings, ...endpoints, POWERTOOLS_SERVICE_NAME: 'ssi-local', POWERTOOLS_METRICS_NAMESPACE: 'SSI' });
    const objects = new S3Client({ endpoint: s3.endpoint, region: LOCAL_REGION, credentials: localCredentials, forcePathStyle: true });
    // What AWS reads from the reports bucket, published as an operator's data job would: prices and universe snapshots.
    await publishMarketData(objects, s3.buckets.reports, priceDocument);
    objects.destroy();
    for (const spec of FUNCTIONS) {
      const { POWERTOOLS_SERVICE_NAME: _service, ...env } = functionEnvironment(spec, resources);
      Object.assign(process.env, env);
    }

    // The local WLP's API key: made once, kept in the data folder, its hash (re)stored on every start.
    const apiKeyPath = join(dataDir, 'wlp', 'api-key');
    if (!existsSync(apiKeyPath)) {
      mkdirSync(join(dataDir, 'wlp'), { recursive: true });
      writeFileSync(apiKeyPath, `${newApiKey()}\n`, { mode: 0o600 });
    }
    const apiKey = readFileSync(apiKeyPath, 'utf8').trim();
    const keysClient = new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: localCredentials });
    await putApiKey(DynamoDBDocumentClient.from(keysClient), tables['wlp-keys'], {
      wlp: LOCAL_WLP.address,
      name: LOCAL_WLP.name,
      key: apiKey,
      rateLimit: LOCAL_WLP.rateLimit,
      quota: LOCAL_WLP.quota,
    });
    // The PMM simulator registers as an operator would (`ssi admin pmm add`).
    await new PmmRegistry(DynamoDBDocumentClient.from(keysClient), tables.pmms).add({ maker: pmm.address, name: 'local-pmm', rfqUrl: pmm.rfqUrl, batchUrl: pmm.rfqBatchUrl });
    // The onboarding roles, as `ssi admin roles grant` sends them: the admin key, through its relayer (a kept chain: unchanged).
    const rolesProvider = new JsonRpcProvider(chain.rpcUrl, chain.chainId, { staticNetwork: true });
    const kmsClient = new KMSClient({ endpoint: kms.url, region: LOCAL_REGION, credentials: localCredentials });
    try {
      const { signer, relayer } = adminRelayer({
        kms: kmsClient,
        adminKey: keys.admin.keyId,
        provider: rolesProvider,
        chainId: chain.chainId,
        doc: DynamoDBDocumentClient.from(keysClient),
        tables: { actions: tables['relayer-actions'], nonces: tables['relayer-nonces'] },
      });
      const sender = await signer.getAddress();
      for (const [role, account] of [['maker', pmm.address], ['participant', LOCAL_WLP.address]] as const) {
        const changes = await changeRole(rolesProvider, deployment, { role, account, grant: true, sender }, relayerSender(relayer));
        const granted = changes.filter((c) => c.outcome === 'granted');
        if (granted.length) log(`granted ${granted.map((c) => `${c.role} on ${c.contract}`).join(', ')} to ${account} (admin key ${sender})`);
      }
    } finally {
      rolesProvider.destroy();
      kmsClient.destroy();
    }
    keysClient.destroy();

    // Every function runs in Lambda-shaped workers: the bundle the CDK app deploys, the environment
    // it deploys (functionVariables, or a synthesized template's when `synthesize` is given) plus where
    // the local services are, its memory, timeout and reserved concurrency, one invocation per worker.
    const synthesized = options.synthesize && templateEnvironments(await options.synthesize({ chainId: chain.chainId, deploymentFile }), resources);
    const lambdas = new LocalLambdaWorkers((spec) =>
      synthesized
        ? withLocalOverrides(spec.name, synthesized[spec.name]!, { ...endpoints, SSI_RPC_URL: chain.rpcUrl, USSI_HEDGE_BOOK_URL: venue.url, SSI_CUSTODIAN_URL: ledgers.url })
        : { ...functionVariables(spec, localSettings, 'local', resources), ...endpoints },
    );
    stops.push(() => lambdas.close());
    const stateMachines = new LocalStateMachines((fn, payload) => lambdas.invoke(fn as FunctionName, payload));
    const scheduler = new LocalScheduler(lambdas.invoke, stateMachines, log);

    const health = async (): Promise<{ ok: boolean; components: Record<string, unknown> }> => {
      const check = async (fn: () => Promise<Record<string, unknown>>) => {
        try {
          return { ok: true, ...(await fn()) };
        } catch (error) {
          return { ok: false, error: (error as Error).message };
        }
      };
      const credentials = { region: LOCAL_REGION, credentials: localCredentials, maxAttempts: 1 };
      const components = {
        chain: await check(async () => {
          const provider = new JsonRpcProvider(chain.rpcUrl, undefined, { staticNetwork: true });
          try {
            return { rpc: chain.rpcUrl, chainId: Number(await provider.send('eth_chainId', [])), blockNumber: await provider.getBlockNumber() };
          } finally {
            provider.destroy();
          }
        }),
        dynamodb: await check(async () => {
          const client = new DynamoDBClient({ endpoint: dynamo.endpoint, ...credentials });
          try {
            const { TableNames = [] } = await client.send(new ListTablesCommand({}));
            const missing = Object.values(tables).filter((t) => !TableNames.includes(t));
            if (missing.length) throw new Error(`tables missing: ${missing.join(', ')}`);
            return { endpoint: dynamo.endpoint, tables: Object.values(tables) };
          } finally {
            client.destroy();
          }
        }),
        kms: await check(async () => {
          const client = new KMSClient({ endpoint: kms.url, ...credentials });
          try {
            const { Aliases = [] } = await client.send(new ListAliasesCommand({}));
            const missing = KEYS.filter((k) => !Aliases.some((a) => a.AliasName === k.alias));
            if (missing.length) throw new Error(`aliases missing: ${missing.map((k) => k.alias).join(', ')}`);
            return { endpoint: kms.url, signers: Object.fromEntries(Object.entries(keys).map(([role, k]) => [role, k.address])) };
          } finally {
            client.destroy();
          }
        }),
        s3: await check(async () => {
          const client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, ...credentials });
          try {
            for (const bucket of Object.values(s3.buckets)) await client.send(new HeadBucketCommand({ Bucket: bucket }));
            return { endpoint: s3.endpoint, buckets: Object.values(s3.buckets) };
          } finally {
            client.destroy();
          }
        }),
        scheduler: await check(async () => ({ running: options.scheduler !== false, schedules: scheduler.status() })),
      };
      return { ok: Object.values(components).every((c) => c.ok), components };
    };

    log('building the web app');
    const webApp = buildWebApp();
    const local = async (request: IncomingMessage, _body: Buffer) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const page = request.method === 'GET' ? webReply(webApp, { api: api.url, rpc: chain.rpcUrl, chainId: chain.chainId }, url.pathname) : undefined;
      if (page) return page;
      if (request.method === 'GET' && url.pathname === '/health') {
        const result = await health();
        return { statusCode: result.ok ? 200 : 503, body: result };
      }
      if (url.pathname.startsWith('/_local/')) {
        const refused = localRouteRefusal(request);
        if (refused) return { statusCode: 403, body: { message: `refused: ${refused}` } };
      }
      if (request.method === 'GET' && url.pathname === '/_local/schedules') return { statusCode: 200, body: scheduler.status() };
      if (request.method === 'GET' && url.pathname === '/_local/executions') return { statusCode: 200, body: stateMachines.history() };
      const run = /^\/_local\/schedules\/([\w-]+)\/run$/.exec(url.pathname);
      if (request.method === 'POST' && run) {
        if (!SCHEDULES.some((s) => s.name === run[1])) return { statusCode: 404, body: { message: `no schedule named ${run[1]}` } };
        const state = await scheduler.run(run[1]);
        return { statusCode: state.lastRun?.ok ? 200 : 500, body: state };
      }
      return undefined;
    };

    log('starting the HTTP API');
    const api: RunningApi = await startApi(options.ports.api, lambdas.invoke, local, log);
    stops.push(() => api.close());
    if (options.scheduler !== false) scheduler.start();
    stops.push(async () => scheduler.stop());

    const file: StackFile = {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      dataDir,
      region: LOCAL_REGION,
      api: api.url,
      health: `${api.url}/health`,
      rpc: chain.rpcUrl,
      chainId: chain.chainId,
      dynamodb: dynamo.endpoint,
      kms: kms.url,
      s3: s3.endpoint,
      tables: tables as Record<TableName, string>,
      buckets: s3.buckets,
      keys,
      deploymentFile,
      contracts: deployment.contracts,
      tokens: deployment.tokens,
      ...(deployment.custodianAssets ? { custodianAssets: deployment.custodianAssets } : {}),
      indexes: deployment.indexes,
      pmm: { url: pmm.url, rfqUrl: pmm.rfqUrl, rfqBatchUrl: pmm.rfqBatchUrl, address: pmm.address },
      hedgeBook: { url: venue.url },
      custody: {
        ledgersUrl: ledgers.url,
        ...(deployment.contracts.custodyRegistry ? { custodyRegistry: deployment.contracts.custodyRegistry, attestedIssuer: deployment.contracts.attestedIssuer } : {}),
        wallets: custodyWallets,
        pmmNativeAddresses: { ...(pmm.nativeAddresses ?? {}) },
      },
      wlp: { ...LOCAL_WLP, apiKey },
    };
    const stackFilePath = join(dataDir, 'stack.json');
    // It holds the local WLP's API key: readable by this user only, also when it already existed.
    writeFileSync(stackFilePath, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    chmodSync(stackFilePath, 0o600);
    return { file, stackFilePath, lambdas, stateMachines, scheduler, health, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
