import { randomUUID } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Wallet } from 'ethers';
import { KmsSigner } from '../../../lambdas/signing/kms-signer';
import { ConfigError, Conflict } from '../../../lambdas/shared/errors';
import { KMSClient } from '@aws-sdk/client-kms';
import { localCredentials, LOCAL_REGION } from '../../../infra/local/credentials';
import { chainNonce, kmsOperation, mineWhilePending, startWorld, type World, tokenAddress, tokenBalance, transferData } from '../../helpers/relayer-world';

let world: World;

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await world?.stop();
});

const token = () => tokenAddress(world);
const transfer = (to: string, amount: bigint) => transferData(world, to, amount);
const balanceOf = (who: string) => tokenBalance(world, who);
const uniqueKey = (what: string) => `${what}:${randomUUID()}`;

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the relayer sending operator transactions', () => {
  test('an action is estimated, signed by KMS, sent and recorded as mined with its receipt', async () => {
    const { keyId, address } = await world.newSigner();
    const relayer = world.relayer(keyId);
    const recipient = Wallet.createRandom().address;

    const submitted = await relayer.submit({ key: uniqueKey('reserve:2026-11-21:MAG7.ssi'), to: token(), data: transfer(recipient, 5_000_000n) });
    const done = await relayer.wait(submitted.actionKey, { timeoutMs: 20_000 });

    expect(submitted).toMatchObject({ status: 'sent', nonce: 0, signer: address });
    expect(done).toMatchObject({ status: 'mined', nonce: 0, kind: 'action', txHash: submitted.currentHash });
    expect(done.inFlightSigner).toBeUndefined();
    const receipt = await world.admin.getTransactionReceipt(done.txHash!);
    expect(receipt).toMatchObject({ status: 1, from: address, blockNumber: done.blockNumber, blockHash: done.blockHash });
    expect(BigInt(done.gasLimit!)).toBeGreaterThan(receipt!.gasUsed);
    expect(await balanceOf(recipient)).toBe(5_000_000n);
    const tx = await world.admin.getTransaction(done.txHash!);
    expect(tx).toMatchObject({ type: 2, nonce: 0, maxFeePerGas: BigInt(done.attempts[0].maxFeePerGas) });
  });

  test('the same idempotency key submitted twice, even at once from two instances, sends one transaction', async () => {
    const { keyId, address } = await world.newSigner();
    const [first, second] = [world.relayer(keyId), world.relayer(keyId)];
    const recipient = Wallet.createRandom().address;
    const request = { key: uniqueKey('nav:USSI'), to: token(), data: transfer(recipient, 7n) };

    const [a, b] = await Promise.all([first.submit(request), second.submit(request)]);
    const mined = await first.wait(request.key, { timeoutMs: 20_000 });
    const again = await second.submit(request);

    expect(a.actionKey).toBe(b.actionKey);
    expect(mined.status).toBe('mined');
    expect(mined.attempts).toHaveLength(1);
    expect(again).toMatchObject({ status: 'mined', txHash: mined.txHash, version: mined.version });
    expect(await chainNonce(world.admin, address)).toBe(1);
    expect(await balanceOf(recipient)).toBe(7n);
  });

  test('a key already used for another transaction is refused as a conflict', async () => {
    const { keyId } = await world.newSigner();
    const relayer = world.relayer(keyId);
    const key = uniqueKey('rebalance:MAG7.ssi');
    await relayer.submit({ key, to: token(), data: transfer(Wallet.createRandom().address, 1n) });

    const reuse = relayer.submit({ key, to: token(), data: transfer(Wallet.createRandom().address, 2n) });

    await expect(reuse).rejects.toBeInstanceOf(Conflict);
    await expect(reuse).rejects.toMatchObject({ code: 'action_key_reused' });
  });

  test('an action that would revert fails with the decoded reason before any nonce is taken', async () => {
    const { keyId, address } = await world.newSigner();
    const relayer = world.relayer(keyId);
    const recipient = Wallet.createRandom().address;

    const failed = await relayer.submit({ key: uniqueKey('fee-sale'), to: token(), data: transfer(recipient, 10n ** 30n) });
    const next = await relayer.wait((await relayer.submit({ key: uniqueKey('fee-sale'), to: token(), data: transfer(recipient, 1n) })).actionKey);

    expect(failed.status).toBe('failed');
    expect(failed.failure?.code).toBe('would_revert');
    expect(failed.failure?.reason).toContain(`ERC20InsufficientBalance(${address}, 1000000000000, 1000000000000000000000000000000)`);
    expect(failed.nonce).toBeUndefined();
    expect(failed.attempts).toHaveLength(0);
    expect(next).toMatchObject({ status: 'mined', nonce: 0 });
  });

  test('a transaction that reverts on chain is a terminal failure with the reason, and its nonce stays used', async () => {
    const { keyId, address } = await world.newSigner();
    const relayer = world.relayer(keyId);

    const submitted = await relayer.submit({ key: uniqueKey('confirm'), to: token(), data: transfer(Wallet.createRandom().address, 10n ** 30n), gasLimit: 120_000n });
    const done = await relayer.wait(submitted.actionKey, { timeoutMs: 20_000 });

    expect(done.status).toBe('failed');
    expect(done.failure).toMatchObject({ code: 'reverted' });
    expect(done.failure?.reason).toContain('ERC20InsufficientBalance(');
    expect((await world.admin.getTransactionReceipt(done.txHash!))?.status).toBe(0);
    expect(done.nonce).toBe(0);
    expect(await chainNonce(world.admin, address)).toBe(1);
  });

  test('a relayer configured for another chain than its RPC serves signs nothing', async () => {
    const { keyId, address } = await world.newSigner();
    const relayer = world.relayer(keyId, { chainId: 8453 });
    const key = uniqueKey('misconfigured');

    const submitted = relayer.submit({ key, to: token(), data: transfer(Wallet.createRandom().address, 1n) });

    await expect(submitted).rejects.toBeInstanceOf(ConfigError);
    await expect(submitted).rejects.toThrow(/serves chain 31337, not the configured chain 8453/);
    await expect(relayer.tick()).rejects.toBeInstanceOf(ConfigError);
    expect(await relayer.get(key)).toMatchObject({ status: 'queued', attempts: [] });
    expect(await world.store().getHead(address)).toBeUndefined();
  });

  test('KMS throttling past the SDK retries fails the action clearly without using a nonce, and a retry of the key sends it', async () => {
    const { keyId, address } = await world.newSigner();
    const relayer = world.relayer(keyId, { kmsAttempts: 2 });
    const request = { key: uniqueKey('rewards-root'), to: token(), data: transfer(Wallet.createRandom().address, 3n) };
    world.kms.kms.injectFault({ operation: 'Sign', error: 'ThrottlingException', count: 2 });

    const failed = await relayer.submit(request);
    const retried = await relayer.submit(request);
    const done = await relayer.wait(request.key, { timeoutMs: 20_000 });

    expect(failed).toMatchObject({ status: 'failed', failure: { code: 'kms_throttled' }, releasedNonces: [0] });
    expect(failed.failure?.reason).toContain(keyId);
    expect(failed.nonce).toBeUndefined();
    expect(retried.status).toBe('sent');
    expect(done).toMatchObject({ status: 'mined', nonce: 0 });
    expect(await chainNonce(world.admin, address)).toBe(1);
  });

  test('a disabled KMS key fails the action clearly without using a nonce', async () => {
    const { keyId, address } = await world.newSigner();
    const relayer = world.relayer(keyId);
    world.kms.kms.handle('DisableKey', { KeyId: keyId });

    const failed = await relayer.submit({ key: uniqueKey('reserve'), to: token(), data: transfer(Wallet.createRandom().address, 1n) });
    world.kms.kms.handle('EnableKey', { KeyId: keyId });
    const later = await relayer.wait((await relayer.submit({ key: uniqueKey('reserve'), to: token(), data: transfer(Wallet.createRandom().address, 1n) })).actionKey);

    expect(failed).toMatchObject({ status: 'failed', failure: { code: 'kms_key_disabled' } });
    expect(failed.failure?.reason).toMatch(/disabled/);
    expect(later).toMatchObject({ status: 'mined', nonce: 0 });
    expect(await chainNonce(world.admin, address)).toBe(1);
  });
});

describe('the relayer keeping nonces gap-free across instances', () => {
  test('an instance that dies after reserving a nonce leaves no gap: after its lease another instance sends the action', async () => {
    const { keyId, address } = await world.newSigner();
    const gate = await world.proxy(world.kms.url, kmsOperation);
    gate.hold('Sign');
    const dying = world.relayer(keyId, { kmsUrl: gate.url, leaseMs: 300 });
    const healthy = world.relayer(keyId);
    const recipient = Wallet.createRandom().address;
    const request = { key: uniqueKey('confirm'), to: token(), data: transfer(recipient, 11n) };

    const stalled = dying.submit(request);
    await until(async () => gate.heldCount === 1, 'the dying instance to reach KMS');
    const done = await healthy.wait(request.key, { timeoutMs: 20_000 });
    gate.release();
    const lateAnswer = await stalled;

    expect(done).toMatchObject({ status: 'mined', nonce: 0 });
    expect(done.attempts).toHaveLength(1);
    expect(lateAnswer).toMatchObject({ status: 'mined', txHash: done.txHash });
    expect(await chainNonce(world.admin, address)).toBe(1);
    expect(await balanceOf(recipient)).toBe(11n);
  });

  test('a nonce given back below one already sent is filled with a no-op so the later transaction mines', async () => {
    const { keyId, address } = await world.newSigner();
    const gate = await world.proxy(world.kms.url, kmsOperation);
    gate.hold('Sign');
    const failing = world.relayer(keyId, { kmsUrl: gate.url, kmsAttempts: 1 });
    const other = world.relayer(keyId);
    const first = { key: uniqueKey('nav'), to: token(), data: transfer(Wallet.createRandom().address, 1n) };
    const second = { key: uniqueKey('nav'), to: token(), data: transfer(Wallet.createRandom().address, 2n) };

    const firstResult = failing.submit(first);
    await until(async () => gate.heldCount === 1, 'the first action to reach KMS');
    const secondSent = await other.submit(second);
    gate.failWith({ operation: 'Sign', status: 400, body: { __type: 'DisabledException', message: 'key is disabled' } });
    gate.release();
    const firstFailed = await firstResult;
    const secondDone = await other.wait(second.key, { timeoutMs: 20_000 });

    expect(secondSent).toMatchObject({ status: 'sent', nonce: 1 });
    expect(firstFailed).toMatchObject({ status: 'failed', failure: { code: 'kms_key_disabled' }, releasedNonces: [0] });
    expect(secondDone).toMatchObject({ status: 'mined', nonce: 1 });
    const [slot0, slot1] = await world.store().slots(address, 0, 2);
    expect(slot0.holders[0]).toBe(first.key);
    expect(slot0.holders).toHaveLength(2);
    expect(slot1).toMatchObject({ state: 'assigned', actionKey: second.key });
    const fill = await world.store().getAction(slot0.actionKey!);
    expect(fill).toMatchObject({ kind: 'fill', status: 'mined', nonce: 0, to: address, value: '0', data: '0x' });
    expect(await chainNonce(world.admin, address)).toBe(2);
  });
});

describe('the relayer reconciling its nonces with the chain', () => {
  test('transactions sent from the address outside the relayer move its next nonce up', async () => {
    const { keyId, address } = await world.newSigner();
    const relayer = world.relayer(keyId);
    await relayer.wait((await relayer.submit({ key: uniqueKey('a'), to: token(), data: transfer(Wallet.createRandom().address, 1n) })).actionKey);
    const kms = new KMSClient({ endpoint: world.kms.url, region: LOCAL_REGION, credentials: localCredentials });
    const outside = new KmsSigner(kms, keyId, world.admin);
    for (let i = 0; i < 2; i++) await mineWhilePending(world.admin, (await outside.sendTransaction({ to: address, value: 0 })).hash);

    const next = await relayer.wait((await relayer.submit({ key: uniqueKey('b'), to: token(), data: transfer(Wallet.createRandom().address, 1n) })).actionKey);

    expect(next).toMatchObject({ status: 'mined', nonce: 3 });
    const slots = await world.store().slots(address, 0, 4);
    expect(slots.map((s) => s.state)).toEqual(['assigned', 'external', 'external', 'assigned']);
    kms.destroy();
  });

  test('nonces the book handed out with no record of who holds them are given back, never left as a gap', async () => {
    const { keyId, address } = await world.newSigner();
    const relayer = world.relayer(keyId);
    await relayer.wait((await relayer.submit({ key: uniqueKey('a'), to: token(), data: transfer(Wallet.createRandom().address, 1n) })).actionKey);
    await world.dynamo.doc.send(
      new UpdateCommand({ TableName: world.dynamo.tables['relayer-nonces'], Key: { signer: address, sk: 'head' }, UpdateExpression: 'SET #n = :n', ExpressionAttributeNames: { '#n': 'next' }, ExpressionAttributeValues: { ':n': 5 } }),
    );

    const report = await relayer.tick();
    const next = await relayer.wait((await relayer.submit({ key: uniqueKey('b'), to: token(), data: transfer(Wallet.createRandom().address, 1n) })).actionKey);

    expect(report).toMatchObject({ chainNonce: 1, nextNonce: 1, filled: 0 });
    expect(report.reconciled).toBeGreaterThanOrEqual(4);
    expect(next).toMatchObject({ status: 'mined', nonce: 1 });
    expect(await chainNonce(world.admin, address)).toBe(2);
  });

  test('an action whose nonce another sender used ends replaced and does not execute', async () => {
    const { keyId, address } = await world.newSigner();
    const gate = await world.proxy(world.kms.url, kmsOperation);
    gate.hold('Sign');
    const relayer = world.relayer(keyId, { kmsUrl: gate.url, orphanGraceMs: 200 });
    const recipient = Wallet.createRandom().address;
    const request = { key: uniqueKey('confirm'), to: token(), data: transfer(recipient, 5n) };
    const submitted = relayer.submit(request);
    await until(async () => gate.heldCount === 1, 'the action to reach KMS');
    const kms = new KMSClient({ endpoint: world.kms.url, region: LOCAL_REGION, credentials: localCredentials });
    await mineWhilePending(world.admin, (await new KmsSigner(kms, keyId, world.admin).sendTransaction({ to: address, value: 0, nonce: 0 })).hash);

    gate.release();
    await submitted;
    const done = await relayer.wait(request.key, { timeoutMs: 20_000 });

    expect(done).toMatchObject({ status: 'replaced', nonce: 0, failure: { code: 'nonce_used_elsewhere' } });
    expect(await balanceOf(recipient)).toBe(0n);
    expect(await chainNonce(world.admin, address)).toBe(1);
    kms.destroy();
  });
});
