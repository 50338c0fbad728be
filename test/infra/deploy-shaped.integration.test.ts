import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Contract, JsonRpcProvider, Network, parseUnits, zeroPadValue } from 'ethers';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { environmentContextKey, loadEnvironment } from '../../infra/environment';
import { addNagChecks, createSsiStacks } from '../../infra/stacks';
import { templateEnvironments, type SynthesizedEnvironment } from '../../infra/local/template-environment';
import { localCredentials, LOCAL_REGION } from '../../infra/local/credentials';
import { SETTINGS } from '../../topology/settings';
import { KEYS, type KeyRole } from '../../topology';
import { REBALANCER_INTERFACE } from '../../lambdas/rebalance/saga';
import { addDays, dayOf } from '../../lambdas/domain/points/calendar';
import { startTestStack, type TestStack } from '../helpers/stack';
import { CDK_CONTEXT, TEST_HEDGE_BOOK_URL, testApp } from '../helpers/cdk';
import { deploymentSettingText } from '../../topology/deployment';

/*
 * Deploy-shaped: the CDK app is synthesized for the dev environment of cdk.json (pointed at the
 * local chain's deployment record, as an operator points an environment at the chain it deployed
 * to), and the local stack runs every function from its bundle with the environment that template
 * gives it, plus only the documented endpoint overrides (LOCAL_OVERRIDES). Then what a WLP and the
 * schedules do in AWS runs here: the WLP journey through the `ssi` CLI, a reserve publication the
 * auditor CLI verifies, a points snapshot through its state machine and a rebalance. dev as shipped
 * turns USSI off (no hedge-book venue); the local stack runs every declared function, so the synth
 * turns it on with a venue URL the local hedge-book override replaces.
 */

const run = promisify(execFile);
const SSI = resolve(__dirname, '../../bin/ssi.js');
const ONE = 10n ** 18n;
const ERC20 = ['function balanceOf(address) view returns (uint256)', 'function totalSupply() view returns (uint256)'];

/** `cdk synth -c env=dev` in process, with the chain parameters of the chain the local stack deployed to. */
function synthesizeDev(chain: { chainId: number; deploymentFile: string }): SynthesizedEnvironment {
  const dev = CDK_CONTEXT[environmentContextKey('dev')] as { settings?: Record<string, string> };
  const app = testApp(
    { chainId: chain.chainId, deploymentFile: chain.deploymentFile, allowMissingDeployment: false, ussi: true, settings: { ...dev.settings, USSI_HEDGE_BOOK_URL: TEST_HEDGE_BOOK_URL } },
    'dev',
  );
  const ssi = loadEnvironment(app.node);
  createSsiStacks(app, ssi);
  addNagChecks(app);
  const assembly = app.synth();
  return { environment: ssi.name, stacks: Object.fromEntries(assembly.stacks.map((stack) => [stack.stackName, stack.template])) };
}

describe('deploy-shaped: the synthesized dev template on the local stack', () => {
  let stack: TestStack;
  let synthesized: SynthesizedEnvironment;
  let provider: JsonRpcProvider;
  let dynamo: DynamoDBClient;
  let documents: DynamoDBDocumentClient;

  beforeAll(async () => {
    stack = await startTestStack({
      synthesize: async (chain) => {
        synthesized = synthesizeDev(chain);
        return synthesized;
      },
    });
    provider = new JsonRpcProvider(stack.file.rpc, Network.from(stack.file.chainId), { staticNetwork: true, cacheTimeout: -1 });
    dynamo = new DynamoDBClient({ endpoint: stack.file.dynamodb, region: LOCAL_REGION, credentials: localCredentials });
    documents = DynamoDBDocumentClient.from(dynamo);
  }, 900_000);
  afterAll(async () => {
    provider?.destroy();
    dynamo?.destroy();
    await stack?.stop();
  });

  const cli = async (...args: string[]): Promise<Record<string, any>> => {
    const { stdout } = await run(process.execPath, [SSI, ...args, '--json', '--data', stack.file.dataDir], { timeout: 300_000 });
    return JSON.parse(stdout) as Record<string, any>;
  };
  const balanceOf = async (token: string, holder: string) => (await new Contract(token, ERC20, provider).getFunction('balanceOf')(holder)) as bigint;
  /** The environment each function runs with: the template's, resolved to this stack's resources. */
  const environmentOf = (fn: string) => {
    const keys = Object.fromEntries(KEYS.map((k) => [k.role, stack.file.keys[k.role]!.keyId])) as Record<KeyRole, string>;
    return templateEnvironments(synthesized, { tables: stack.file.tables, buckets: stack.file.buckets, keys } as never)[fn]!;
  };

  test('the template names the dev resources, which resolve to the local ones', () => {
    const publisher = synthesized.stacks['Ssi-dev-Schedules']!.Resources;
    const fn = Object.values(publisher).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties?.FunctionName === 'ssi-dev-reserve-publisher')!;
    const variables = (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables.TABLE_OPS).toBe('ssi-dev-ops');
    expect(variables.KMS_KEY_RESERVE).toHaveProperty('Fn::GetStackOutput');
    const env = environmentOf('reserve-publisher');
    expect(env.TABLE_OPS).toBe(stack.file.tables.ops);
    expect(env.KMS_KEY_RESERVE).toBe(`arn:aws:kms:${LOCAL_REGION}:000000000000:key/${stack.file.keys.reserve!.keyId}`);
    expect(env.BUCKET_REPORTS).toBe(stack.file.buckets.reports);
    expect(JSON.parse(deploymentSettingText(env.SSI_DEPLOYMENT!))).toMatchObject({ chainId: stack.file.chainId, contracts: { issuer: stack.file.contracts.issuer } });
  });

  test('the WLP journey through the CLI: quote, mint, status, redeem', async () => {
    const wlp = stack.file.wlp.address;
    const index = stack.file.indexes['DEFI.ssi']!;
    const usdc = stack.file.tokens.USDC!.address;

    const quote = await cli('quote', '--index', 'DEFI.ssi', '--side', 'mint', '--amount', '3');
    expect(quote.order).toMatchObject({ maker: stack.file.pmm.address, requester: wlp, indexAmount: (3n * ONE).toString() });

    const indexBefore = await balanceOf(index, wlp);
    const usdcBefore = await balanceOf(usdc, wlp);
    const minted = await cli('mint', '--index', 'DEFI.ssi', '--amount', '3');
    expect(minted.ok).toBe(true);
    expect(await balanceOf(index, wlp)).toBe(indexBefore + 3n * ONE);
    expect(usdcBefore - (await balanceOf(usdc, wlp))).toBe(BigInt(Math.round(Number(minted.quote.total.amount) * 1e6)));

    const status = await cli('status');
    expect(parseUnits(status.balances['DEFI.ssi'] as string, 18)).toBe(indexBefore + 3n * ONE);

    const redeemed = await cli('redeem', '--index', 'DEFI.ssi', '--amount', '1');
    expect(redeemed.ok).toBe(true);
    expect(await balanceOf(index, wlp)).toBe(indexBefore + 2n * ONE);
    // The quote API kept its audit record in DynamoDB, marked used by the mint.
    const stored = await documents.send(new GetCommand({ TableName: stack.file.tables.quotes, Key: { id: minted.tx.orderHash } }));
    expect(stored.Item).toMatchObject({ id: minted.tx.orderHash });
    const used = (await (await stack.api(`/v1/quotes/${minted.tx.orderHash as string}`, { headers: { 'x-api-key': stack.file.wlp.apiKey } })).json()) as { status: string };
    expect(used.status).toBe('used');
  }, 600_000);

  test('a reserve publication, pinned RESERVES_CONFIRMATIONS blocks deep as the template says, passes ssi verify-reserves', async () => {
    const confirmations = SETTINGS.RESERVES_CONFIRMATIONS.schema.parse(environmentOf('reserve-publisher').RESERVES_CONFIRMATIONS);
    // Time passes on the chain until the journey's transactions are that deep.
    await provider.send('anvil_mine', [`0x${(confirmations + 1).toString(16)}`]);
    const head = await provider.getBlockNumber();

    // MAG7.ssi holds custodian assets: its report needs the custodian's signed statements of the day, stored by their schedule before the publisher runs.
    expect((await stack.scheduler.run('custody-statements')).lastRun).toMatchObject({ ok: true });
    const state = await stack.scheduler.run('reserve-publisher');
    expect(state.lastRun?.error).toBeUndefined();
    expect(state.lastRun?.ok).toBe(true);

    const latest = (await (await stack.api('/v1/reserves/latest')).json()) as { reports: Array<{ report: { index: { symbol: string }; totalSupply: string; block: { number: number } } }> };
    const mag7 = latest.reports.find((r) => r.report.index.symbol === 'DEFI.ssi')!.report;
    expect(mag7.block.number).toBe(head - confirmations);
    expect(BigInt(mag7.totalSupply)).toBe((await new Contract(stack.file.indexes['DEFI.ssi']!, ERC20, provider).getFunction('totalSupply')()) as bigint);

    const verified = await cli('verify-reserves', '--holder', stack.file.wlp.address);
    expect(verified.ok).toBe(true);
    expect(verified.reports.map((r: { index: string }) => r.index).sort()).toEqual(Object.keys(stack.file.indexes).sort());
  }, 600_000);

  test('a points snapshot runs its state machine and writes the day and the holder in DynamoDB', async () => {
    const day = addDays(dayOf(new Date()), -1);
    const state = await stack.scheduler.run('points-snapshot');
    expect(state.lastRun?.error).toBeUndefined();
    expect(state.lastRun?.ok).toBe(true);
    expect(stack.stateMachines.history().at(-1)).toMatchObject({ stateMachine: 'points-snapshot', status: 'SUCCEEDED', output: { day } });

    const done = await documents.send(new GetCommand({ TableName: stack.file.tables.points, Key: { pk: 'SNAPSHOTS', sk: `DAY#${day}` } }));
    expect(done.Item).toBeDefined();
    const holder = await documents.send(new GetCommand({ TableName: stack.file.tables.points, Key: { pk: `USER#${stack.file.wlp.address.toLowerCase()}`, sk: `DAY#${day}` } }));
    expect(BigInt(holder.Item!.total as bigint | number)).toBeGreaterThan(0n);
  }, 600_000);

  test('a rebalance of DEFI.ssi settles once on chain and completes its run in DynamoDB', async () => {
    const rebalancer = stack.file.contracts.rebalancer!;
    const fromBlock = (await provider.getBlockNumber()) + 1;
    const state = await stack.scheduler.run('rebalance-defi');
    expect(state.lastRun?.error).toBeUndefined();
    expect(state.lastRun?.ok).toBe(true);

    const settled = await provider.getLogs({
      address: rebalancer,
      topics: [REBALANCER_INTERFACE.getEvent('RebalanceSettled')!.topicHash, null, zeroPadValue(stack.file.indexes['DEFI.ssi']!, 32)],
      fromBlock,
      toBlock: 'latest',
    });
    expect(settled).toHaveLength(1);
    const runs = await documents.send(
      new QueryCommand({ TableName: stack.file.tables['rebalance-runs'], KeyConditionExpression: '#i = :i', ExpressionAttributeNames: { '#i': 'index' }, ExpressionAttributeValues: { ':i': 'DEFI.ssi' } }),
    );
    const completed = (runs.Items ?? []).filter((r) => r.status === 'completed' && String(r.sk).startsWith('run#'));
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({ settlement: { txHash: settled[0]!.transactionHash } });
  }, 600_000);
});
