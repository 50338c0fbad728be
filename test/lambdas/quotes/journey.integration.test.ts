import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Contract, JsonRpcProvider, Network, Wallet } from 'ethers';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startTestStack } from '../../helpers/stack';
import { quoteSchema, storedQuoteSchema, indexListSchema, indexDetailSchema } from '../../../lambdas/quotes/schemas';
import { keyIdOf, putApiKey } from '../../../lambdas/quotes/api-keys';
import { localCredentials, LOCAL_REGION } from '../../../infra/local/credentials';

const run = promisify(execFile);
const SSI = resolve(__dirname, '../../../bin/ssi.js');
const ERC20 = ['function balanceOf(address) view returns (uint256)'];
const ISSUER = [
  'function requestMint(tuple(address index, uint8 side, uint256 indexAmount, address[] assets, uint256[] amounts, address cashToken, uint256 cashAmount, address maker, address requester, uint256 deadline, uint256 nonce) order, bytes signature, uint256 maxFeeBps) returns (bytes32)',
  'function getRequest(bytes32) view returns (tuple(uint128 fee, uint64 expiresAt, uint8 status))',
  'function setMintPaused(address index, bool paused)',
];
/** Hardhat's account #0, the local deployer and issuer operator (a public test key, local only). */
const DEPLOYER_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

describe('the WLP journey on the local stack', () => {
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  let provider: JsonRpcProvider;
  beforeAll(async () => {
    stack = await startTestStack();
    provider = new JsonRpcProvider(stack.file.rpc, Network.from(stack.file.chainId), { staticNetwork: true, cacheTimeout: -1 });
  }, 300_000);
  afterAll(async () => {
    provider?.destroy();
    await stack?.stop();
  });

  const post = (body: unknown, apiKey = stack.file.wlp.apiKey) =>
    stack.api('/v1/quotes', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': apiKey }, body: JSON.stringify(body) });
  const cli = async (...args: string[]) => {
    const { stdout } = await run(process.execPath, [SSI, ...args, '--json', '--data', stack.file.dataDir], { timeout: 120_000 });
    return JSON.parse(stdout) as Record<string, any>;
  };
  const balanceOf = async (token: string, holder: string) => (await new Contract(token, ERC20, provider).balanceOf(holder)) as bigint;

  test('a quote fetched with the API key is a firm, PMM-signed order near NAV', async () => {
    const answer = await post({ index: 'DEFI.ssi', side: 'mint', amount: '2' });
    expect(answer.status).toBe(200);
    const quote = quoteSchema.parse(await answer.json());
    expect(quote.order.maker).toBe(stack.file.pmm.address);
    expect(quote.order.requester).toBe(stack.file.wlp.address);
    expect(quote.order.indexAmount).toBe((2n * 10n ** 18n).toString());
    expect(Math.abs(quote.priceVsNavBps)).toBeLessThanOrEqual(100);
    expect(quote.legs).toHaveLength(6);
    const stored = storedQuoteSchema.parse(await (await stack.api(`/v1/quotes/${quote.id}`, { headers: { 'x-api-key': stack.file.wlp.apiKey } })).json());
    expect(stored.status).toBe('open');
  });

  test('indexes and one index are public, with tokenset, supply and NAV', async () => {
    const list = indexListSchema.parse(await (await stack.api('/v1/indexes')).json());
    expect(list.indexes.map((i) => i.symbol)).toEqual(['MAG7.ssi', 'DEFI.ssi', 'MEME.ssi']);
    const detail = indexDetailSchema.parse(await (await stack.api('/v1/indexes/DEFI.ssi')).json());
    expect(Number(detail.navUsd)).toBeGreaterThan(0);
    expect(detail.basket).toHaveLength(detail.tokenset.length);
  });

  test('mint with the CLI, see the balance, redeem, get USDC back; custody moves exactly by the legs', async () => {
    const wlp = stack.file.wlp.address;
    const custody = stack.file.contracts.custodyVault;
    const index = stack.file.indexes['DEFI.ssi'];
    const usdc = stack.file.tokens.USDC.address;
    const detail = indexDetailSchema.parse(await (await stack.api('/v1/indexes/DEFI.ssi')).json());
    const assets = detail.tokenset.map((l) => l.asset);
    const custodyOf = () => Promise.all(assets.map((a) => balanceOf(a, custody)));
    const usdcBefore = await balanceOf(usdc, wlp);
    const indexBefore = await balanceOf(index, wlp);
    const custodyBefore = await custodyOf();

    const minted = await cli('mint', '--index', 'DEFI.ssi', '--amount', '1.25');
    expect(minted.ok).toBe(true);
    const custodyAfterMint = await custodyOf();
    const mintLegs = new Map((minted.legs as Array<{ asset: string; amountUnits: string }>).map((l) => [l.asset, BigInt(l.amountUnits)]));
    assets.forEach((asset, i) => expect(custodyAfterMint[i] - custodyBefore[i]).toBe(mintLegs.get(asset)));
    expect(await balanceOf(index, wlp)).toBe(indexBefore + 1_250_000_000_000_000_000n);
    expect(usdcBefore - (await balanceOf(usdc, wlp))).toBe(BigInt(Math.round(Number(minted.quote.total.amount) * 1e6)));

    const status = await cli('status');
    expect(status.balances['DEFI.ssi']).toBe('1.25');

    const usdcBeforeRedeem = await balanceOf(usdc, wlp);
    const redeemed = await cli('redeem', '--index', 'DEFI.ssi', '--amount', '1.25');
    expect(redeemed.ok).toBe(true);
    const custodyAfterRedeem = await custodyOf();
    const redeemLegs = new Map((redeemed.legs as Array<{ asset: string; amountUnits: string }>).map((l) => [l.asset, BigInt(l.amountUnits)]));
    assets.forEach((asset, i) => expect(custodyAfterMint[i] - custodyAfterRedeem[i]).toBe(redeemLegs.get(asset)));
    expect(await balanceOf(index, wlp)).toBe(indexBefore);
    expect((await balanceOf(usdc, wlp)) - usdcBeforeRedeem).toBe(BigInt(Math.round(Number(redeemed.quote.total.amount) * 1e6)));
    // Rounding favours the protocol: what stays in custody is never less than what was there.
    assets.forEach((_, i) => expect(custodyAfterRedeem[i]).toBeGreaterThanOrEqual(custodyBefore[i]));

    const used = storedQuoteSchema.parse(
      await (await stack.api(`/v1/quotes/${minted.tx.orderHash as string}`, { headers: { 'x-api-key': stack.file.wlp.apiKey } })).json(),
    );
    expect(used.status).toBe('used');
  });

  test('the PMM simulator fills a mint request made with a quote', async () => {
    const wallet = new Wallet(stack.file.wlp.privateKey, provider);
    const quote = quoteSchema.parse(await (await post({ index: 'DEFI.ssi', side: 'mint', amount: '0.5' })).json());
    const usdc = new Contract(stack.file.tokens.USDC.address, ['function approve(address, uint256) returns (bool)'], wallet);
    await (await usdc.approve(stack.file.contracts.issuer, BigInt(quote.submit.approve!.amount))).wait();
    const issuer = new Contract(stack.file.contracts.issuer, ISSUER, wallet);
    await (await issuer.requestMint(quote.order, quote.signature, quote.submit.maxFeeBps)).wait();
    const index = stack.file.indexes['DEFI.ssi'];
    const deadline = Date.now() + 30_000;
    while ((await balanceOf(index, wallet.address)) === 0n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(await balanceOf(index, wallet.address)).toBe(5n * 10n ** 17n);
    expect(((await issuer.getRequest(quote.id)) as { status: bigint }).status).toBe(2n);
  });

  test('the PMM simulator rejects a request it cannot fill, and the WLP gets its cash back at once', async () => {
    const wallet = new Wallet(stack.file.wlp.privateKey, provider);
    const index = stack.file.indexes['MEME.ssi'];
    const quote = quoteSchema.parse(await (await post({ index: 'MEME.ssi', side: 'mint', amount: '0.5' })).json());
    const usdc = new Contract(stack.file.tokens.USDC.address, ['function approve(address, uint256) returns (bool)'], wallet);
    await (await usdc.approve(stack.file.contracts.issuer, BigInt(quote.submit.approve!.amount))).wait();
    const cashBefore = await balanceOf(stack.file.tokens.USDC.address, wallet.address);
    const issuer = new Contract(stack.file.contracts.issuer, ISSUER, wallet);
    const operator = new Contract(stack.file.contracts.issuer, ISSUER, new Wallet(DEPLOYER_KEY, provider));
    // The request and a mint pause land in one block, so the simulator's fill can only fail.
    await provider.send('evm_setAutomine', [false]);
    try {
      const requested = await issuer.requestMint(quote.order, quote.signature, quote.submit.maxFeeBps);
      const paused = await operator.setMintPaused(index, true);
      await provider.send('evm_mine', []);
      await Promise.all([requested.wait(), paused.wait()]);
    } finally {
      await provider.send('evm_setAutomine', [true]);
    }
    try {
      const deadline = Date.now() + 30_000;
      while (((await issuer.getRequest(quote.id)) as { status: bigint }).status === 1n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      expect(((await issuer.getRequest(quote.id)) as { status: bigint }).status).toBe(4n);
      expect(await balanceOf(stack.file.tokens.USDC.address, wallet.address)).toBe(cashBefore);
      expect(await balanceOf(index, wallet.address)).toBe(0n);
    } finally {
      await (await operator.setMintPaused(index, false)).wait();
    }
  });

  test('ssi status lists a request the PMM could not answer, and ssi cancel refunds it once its quote deadline has passed', async () => {
    const wallet = new Wallet(stack.file.wlp.privateKey, provider);
    const quote = quoteSchema.parse(await (await post({ index: 'MEME.ssi', side: 'mint', amount: '0.25' })).json());
    const usdc = new Contract(stack.file.tokens.USDC.address, ['function approve(address, uint256) returns (bool)'], wallet);
    await (await usdc.approve(stack.file.contracts.issuer, BigInt(quote.submit.approve!.amount))).wait();
    const cashBefore = await balanceOf(stack.file.tokens.USDC.address, wallet.address);
    const pmmGas = (await provider.send('eth_getBalance', [stack.file.pmm.address, 'latest'])) as string;
    // A PMM without gas can neither fill nor reject: the request stays pending.
    await provider.send('hardhat_setBalance', [stack.file.pmm.address, '0x0']);
    try {
      await (await new Contract(stack.file.contracts.issuer, ISSUER, wallet).requestMint(quote.order, quote.signature, quote.submit.maxFeeBps)).wait();
      const early = await run(process.execPath, [SSI, 'cancel', '--order-hash', quote.id, '--json', '--data', stack.file.dataDir]).catch((e: { stdout: string }) => e);
      expect(JSON.parse((early as { stdout: string }).stdout).error).toMatch(/can be filled until/);
      await provider.send('evm_increaseTime', [Number(quote.order.deadline) - Math.floor(Date.now() / 1000) + 60]);
      await provider.send('evm_mine', []);
      const status = await cli('status');
      expect(status.pending).toEqual(expect.arrayContaining([expect.objectContaining({ orderHash: quote.id, cancellable: true })]));

      const cancelled = await cli('cancel', '--order-hash', quote.id);

      expect([cancelled.ok, cancelled.side, cancelled.unit]).toEqual([true, 'mint', 'USDC']);
      expect(await balanceOf(stack.file.tokens.USDC.address, wallet.address)).toBe(cashBefore);
      expect(((await new Contract(stack.file.contracts.issuer, ISSUER, provider).getRequest(quote.id)) as { status: bigint }).status).toBe(3n);
    } finally {
      await provider.send('hardhat_setBalance', [stack.file.pmm.address, pmmGas]);
    }
  });

  test('a key over its rate limit gets 429 with retry-after; a disabled key 403; no key 401', async () => {
    const client = new DynamoDBClient({ endpoint: stack.file.dynamodb, region: LOCAL_REGION, credentials: localCredentials });
    const doc = DynamoDBDocumentClient.from(client);
    const { key: slow, record } = await putApiKey(doc, stack.file.tables['wlp-keys'], { wlp: stack.file.wlp.address, name: 'slow', rateLimit: 3, quota: 1000 });
    const { key: disabled } = await putApiKey(doc, stack.file.tables['wlp-keys'], { wlp: stack.file.wlp.address, name: 'off', enabled: false });
    // Bursts of 12 until one is throttled: how many one-second windows a burst spans depends on the
    // machine's load, so the limit is checked per window (below), not as a count per burst.
    const answers: Response[] = [];
    for (let burst = 0; burst < 5 && !answers.some((a) => a.status === 429); burst++) {
      answers.push(...(await Promise.all(Array.from({ length: 12 }, () => post({ index: 'DEFI.ssi', side: 'mint', amount: '1' }, slow)))));
    }
    const throttled = answers.filter((a) => a.status === 429);
    const served = answers.filter((a) => a.status === 200);
    expect(served.length + throttled.length).toBe(answers.length);
    expect(throttled.length).toBeGreaterThan(0);
    expect(Number(throttled[0].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await throttled[0].json()) as { message: string }).message).toMatch(/rate limit of 3/);
    // The shared fixed-window counters: no second admitted more than 3, and every served quote was counted.
    const windows: { pk: string; used: number }[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(new ScanCommand({ TableName: stack.file.tables['wlp-usage'], ConsistentRead: true, ExclusiveStartKey: start }));
      windows.push(...((page.Items ?? []) as { pk: string; used: number }[]).filter((item) => item.pk.startsWith(`rate#${keyIdOf(record)}#`)));
      start = page.LastEvaluatedKey;
    } while (start);
    client.destroy();
    expect(windows.length).toBeGreaterThan(0);
    for (const window of windows) expect(window.used).toBeLessThanOrEqual(3);
    expect(served.length).toBeLessThanOrEqual(windows.reduce((sum, window) => sum + window.used, 0));
    expect((await post({ index: 'DEFI.ssi', side: 'mint', amount: '1' }, disabled)).status).toBe(403);
    const anonymous = await stack.api('/v1/quotes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(anonymous.status).toBe(401);
  });
});
