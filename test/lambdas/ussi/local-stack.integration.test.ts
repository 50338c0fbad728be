import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { Contract, JsonRpcProvider, Wallet, getAddress, parseUnits, type JsonRpcSigner } from 'ethers';
import { startTestStack } from '../../helpers/stack';
import { SCHEDULES } from '../../../topology';
import { scheduledEvent } from '../../../infra/local/scheduler';
import { USSI_CALLS } from '../../../cli/commands/ussi';
import { HEDGE_ORDER_TYPES, RequestStatus, ussiDomain } from '../../../lambdas/domain/ussi-orders';
import type { UssiQuote } from '../../../lambdas/ussi/quotes';
import { HttpHedgeBook } from '../../../lambdas/ussi/hedge-book-http';

const USSI_ADMIN_CALLS = [
  ...USSI_CALLS,
  'function setVaultApproved(address vault, bool approved)',
  'function setVaultRoute(address requester, address vault)',
  'function grantRole(bytes32 role, address account)',
  'function OPERATOR_ROLE() view returns (bytes32)',
];
const INDEX = [
  'function totalSupply() view returns (uint256)',
  'function tokenset() view returns (address[] assets, uint256[] unitAmounts)',
  'function ISSUER_ROLE() view returns (bytes32)',
  'function grantRole(bytes32 role, address account)',
  'function mint(address to, uint256 amount)',
];
const ERC20 = ['function approve(address,uint256) returns (bool)', 'function balanceOf(address) view returns (uint256)', 'function transfer(address,uint256) returns (bool)'];

describe('USSI on the local stack: mints (index token burned, USDC via a vault route), NAV from the hedge book, redeems from the float and with a tracked payout', () => {
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
    ussi = new Contract(stack.file.contracts.ussi, USSI_ADMIN_CALLS, wlp);
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
      revert: { name: 'InvalidSigner', args: [stranger.address, stack.file.keys['ussi-orders'].address] },
    });
    // An index-token mint carries the index's price at the reference prices, and verifies too.
    const index = 'DEFI.ssi';
    const byIndex = await okQuote({ side: 'mint', asset: index, amount: '2' });
    expect(byIndex.asset).toMatchObject({ symbol: index, kind: 'index-token', address: getAddress(stack.file.indexes[index]) });
    expect(BigInt(byIndex.order.assetPrice)).toBeGreaterThan(0n);
    expect(await ussi.getFunction('verifyOrder')(asTuple(byIndex), byIndex.signature)).toBe(byIndex.orderHash);
    const second = await okQuote({ side: 'mint', asset: 'USDC', amount: '100' });
    expect(second.order.nonce).not.toBe(q.order.nonce);
  }, 60_000);

  test('a WLP mints USSI with USDC through its vault route and with an index token (burned, basket to the hedge vault); the NAV follows the hedge book; redeems pay from the float and off-chain with the payout recorded', async () => {
    const venue = async (path: string, body: unknown) => {
      const response = await fetch(`${stack.file.hedgeBook.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(response.status).toBe(200);
    };
    const admin = ussi.connect(hedgeVault) as Contract;
    // The admin approves a vault and (holding OPERATOR_ROLE for this test) routes the WLP's stablecoin to it.
    const routeVault = Wallet.createRandom().address;
    await (await admin.getFunction('grantRole')(await ussi.getFunction('OPERATOR_ROLE')(), stack.file.contracts.ussiHedgeVault)).wait();
    await (await admin.getFunction('setVaultApproved')(routeVault, true)).wait();
    await (await admin.getFunction('setVaultRoute')(wlp.address, routeVault)).wait();

    // Mint with USDC: quote, approve, apply, confirm; the USDC lands in the routed vault.
    const mint = await okQuote({ side: 'mint', asset: 'USDC', amount: '1000' });
    const amount = parseUnits('1000', 6);
    await (await usdc.getFunction('approve')(stack.file.contracts.ussi, amount)).wait();
    await (await ussi.getFunction('applyMint')(asTuple(mint), mint.signature)).wait();
    const mintId = await newRequestId();
    expect(await run('ussi-confirm')).toMatchObject({ outcomes: [{ id: String(mintId), action: 'confirmed', side: 'mint' }] });
    expect(((await ussi.getFunction('getRequest')(mintId)) as { status: bigint }).status).toBe(BigInt(RequestStatus.Confirmed));
    expect((await usdc.getFunction('balanceOf')(routeVault)) as bigint).toBe(amount);

    // Mint with an index token the WLP holds: the tokens are burned, custody releases their basket to the hedge vault.
    // Set-up: the index's admin issues 2 tokens to the WLP and the basket goes into custody (faucet test tokens),
    // as a PMM fill through the Issuer would leave them.
    const symbol = 'DEFI.ssi';
    const indexAddress = getAddress(stack.file.indexes[symbol]!);
    const indexUnits = 2n * 10n ** 18n;
    const index = new Contract(indexAddress, [...ERC20, ...INDEX], wlp);
    const [basketAssets, unitAmounts] = (await index.getFunction('tokenset')()) as [string[], bigint[]];
    const asIndexAdmin = index.connect(hedgeVault) as Contract;
    await (await asIndexAdmin.getFunction('grantRole')(await asIndexAdmin.getFunction('ISSUER_ROLE')(), stack.file.contracts.ussiHedgeVault)).wait();
    await (await asIndexAdmin.getFunction('mint')(wlp.address, indexUnits)).wait();
    for (const [i, asset] of basketAssets.entries()) {
      // Two tokens' basket is floor(2 * base * factor), up to one unit more than twice the per-token (floored) amount.
      await (await (new Contract(asset, ['function mint(address,uint256)'], hedgeVault)).getFunction('mint')(stack.file.contracts.custodyVault, 2n * unitAmounts[i]! + 1n)).wait();
    }
    const legBalances = () => Promise.all(basketAssets.map((a) => new Contract(a, ERC20, provider).getFunction('balanceOf')(stack.file.contracts.ussiHedgeVault) as Promise<bigint>));
    const legsBefore = await legBalances();
    const byIndex = await okQuote({ side: 'mint', asset: symbol, amount: '2' });
    await (await index.getFunction('approve')(stack.file.contracts.ussi, indexUnits)).wait();
    await (await ussi.getFunction('applyMint')(asTuple(byIndex), byIndex.signature)).wait();
    const indexMintId = await newRequestId();
    const supplyBefore = (await index.getFunction('totalSupply')()) as bigint;
    const indexConfirm = (await run('ussi-confirm')) as { outcomes: unknown[] };
    expect(indexConfirm.outcomes).toEqual([expect.objectContaining({ id: String(indexMintId), action: 'confirmed', side: 'mint' })]);
    expect((await index.getFunction('totalSupply')()) as bigint).toBe(supplyBefore - indexUnits);
    expect((await index.getFunction('balanceOf')(stack.file.contracts.ussi)) as bigint).toBe(0n);
    const legsAfter = await legBalances();
    for (const [i, unit] of unitAmounts.entries()) {
      // The basket of 2 tokens at the fee factor of the confirmation: the seconds of management fee
      // since the tokenset was read take a few millionths off.
      const released = legsAfter[i]! - legsBefore[i]!;
      expect(released).toBeLessThanOrEqual(2n * unit + 1n);
      expect(released).toBeGreaterThanOrEqual(2n * unit - (2n * unit) / 100_000n);
    }
    const minted = (await ussi.getFunction('balanceOf')(wlp.address)) as bigint;
    expect(minted).toBe(BigInt(mint.order.ussiAmount) + BigInt(byIndex.order.ussiAmount));

    // The hedge desk's cash at the hedge vault (the route took the mint's USDC elsewhere): it tops up the float and the venue pays from it.
    await (await new Contract(stack.file.tokens.USDC.address, ['function mint(address,uint256)'], hedgeVault).getFunction('mint')(stack.file.contracts.ussiHedgeVault, 10_000n * 10n ** 6n)).wait();
    // The hedge desk moves what it received to the venue and shorts the perpetual against spot.
    const depositedUsd = amount * 10n ** 12n + (indexUnits * BigInt(byIndex.order.assetPrice)) / 10n ** 18n;
    await venue('/v1/deposits', { amountUsd: String(depositedUsd) });
    const market = `${Object.keys(stack.file.tokens).find((t) => t !== 'USDC')}-PERP`;
    await venue('/v1/hedges', { market, size: String(10n ** 16n) });
    const book = await new HttpHedgeBook(stack.file.hedgeBook.url).snapshot();
    expect(book.positions).toEqual([expect.objectContaining({ market, size: -(10n ** 16n) })]);

    // NAV: too early first (the contract's minNavInterval), then published from the hedge book, within the bound.
    const [navBefore, updatedBefore] = (await ussi.getFunction('nav')()) as [bigint, bigint];
    expect(await run('ussi-nav')).toMatchObject({ action: 'skip', reason: 'too-early', retryAt: String(updatedBefore + 600n) });
    await provider.send('evm_increaseTime', [601]);
    await provider.send('evm_mine', []);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const published = (await run('ussi-nav')) as { action: string; nav: string; target: string; clamped: boolean; reading: { source: string; detail: Record<string, string> } };
    expect(published).toMatchObject({ action: 'publish', reading: { source: 'hedge-book' } });
    // Funding accrued on the short over the 601 simulated seconds.
    expect(BigInt(published.reading.detail.fundingUsd!)).toBeGreaterThan(0n);
    const [navAfter] = (await ussi.getFunction('nav')()) as [bigint, bigint];
    expect(navAfter).toBe(BigInt(published.nav));
    expect(navAfter).not.toBe(navBefore);
    const move = navAfter > navBefore ? navAfter - navBefore : navBefore - navAfter;
    expect(move).toBeLessThanOrEqual((navBefore * 100n) / 10_000n);

    // Redeem a third from the float the hedge desk returned.
    const third = minted / 3n;
    const fromFloat = await okQuote({ side: 'redeem', asset: 'USDC', amount: formatUnits18(third) });
    await (await ussi.getFunction('applyRedeem')(asTuple(fromFloat), fromFloat.signature)).wait();
    const floatId = await newRequestId();
    await (await (usdc.connect(hedgeVault) as Contract).getFunction('transfer')(stack.file.contracts.ussi, BigInt(fromFloat.order.assetAmount))).wait();
    const cashBefore = (await usdc.getFunction('balanceOf')(wlp.address)) as bigint;
    expect(await run('ussi-confirm')).toMatchObject({ outcomes: [{ id: String(floatId), action: 'confirmed', side: 'redeem' }] });
    expect((await usdc.getFunction('balanceOf')(wlp.address)) as bigint).toBe(cashBefore + BigInt(fromFloat.order.assetAmount));

    // Redeem the rest with no float left: marked payout-pending (USSI burned), paid by the venue, the payout recorded on chain.
    const rest = await okQuote({ side: 'redeem', asset: 'USDC', amount: formatUnits18(minted - third) });
    await (await ussi.getFunction('applyRedeem')(asTuple(rest), rest.signature)).wait();
    const payoutId = await newRequestId();
    expect(await run('ussi-confirm')).toMatchObject({ outcomes: [{ id: String(payoutId), action: 'payout-pending', side: 'redeem' }] });
    expect(((await ussi.getFunction('getRequest')(payoutId)) as { status: bigint }).status).toBe(BigInt(RequestStatus.PayoutPending));
    expect((await ussi.getFunction('balanceOf')(wlp.address)) as bigint).toBe(0n);
    let recorded: { outcomes: Array<{ id: string; action: string; payoutTxHash?: string }> } | undefined;
    for (let attempt = 0; attempt < 10 && !recorded?.outcomes.some((o) => o.action === 'recorded'); attempt++) {
      recorded = (await run('ussi-payout')) as typeof recorded;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const outcome = recorded!.outcomes.find((o) => o.id === String(payoutId))!;
    expect(outcome).toMatchObject({ action: 'recorded', payoutTxHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
    expect(((await ussi.getFunction('getRequest')(payoutId)) as { status: bigint }).status).toBe(BigInt(RequestStatus.Confirmed));
    // The recorded transaction is the venue's USDC transfer to the WLP.
    const payoutReceipt = await provider.getTransactionReceipt(outcome.payoutTxHash!);
    expect(payoutReceipt?.status).toBe(1);
    expect((await usdc.getFunction('balanceOf')(wlp.address)) as bigint).toBe(cashBefore + BigInt(fromFloat.order.assetAmount) + BigInt(rest.order.assetAmount));
    // Idempotent: the next runs find nothing to do and pay nothing twice.
    expect(await run('ussi-payout')).toMatchObject({ outcomes: [] });
    expect(await run('ussi-confirm')).toMatchObject({ outcomes: [] });
    expect((await usdc.getFunction('balanceOf')(wlp.address)) as bigint).toBe(cashBefore + BigInt(fromFloat.order.assetAmount) + BigInt(rest.order.assetAmount));

    // The WLP's CLI reads the same request: `ssi ussi status <id> --json`, and fails with a non-zero exit on a bad id.
    const cli = (args: string[]) => spawnSync(process.execPath, [resolve(__dirname, '../../../bin/ssi.js'), ...args, '--json', '--data', stack.file.dataDir], { encoding: 'utf8', timeout: 120_000 });
    const shown = cli(['ussi', 'status', String(payoutId)]);
    expect(shown.status).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: String(payoutId), side: 'redeem', status: 'Confirmed' });
    const missing = cli(['ussi', 'status', String(payoutId + 100n)]);
    expect(missing.status).not.toBe(0);

    // The same journey through the CLI: `ssi ussi quote`, then `mint` (approves and applies), confirmed by the
    // operator's schedule, then `redeem`; each prints JSON and refuses bad input with a non-zero exit. The API runs
    // in this process, so these CLI runs must not block it (spawn, not spawnSync).
    const cliAsync = (args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
        const child = spawn(process.execPath, [resolve(__dirname, '../../../bin/ssi.js'), ...args, '--json', '--data', stack.file.dataDir]);
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk) => (stdout += String(chunk)));
        child.stderr.on('data', (chunk) => (stderr += String(chunk)));
        child.on('close', (status) => done({ status, stdout, stderr }));
      });
    const quoted = await cliAsync(['ussi', 'quote', '--side', 'mint', '--asset', 'USDC', '--amount', '5']);
    if (quoted.status !== 0) throw new Error(`ssi ussi quote failed: ${quoted.stderr}${quoted.stdout}`);
    const cliQuote = JSON.parse(quoted.stdout) as UssiQuote;
    expect(cliQuote).toMatchObject({ order: { requester: wlp.address }, signature: expect.stringMatching(/^0x[0-9a-f]{130}$/) });
    expect(BigInt(cliQuote.order.assetAmount)).toBe(5n * 10n ** 6n);
    expect((await cliAsync(['ussi', 'quote', '--side', 'sideways', '--asset', 'USDC', '--amount', '5'])).status).not.toBe(0);
    const cliMint = await cliAsync(['ussi', 'mint', '--asset', 'USDC', '--amount', '5']);
    if (cliMint.status !== 0) throw new Error(`ssi ussi mint failed: ${cliMint.stderr}${cliMint.stdout}`);
    const applied = JSON.parse(cliMint.stdout) as { requestId: string; tx: string; quote: { ussiAmount: string } };
    expect(applied).toMatchObject({ ok: true, side: 'mint', requestId: String(await newRequestId()), tx: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
    expect(await run('ussi-confirm')).toMatchObject({ outcomes: [{ id: applied.requestId, action: 'confirmed', side: 'mint' }] });
    expect((await ussi.getFunction('balanceOf')(wlp.address)) as bigint).toBe(BigInt(applied.quote.ussiAmount));
    const cliRedeem = await cliAsync(['ussi', 'redeem', '--asset', 'USDC', '--amount', '1']);
    expect(cliRedeem.status).toBe(0);
    const redeemId = (JSON.parse(cliRedeem.stdout) as { requestId: string }).requestId;
    expect(JSON.parse((await cliAsync(['ussi', 'status', redeemId])).stdout)).toMatchObject({ id: redeemId, side: 'redeem', status: 'Pending' });
    expect((await ussi.getFunction('balanceOf')(wlp.address)) as bigint).toBe(BigInt(applied.quote.ussiAmount) - 10n ** 18n);
    // More USSI than the WLP holds: the contract refuses, the CLI says so and exits non-zero.
    const tooMuch = await cliAsync(['ussi', 'redeem', '--asset', 'USDC', '--amount', '1000000']);
    expect(tooMuch.status).not.toBe(0);
  }, 300_000);
});

function formatUnits18(units: bigint): string {
  const whole = units / 10n ** 18n;
  const fraction = (units % 10n ** 18n).toString().padStart(18, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : String(whole);
}
