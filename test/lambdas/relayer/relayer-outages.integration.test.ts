import { ALARM_METRICS } from '../../../topology';
import { randomUUID } from 'node:crypto';
import { Wallet, parseUnits, toQuantity } from 'ethers';
import type { Context } from 'aws-lambda';
import { monitorRelayers } from '../../../lambdas/relayer/monitor';
import { FUNCTIONS, SCHEDULES, functionEnvironment, type KeyRole } from '../../../topology';
import { scheduledEvent } from '../../../infra/local/scheduler';
import { localCredentials, LOCAL_REGION } from '../../../infra/local/credentials';
import { chainNonce, rpcOperation, startWorld, type World, tokenAddress, tokenBalance, transferData } from '../../helpers/relayer-world';

let world: World;

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await world?.stop();
});

afterEach(async () => {
  // Back to mining every transaction at once.
  await world.admin.send('evm_setIntervalMining', [0]);
  await world.admin.send('evm_setAutomine', [true]);
});

const token = () => tokenAddress(world);
const transfer = (to: string, amount: bigint) => transferData(world, to, amount);
const balanceOf = (who: string) => tokenBalance(world, who);
const uniqueKey = (what: string) => `${what}:${randomUUID()}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The next block's base fee jumps to 10x what a pending transaction offers (and at least 100 gwei), so that block leaves it out. */
async function baseFeeJump(offered: bigint): Promise<bigint> {
  const spike = offered * 10n > parseUnits('100', 'gwei') ? offered * 10n : parseUnits('100', 'gwei');
  await world.admin.send('hardhat_setNextBlockBaseFeePerGas', [toQuantity(spike)]);
  await world.admin.send('evm_mine', []);
  return spike;
}

const silentLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('the relayer when the chain RPC is down', () => {
  test('actions submitted while the RPC is down wait, and all complete once it is back', async () => {
    const { keyId, address } = await world.newSigner();
    const rpc = await world.proxy(world.chain.rpcUrl, rpcOperation);
    const relayer = world.relayer(keyId, { rpcUrl: rpc.url });
    const recipients = Array.from({ length: 5 }, () => Wallet.createRandom().address);
    await rpc.stop();

    const submitted = await Promise.all(recipients.map((r, i) => relayer.submit({ key: uniqueKey('reward-root'), to: token(), data: transfer(r, BigInt(i + 1)) })));
    const waits = Promise.all(submitted.map((s) => relayer.wait(s.actionKey, { timeoutMs: 30_000 })));
    await sleep(1_500);
    const stillWaiting = await Promise.all(submitted.map((s) => relayer.get(s.actionKey)));
    await rpc.start();
    const done = await waits;

    expect(submitted.map((s) => s.status)).toEqual(Array(5).fill('queued'));
    expect(submitted[0].lastError).toMatch(/estimating gas failed/);
    expect(stillWaiting.map((s) => s?.status)).toEqual(Array(5).fill('queued'));
    expect(done.map((d) => d.status)).toEqual(Array(5).fill('mined'));
    expect(done.map((d) => d.nonce).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(await chainNonce(world.admin, address)).toBe(5);
    for (const [i, recipient] of recipients.entries()) expect(await balanceOf(recipient)).toBe(BigInt(i + 1));
  });

  test('a transaction whose broadcast was lost is sent again from its stored signature, not signed anew', async () => {
    const { keyId } = await world.newSigner();
    const rpc = await world.proxy(world.chain.rpcUrl, rpcOperation);
    const relayer = world.relayer(keyId, { rpcUrl: rpc.url });
    rpc.failWith({ operation: 'eth_sendRawTransaction', status: 503, body: { jsonrpc: '2.0', id: 1, error: { code: -32000, message: 'upstream unavailable' } } });

    const submitted = await relayer.submit({ key: uniqueKey('nav'), to: token(), data: transfer(Wallet.createRandom().address, 1n) });
    rpc.failWith(undefined);
    const done = await relayer.wait(submitted.actionKey, { timeoutMs: 20_000 });

    expect(submitted).toMatchObject({ status: 'sent', nonce: 0 });
    expect(submitted.lastError).toMatch(/broadcast failed/);
    expect(submitted.broadcastAt).toBeUndefined();
    expect(done).toMatchObject({ status: 'mined', txHash: submitted.attempts[0].hash });
    expect(done.attempts).toHaveLength(1);
  });
});

describe('the relayer with a transaction stuck below the market fee', () => {
  test('the monitor reports it stuck and replaces it with a fee bump of at least 10%, and the replacement mines', async () => {
    const { keyId, address } = await world.newSigner();
    const relayer = world.relayer(keyId, { stuckAfterMs: 1_000 });
    const recipient = Wallet.createRandom().address;
    await world.admin.send('evm_setAutomine', [false]);

    const submitted = await relayer.submit({ key: uniqueKey('rebalance'), to: token(), data: transfer(recipient, 9n) });
    const spike = await baseFeeJump(BigInt(submitted.attempts[0].maxFeePerGas));
    expect(await world.admin.getTransactionReceipt(submitted.attempts[0].hash)).toBeNull();
    await sleep(1_100);
    const monitored = await monitorRelayers([{ role: 'operator', relayer }], silentLog);
    await world.admin.send('evm_setIntervalMining', [500]);
    const done = await relayer.wait(submitted.actionKey, { timeoutMs: 30_000 });

    expect(monitored).toMatchObject({ stuck: 1, errors: [] });
    expect(monitored.reports[0]).toMatchObject({ role: 'operator', replaced: 1, signer: address });
    expect(done.status).toBe('mined');
    expect(done.attempts.length).toBeGreaterThanOrEqual(2);
    const [original, replacement] = done.attempts;
    expect(BigInt(replacement.maxFeePerGas) * 100n).toBeGreaterThanOrEqual(BigInt(original.maxFeePerGas) * 110n);
    expect(BigInt(replacement.maxPriorityFeePerGas) * 100n).toBeGreaterThanOrEqual(BigInt(original.maxPriorityFeePerGas) * 110n);
    expect(BigInt(replacement.maxFeePerGas)).toBeGreaterThan(spike);
    expect(done.txHash).not.toBe(original.hash);
    expect(done.attempts.map((a) => a.hash)).toContain(done.txHash);
    expect(await world.admin.getTransactionReceipt(original.hash)).toBeNull();
    expect(done.nonce).toBe(0);
    expect(await balanceOf(recipient)).toBe(9n);
  });
});

describe('the relayer-monitor Lambda', () => {
  test('ticks every role signer and publishes RelayerStuckTransactions counting a stuck transaction it then replaces', async () => {
    const signers = { operator: await world.newSigner(), reserve: await world.newSigner(), rewards: await world.newSigner() } as Record<KeyRole, { keyId: string; address: string }>;
    const spec = FUNCTIONS.find((f) => f.name === 'relayer-monitor')!;
    const schedule = SCHEDULES.find((s) => s.function === 'relayer-monitor')!;
    Object.assign(process.env, {
      ...functionEnvironment(spec, {
        tables: world.dynamo.tables,
        keys: { operator: signers.operator.keyId, reserve: signers.reserve.keyId, rewards: signers.rewards.keyId, price: 'unused: the monitor never ticks a sign-only key', 'ussi-orders': 'unused: sign-only', custodian: 'unused: sign-only too', admin: 'unused: signed only from the CLI' },
        buckets: { reports: 'unused', 'points-work': 'unused' },
      }),
      SSI_RPC_URL: world.chain.rpcUrl,
      SSI_CHAIN_ID: String(world.chain.chainId),
      RELAYER_STUCK_AFTER_SECONDS: '1',
      // The base-fee spike below is at least 100 gwei, the default fee ceiling: lift the ceiling so the monitor can outbid it.
      RELAYER_MAX_FEE_GWEI: '10000',
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: world.dynamo.endpoint,
      AWS_ENDPOINT_URL_KMS: world.kms.url,
    });
    const { handler } = require('../../../lambdas/handlers/relayer-monitor') as { handler: (event: unknown, context: Context) => Promise<{ stuck: number; reports: Array<{ role: string; replaced: number; signer: string }> }> };
    const context = { functionName: 'ssi-relayer-monitor', awsRequestId: randomUUID(), getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
    // A reserve report transaction sent by another instance, then left behind by a base fee jump.
    await world.admin.send('evm_setAutomine', [false]);
    const sender = world.relayer(signers.reserve.keyId);
    const submitted = await sender.submit({ key: uniqueKey('reserve:2026-11-21:MAG7.ssi'), to: token(), data: transfer(Wallet.createRandom().address, 1n) });
    await baseFeeJump(BigInt(submitted.attempts[0].maxFeePerGas));
    expect(await world.admin.getTransactionReceipt(submitted.attempts[0].hash)).toBeNull();
    await sleep(1_100);
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(chunk.toString());
      return true;
    });

    let result;
    try {
      result = await handler(scheduledEvent(schedule), context);
    } finally {
      spy.mockRestore();
    }
    await world.admin.send('evm_setAutomine', [true]);
    await world.admin.send('evm_mine', []);
    const done = await sender.wait(submitted.actionKey, { timeoutMs: 20_000 });

    expect(result.reports.map((r) => r.role)).toEqual(['operator', 'reserve', 'rewards']);
    expect(result.reports.map((r) => r.signer)).toEqual([signers.operator.address, signers.reserve.address, signers.rewards.address]);
    expect(result.stuck).toBe(1);
    expect(result.reports.find((r) => r.role === 'reserve')?.replaced).toBe(1);
    const emf = written
      .map((line) => { try { return JSON.parse(line); } catch { return undefined; } })
      .find((doc) => doc?._aws?.CloudWatchMetrics && 'RelayerStuckTransactions' in doc);
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('SSI');
    expect(emf._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name)).toEqual(['RelayerStuckTransactions']);
    // Exactly the alarm's dimensions (none): CloudWatch matches metrics by their full dimension set.
    expect(emf._aws.CloudWatchMetrics[0].Dimensions.flat()).toEqual([...ALARM_METRICS.relayerStuckTransactions.dimensions]);
    expect(emf.RelayerStuckTransactions).toBe(1);
    expect(done.status).toBe('mined');
    expect(done.attempts).toHaveLength(2);
  });
});
