import { Contract, JsonRpcProvider, Wallet, getAddress, parseUnits, type JsonRpcSigner } from 'ethers';
import { startTestStack } from '../helpers/stack';
import { SCHEDULES } from '../../topology';
import { scheduledEvent } from '../../infra/local/scheduler';
import { USSI_ABI } from '../../lambdas/ussi/contract';
import { HEDGE_ORDER_TYPES, RequestStatus, ussiDomain } from '../../lambdas/domain/ussi-orders';
import type { UssiQuote } from '../../lambdas/ussi/quotes';

const TUPLE = '(address requester,uint8 side,address asset,uint256 assetAmount,uint256 assetPrice,uint256 ussiAmount,uint256 deadline,uint256 nonce)';
const USSI_CALLS = [
  ...USSI_ABI,
  `function applyMint(${TUPLE} order, bytes signature) returns (uint256)`,
  `function applyRedeem(${TUPLE} order, bytes signature) returns (uint256)`,
  'function balanceOf(address) view returns (uint256)',
  'error InvalidSigner(address recovered, address orderSigner)',
];
const ERC20 = ['function approve(address,uint256) returns (bool)', 'function balanceOf(address) view returns (uint256)', 'function transfer(address,uint256) returns (bool)'];

describe('USSI on the local stack: quote -> mint with USDC -> confirm -> NAV update -> redeem -> confirm', () => {
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  let provider: JsonRpcProvider;
  let wlp: Wallet;
  let ussi: Contract;
  let usdc: Contract;
  let hedgeVault: JsonRpcSigner;

  const quote = (body: unknown, apiKey: string | null = stack.file.wlp.apiKey) =>
    stack.api('/v1/ussi/quotes', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(apiKey === null ? {} : { 'x-api-key': apiKey }) },
      body: JSON.stringify(body),
    });
  const okQuote = async (body: unknown): Promise<UssiQuote> => {
    const response = await quote(body);
    const json = (await response.json()) as UssiQuote;
    expect({ status: response.status, json }).toMatchObject({ status: 200 });
    return json;
  };
  const asTuple = (q: UssiQuote) => [q.order.requester, q.order.side, q.order.asset, q.order.assetAmount, q.order.assetPrice, q.order.ussiAmount, q.order.deadline, q.order.nonce];
  /** Fires a schedule's function as EventBridge would and returns what the run reports. */
  const run = (name: string): Promise<unknown> => {
    const schedule = SCHEDULES.find((s) => s.name === name)!;
    return stack.lambdas.invoke(schedule.function as never, scheduledEvent(schedule));
  };
  const newRequestId = async () => (await ussi.getFunction('requestCount')()) as bigint;

  beforeAll(async () => {
    stack = await startTestStack();
    // No call cache: back-to-back transactions must each read their own nonce.
    provider = new JsonRpcProvider(stack.file.rpc, undefined, { staticNetwork: true, cacheTimeout: -1 });
    wlp = new Wallet(stack.file.wlp.privateKey, provider);
    ussi = new Contract(stack.file.contracts.ussi, USSI_CALLS, wlp);
    usdc = new Contract(stack.file.tokens.USDC.address, ERC20, wlp);
    hedgeVault = await provider.getSigner(stack.file.contracts.ussiHedgeVault);
  }, 240_000);
  afterAll(async () => {
    provider?.destroy();
    await stack?.stop();
  });

  test('refuses bad requests with a 4xx status and a reason', async () => {
    const cases: Array<[unknown, string | null, number, string]> = [
      [{ side: 'mint', asset: 'USDC', amount: '100' }, null, 401, ''],
      [{ side: 'burn', asset: 'USDC', amount: '100' }, stack.file.wlp.apiKey, 400, 'invalid_request'],
      [{ side: 'mint', asset: 'USDC', amount: '1e5' }, stack.file.wlp.apiKey, 400, 'invalid_request'],
      [{ side: 'mint', asset: 'USDC', amount: '100', extra: 1 }, stack.file.wlp.apiKey, 400, 'invalid_request'],
      [{ side: 'mint', asset: 'USDC', amount: '0' }, stack.file.wlp.apiKey, 400, 'ussi_invalid_amount'],
      [{ side: 'mint', asset: 'USDC', amount: '0.0000001' }, stack.file.wlp.apiKey, 400, 'invalid_request'],
      [{ side: 'mint', asset: 'NOPE', amount: '100' }, stack.file.wlp.apiKey, 400, 'unknown_asset'],
      [{ side: 'mint', asset: 'BTC', amount: '1' }, stack.file.wlp.apiKey, 400, 'ussi_asset_not_supported'],
      [{ side: 'redeem', asset: Object.keys(stack.file.indexes)[0], amount: '1' }, stack.file.wlp.apiKey, 400, 'ussi_asset_not_supported'],
      [{ side: 'mint', asset: 'USDC', amount: '100', wlp: '0x0000000000000000000000000000000000000001' }, stack.file.wlp.apiKey, 403, 'wlp_mismatch'],
    ];
    for (const [body, key, status, code] of cases) {
      const response = await quote(body, key);
      const json = (await response.json()) as { error?: string; message?: string };
      expect({ body, status: response.status }).toEqual({ body, status });
      if (code) {
        expect({ body, error: json.error }).toEqual({ body, error: code });
        expect(json.message).toEqual(expect.any(String));
      }
    }
  }, 60_000);

  test('signs orders with the ussi-orders KMS key that USSI.verifyOrder accepts, and a tampered order is refused', async () => {
    const q = await okQuote({ side: 'mint', asset: 'USDC', amount: '100' });
    expect(q.signer).toBe(stack.file.keys['ussi-orders'].address);
    expect(q.order.requester).toBe(stack.file.wlp.address);
    expect(q.assetAmount).toBe('100');
    expect(q.order.assetAmount).toBe(String(parseUnits('100', 6)));
    expect(await ussi.getFunction('verifyOrder')(asTuple(q), q.signature)).toBe(q.orderHash);
    const tampered = asTuple(q);
    tampered[5] = String(BigInt(q.order.ussiAmount) + 1n);
    await expect(ussi.getFunction('verifyOrder').staticCall(tampered, q.signature)).rejects.toMatchObject({ revert: { name: 'InvalidSigner' } });
    // The same order signed by any key but the operator's is refused, naming the order signer.
    const stranger = Wallet.createRandom();
    const order = { ...q.order, side: Number(q.order.side) };
    const forged = await stranger.signTypedData(ussiDomain(stack.file.chainId, stack.file.contracts.ussi), HEDGE_ORDER_TYPES, order);
    await expect(ussi.getFunction('verifyOrder').staticCall(asTuple(q), forged)).rejects.toMatchObject({
      revert: { name: 'InvalidSigner', args: [stranger.address, stack.file.keys.operator.address] },
    });
    // An index-token mint carries the index's price at the reference prices, and verifies too.
    const index = Object.keys(stack.file.indexes)[0];
    const byIndex = await okQuote({ side: 'mint', asset: index, amount: '2' });
    expect(byIndex.asset).toMatchObject({ symbol: index, kind: 'index-token', address: getAddress(stack.file.indexes[index]) });
    expect(BigInt(byIndex.order.assetPrice)).toBeGreaterThan(0n);
    expect(await ussi.getFunction('verifyOrder')(asTuple(byIndex), byIndex.signature)).toBe(byIndex.orderHash);
    const second = await okQuote({ side: 'mint', asset: 'USDC', amount: '100' });
    expect(second.order.nonce).not.toBe(q.order.nonce);
  }, 60_000);

  test('a WLP mints USSI with USDC, the confirm schedule settles it, the NAV schedule moves the NAV, and a redeem pays USDC back', async () => {
    // Mint: quote, approve, apply, confirm.
    const mint = await okQuote({ side: 'mint', asset: 'USDC', amount: '1000' });
    const amount = parseUnits('1000', 6);
    expect(mint.order.assetAmount).toBe(String(amount));
    await (await usdc.getFunction('approve')(stack.file.contracts.ussi, amount)).wait();
    const vaultBefore = (await usdc.getFunction('balanceOf')(stack.file.contracts.ussiHedgeVault)) as bigint;
    await (await ussi.getFunction('applyMint')(asTuple(mint), mint.signature)).wait();
    const mintId = await newRequestId();
    expect(((await ussi.getFunction('getRequest')(mintId)) as { status: bigint }).status).toBe(BigInt(RequestStatus.Pending));

    expect(await run('ussi-confirm')).toMatchObject({ outcomes: [{ id: String(mintId), action: 'confirmed', side: 'mint' }] });
    expect(((await ussi.getFunction('getRequest')(mintId)) as { status: bigint }).status).toBe(BigInt(RequestStatus.Confirmed));
    const minted = (await ussi.getFunction('balanceOf')(wlp.address)) as bigint;
    expect(minted).toBe(BigInt(mint.order.ussiAmount));
    expect((await usdc.getFunction('balanceOf')(stack.file.contracts.ussiHedgeVault)) as bigint).toBe(vaultBefore + amount);

    // NAV: too early first (the contract's minNavInterval), then published after 10 minutes within the bound.
    const [navBefore, updatedBefore] = (await ussi.getFunction('nav')()) as [bigint, bigint];
    expect(await run('ussi-nav')).toMatchObject({ action: 'skip', reason: 'too-early', retryAt: String(updatedBefore + 600n) });
    expect(((await ussi.getFunction('nav')()) as [bigint, bigint])[1]).toBe(updatedBefore);
    await provider.send('evm_increaseTime', [601]);
    await provider.send('evm_mine', []);
    // Past ethers' 250 ms call cache in the handler's provider (scheduled runs are minutes apart in AWS).
    await new Promise((resolve) => setTimeout(resolve, 300));
    const published = (await run('ussi-nav')) as { action: string; nav: string; txHash: string; clamped: boolean };
    expect(published).toMatchObject({ action: 'publish', clamped: false, txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
    const [navAfter, updatedAfter] = (await ussi.getFunction('nav')()) as [bigint, bigint];
    expect(updatedAfter).toBeGreaterThan(updatedBefore);
    expect(navAfter).toBe(BigInt(published.nav));
    expect(navAfter).toBeGreaterThan(navBefore);
    expect(navAfter - navBefore).toBeLessThanOrEqual((navBefore * 100n) / 10_000n);

    // Redeem everything at the new NAV.
    const redeem = await okQuote({ side: 'redeem', asset: 'USDC', amount: formatUnits18(minted) });
    expect(redeem.nav.value).toBe(String(navAfter));
    await (await ussi.getFunction('applyRedeem')(asTuple(redeem), redeem.signature)).wait();
    const redeemId = await newRequestId();
    const cashBefore = (await usdc.getFunction('balanceOf')(wlp.address)) as bigint;

    // No float yet (the mint's USDC went to the hedge vault): the request waits.
    expect(await run('ussi-confirm')).toMatchObject({ nextCursor: String(redeemId), outcomes: [{ id: String(redeemId), action: 'awaiting-float', float: '0' }] });
    expect(((await ussi.getFunction('getRequest')(redeemId)) as { status: bigint }).status).toBe(BigInt(RequestStatus.Pending));

    // The hedge desk returns cash to the float; the next run pays the redeem from it.
    const payout = BigInt(redeem.order.assetAmount);
    await (await (usdc.connect(hedgeVault) as Contract).getFunction('transfer')(stack.file.contracts.ussi, payout)).wait();
    expect(await run('ussi-confirm')).toMatchObject({ outcomes: [{ id: String(redeemId), action: 'confirmed', side: 'redeem' }] });
    expect(((await ussi.getFunction('getRequest')(redeemId)) as { status: bigint }).status).toBe(BigInt(RequestStatus.Confirmed));
    // Idempotent: nothing left to do, nothing sent again.
    expect(await run('ussi-confirm')).toMatchObject({ nextCursor: String(redeemId + 1n), outcomes: [] });
    // The declared schedules fire the same functions through the local scheduler.
    expect((await stack.scheduler.run('ussi-confirm')).lastRun).toMatchObject({ ok: true });
    expect((await usdc.getFunction('balanceOf')(wlp.address)) as bigint).toBe(cashBefore + payout);
    expect((await ussi.getFunction('balanceOf')(wlp.address)) as bigint).toBe(minted - BigInt(redeem.order.ussiAmount));
    // Redeemed at a higher NAV than minted, minus the spread on each side: within 0.3% of the cash paid in.
    expect(payout).toBeGreaterThan((amount * 9_970n) / 10_000n);
  }, 180_000);
});

function formatUnits18(units: bigint): string {
  const whole = units / 10n ** 18n;
  const fraction = (units % 10n ** 18n).toString().padStart(18, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : String(whole);
}
