import hre from 'hardhat';
import type { Contract, TypedDataDomain } from 'ethers';
import { expectRevert } from '../../helpers/revert';
import { ONE, as, deployIndexFixture, increaseTime, now, send, useSnapshots, type IndexFixture } from '../../helpers/index-protocol';
import {
  enableRebalanceMaker,
  feeAwareQuote,
  freshNonce,
  priceAttestation,
  rebalanceDomain,
  rebalanceOrder,
  signPrices,
  signRebalance,
} from '../../helpers/rebalance';
import { createIndex } from '../../../scripts/deploy/index-protocol';
import { FEE_FACTOR_UNIT, QUOTE_ORDER_TYPES, Side, type QuoteOrder } from '../../../lambdas/domain/orders';
import { decayFactor } from '../../../lambdas/domain/fees';
import {
  legsValue,
  planRebalance,
  rebalancedTokenset,
  WEIGHT_UNIT,
  withinTolerance,
  type PriceAttestation,
  type RebalanceOrder,
} from '../../../lambdas/domain/rebalance-orders';

const FEE_RATE_PPM = 9_500;
const TOLERANCE_BPS = 100n;
/** Illustrative USD prices per whole token of the seven constituents and the newcomer (18 decimals). */
const USD = [97_000n, 3_300n, 1n, 660n, 190n, 2n, 25n, 22n].map((p) => p * 10n ** 18n);
/** Target weights after the rebalance: constituent 0 leaves, the newcomer (last) comes in. */
const TARGET_WEIGHTS = [0n, 15n, 10n, 20n, 10n, 15n, 10n, 20n].map((w) => (w * WEIGHT_UNIT) / 100n);

describe('Rebalancer', () => {
  let fx: IndexFixture;
  let rebalancer: Contract;
  let newcomer: Contract;
  let domain: TypedDataDomain;
  let indexAddress: string;
  let allAssets: string[];
  const prices = new Map<string, bigint>();
  const decimals = new Map<string, number>();

  async function mintTo(wlp: 'wlp' | 'wlp2', indexAmount: bigint): Promise<void> {
    const signer = fx[wlp];
    const order = await feeAwareQuote(hre, fx, fx.index, { side: Side.Mint, indexAmount, nonce: freshNonce(), requester: await signer.getAddress() });
    await (await as(fx.issuer, signer).mint(order, await fx.pmm.signTypedData(fx.domain, QUOTE_ORDER_TYPES, order), 30)).wait();
  }

  /** The plan that moves the current basket to TARGET_WEIGHTS, as an order and an attestation, both signed. */
  async function plannedRebalance(): Promise<{ order: RebalanceOrder; makerSignature: string; prices: PriceAttestation; priceSignature: string }> {
    const [assets, amounts] = (await fx.index.basket()) as [string[], bigint[]];
    const targets = allAssets.map((asset, i) => ({ asset, weight: TARGET_WEIGHTS[i] })).filter((t) => t.weight > 0n);
    const plan = planRebalance({ assets, amounts }, targets, prices, decimals);
    const order = await rebalanceOrder(hre, fx, plan.sells, plan.buys);
    const attestation = await priceAttestation(hre, fx, prices);
    return {
      order,
      makerSignature: await signRebalance(fx.pmm, domain, order),
      prices: attestation,
      priceSignature: await signPrices(fx.admin, domain, attestation),
    };
  }

  /** Sells a tenth of the basket's second asset for the newcomer at the same value. */
  async function smallTrade(fields: Partial<RebalanceOrder> = {}): Promise<RebalanceOrder> {
    const [assets, amounts] = (await fx.index.basket()) as [string[], bigint[]];
    const sell = { asset: assets[1], amount: amounts[1] / 10n };
    const value = legsValue([sell.asset], [sell.amount], prices, decimals);
    return rebalanceOrder(hre, fx, [sell], [{ asset: allAssets[7], amount: (value * 10n ** 18n) / USD[7] }], fields);
  }

  async function vaultBalances(assets: string[]): Promise<bigint[]> {
    return [...((await fx.custodyVault.balancesOf(assets)) as bigint[])];
  }

  beforeAll(async () => {
    fx = await deployIndexFixture(hre, { assetCount: 7, feeRatePpm: FEE_RATE_PPM, maxFeeRatePpm: 20_000, pmmIndexTokensWorth: 100n * ONE });
    rebalancer = fx.rebalancer;
    indexAddress = await fx.index.getAddress();
    newcomer = (await (await hre.ethers.getContractFactory('TestToken', fx.admin)).deploy('Newcomer', 'NEW', 18)) as unknown as Contract;
    const tokens = [...fx.assets, newcomer];
    allAssets = await Promise.all(tokens.map((t) => t.getAddress()));
    for (let i = 0; i < tokens.length; i++) {
      prices.set(allAssets[i].toLowerCase(), USD[i]);
      decimals.set(allAssets[i].toLowerCase(), Number(await tokens[i].decimals()));
    }
    domain = await rebalanceDomain(hre, fx);
    await enableRebalanceMaker(fx, tokens, 10n ** 36n);
    // The newcomer joins the basket: the PMM delivers it on mints too.
    await (await as(newcomer, fx.pmm).approve(await fx.issuer.getAddress(), 2n ** 255n)).wait();
    await mintTo('wlp', 20n * ONE);
    await mintTo('wlp2', 5n * ONE + 123n);
  });
  useSnapshots(hre);

  it('rebalances a 7-asset basket: one constituent out, one in, the rest reweighted, from what actually moved', async () => {
    await (await rebalancer.openWindow(indexAddress)).wait();
    const [oldAssets, oldUnits] = (await fx.index.tokenset()) as [string[], bigint[]];
    const [basketAssets, basketAmounts] = (await fx.index.basket()) as [string[], bigint[]];
    const supply = (await fx.index.totalSupply()) as bigint;
    const { order, makerSignature, prices: attestation, priceSignature } = await plannedRebalance();
    expect(order.sellAssets).toContain(allAssets[0]);
    expect(order.buyAssets).toContain(allAssets[7]);
    const expected = rebalancedTokenset({ assets: basketAssets, amounts: basketAmounts }, supply, order);
    const preview = await rebalancer.previewSettlement(order, makerSignature, attestation, priceSignature);
    const touched = [...allAssets];
    const vaultBefore = await vaultBalances(touched);
    const pmmBefore = await Promise.all(touched.map(async (a) => (await hre.ethers.getContractAt('TestToken', a)).balanceOf(await fx.pmm.getAddress())));

    const receipt = await (await rebalancer.settle(order, makerSignature, attestation, priceSignature)).wait();

    // The tokenset is what custody now holds for the index per token, the dropped asset gone.
    const [newAssets, newUnits] = (await fx.index.tokenset()) as [string[], bigint[]];
    expect([...newAssets]).toEqual(expected.assets);
    expect([...newUnits]).toEqual(expected.unitAmounts);
    expect([...preview.assets]).toEqual(expected.assets);
    expect([...preview.unitAmounts]).toEqual(expected.unitAmounts);
    expect(newAssets).not.toContain(allAssets[0]);
    expect(newAssets).toContain(allAssets[7]);
    expect(newAssets).toHaveLength(7);
    expect(await fx.index.feeFactor()).toBe(FEE_FACTOR_UNIT);
    // The settlement event carries the full tokensets before and after and the values compared.
    const settled = receipt.logs.map((l: { topics: string[]; data: string }) => rebalancer.interface.parseLog(l)).find((e: { name: string } | null) => e?.name === 'RebalanceSettled');
    expect([...settled.args.previousAssets]).toEqual([...oldAssets]);
    expect([...settled.args.previousUnitAmounts]).toEqual([...oldUnits]);
    expect([...settled.args.unitAmounts]).toEqual(expected.unitAmounts);
    expect(settled.args.orderHash).toBe(await rebalancer.hashRebalanceOrder(order));
    const sold = legsValue(order.sellAssets, order.sellAmounts, prices, decimals);
    const bought = legsValue(order.buyAssets, order.buyAmounts, prices, decimals);
    expect(settled.args.soldValue).toBe(sold);
    expect(settled.args.boughtValue).toBe(bought);
    expect(withinTolerance(sold, bought, TOLERANCE_BPS)).toBe(true);
    // Exactly the legs moved between custody and the PMM.
    const vaultAfter = await vaultBalances(touched);
    const pmmAfter = await Promise.all(touched.map(async (a) => (await hre.ethers.getContractAt('TestToken', a)).balanceOf(await fx.pmm.getAddress())));
    touched.forEach((asset, i) => {
      const s = order.sellAssets.indexOf(asset);
      const b = order.buyAssets.indexOf(asset);
      const delta = (b >= 0 ? order.buyAmounts[b] : 0n) - (s >= 0 ? order.sellAmounts[s] : 0n);
      expect(vaultAfter[i] - vaultBefore[i]).toBe(delta);
      expect(pmmAfter[i] - pmmBefore[i]).toBe(-delta);
    });
    // Custody covers basket and fee basket for every asset, the dropped one included.
    const [afterBasketAssets, afterBasket] = (await fx.index.basket()) as [string[], bigint[]];
    const [feeAssets, feeAmounts] = (await fx.index.feeBasket()) as [string[], bigint[]];
    for (const [i, asset] of touched.entries()) {
      const b = afterBasketAssets.indexOf(asset);
      const f = feeAssets.indexOf(asset);
      const owed = (b >= 0 ? afterBasket[b] : 0n) + (f >= 0 ? feeAmounts[f] : 0n);
      expect(vaultAfter[i] >= owed).toBe(true);
    }
    // The new basket has the target weights at the attested prices (to 0.01%) and kept its value (within the tolerance).
    const unitValues = newAssets.map((a: string, i: number) => legsValue([a], [newUnits[i]], prices, decimals));
    const total = unitValues.reduce((x: bigint, y: bigint) => x + y, 0n);
    newAssets.forEach((asset: string, i: number) => {
      const target = TARGET_WEIGHTS[allAssets.indexOf(asset)];
      const weight = (unitValues[i] * WEIGHT_UNIT) / total;
      expect(weight > target ? weight - target : target - weight).toBeLessThan(WEIGHT_UNIT / 10_000n);
    });
    const before = legsValue(oldAssets, oldUnits, prices, decimals);
    expect(withinTolerance(before, total, TOLERANCE_BPS)).toBe(true);
    expect((await rebalancer.window(indexAddress)).settlements).toBe(1n);

    await (await rebalancer.closeWindow(indexAddress)).wait();
    await mintTo('wlp', ONE);
    expect(await fx.index.balanceOf(await fx.wlp.getAddress())).toBe(21n * ONE);
  });

  it('rejects mint and redeem, atomic or requested, while the window is open and resumes them after it closes', async () => {
    const wlp = await fx.wlp.getAddress();
    const mint = await feeAwareQuote(hre, fx, fx.index, { side: Side.Mint, indexAmount: ONE, nonce: freshNonce(), requester: wlp });
    const redeem = await feeAwareQuote(hre, fx, fx.index, { side: Side.Redeem, indexAmount: ONE, nonce: freshNonce(), requester: wlp });
    await (await rebalancer.openWindow(indexAddress)).wait();
    const signed = async (o: QuoteOrder): Promise<string> => fx.pmm.signTypedData(fx.domain, QUOTE_ORDER_TYPES, o);
    await expectRevert(as(fx.issuer, fx.wlp).mint(mint, await signed(mint), 30), fx.issuer, 'IndexRebalancing', [indexAddress]);
    await expectRevert(as(fx.issuer, fx.wlp).requestMint(mint, await signed(mint), 30), fx.issuer, 'IndexRebalancing', [indexAddress]);
    await expectRevert(as(fx.issuer, fx.wlp).redeem(redeem, await signed(redeem), 20), fx.issuer, 'IndexRebalancing', [indexAddress]);
    await expectRevert(as(fx.issuer, fx.wlp).requestRedeem(redeem, await signed(redeem), 20), fx.issuer, 'IndexRebalancing', [indexAddress]);
    expect(await fx.issuer.isRebalancing(indexAddress)).toBe(true);

    const receipt = await (await rebalancer.closeWindow(indexAddress)).wait();
    const closed = rebalancer.interface.parseLog(receipt.logs.find((l: { address: string }) => l.address === rebalancer.target)!);
    expect(closed?.name).toBe('RebalanceWindowClosed');
    expect(closed?.args.closedBy).toBe(await fx.admin.getAddress());
    expect(await fx.issuer.isRebalancing(indexAddress)).toBe(false);
    await (await as(fx.issuer, fx.wlp).mint(mint, await signed(mint), 30)).wait();
    await (await as(fx.issuer, fx.wlp).redeem(redeem, await signed(redeem), 20)).wait();
  });

  it('refuses to open a window while requests are in flight, or a second window for the same index', async () => {
    const wlp = await fx.wlp.getAddress();
    const request = await feeAwareQuote(hre, fx, fx.index, { side: Side.Mint, indexAmount: ONE, nonce: freshNonce(), requester: wlp });
    await (await as(fx.issuer, fx.wlp).requestMint(request, await fx.pmm.signTypedData(fx.domain, QUOTE_ORDER_TYPES, request), 30)).wait();
    await expectRevert(rebalancer.openWindow(indexAddress), fx.issuer, 'RequestsInFlight', [indexAddress, 1]);
    await (await as(fx.issuer, fx.pmm).fillMint(request)).wait();

    const receipt = await (await rebalancer.openWindow(indexAddress)).wait();
    const opened = rebalancer.interface.parseLog(receipt.logs.find((l: { address: string }) => l.address === rebalancer.target)!);
    const openedAt = BigInt((await hre.ethers.provider.getBlock(receipt.blockNumber))!.timestamp);
    expect(opened?.name).toBe('RebalanceWindowOpened');
    expect(opened?.args.expiresAt).toBe(openedAt + 86_400n);
    expect([...opened!.args.unitAmounts]).toEqual([...(await fx.index.tokenset())[1]]);
    await expectRevert(rebalancer.openWindow(indexAddress), rebalancer, 'WindowAlreadyOpen', [indexAddress, openedAt]);
  });

  it('lets anyone close a window that outlived its maximum duration, and nobody settle in it', async () => {
    await (await rebalancer.openWindow(indexAddress)).wait();
    const { expiresAt } = await rebalancer.window(indexAddress);
    const planned = await plannedRebalance();
    await expectRevert(as(rebalancer, fx.outsider).closeWindow(indexAddress), rebalancer, 'WindowNotExpired', [indexAddress, expiresAt]);

    await increaseTime(hre, expiresAt - (await now(hre)));
    await expectRevert(
      rebalancer.settle(planned.order, planned.makerSignature, planned.prices, planned.priceSignature),
      rebalancer,
      'WindowExpired',
      [indexAddress, expiresAt],
    );
    await (await as(rebalancer, fx.outsider).closeWindow(indexAddress)).wait();
    expect(await fx.issuer.isRebalancing(indexAddress)).toBe(false);
    expect((await rebalancer.window(indexAddress)).openedAt).toBe(0n);
    await expectRevert(rebalancer.closeWindow(indexAddress), rebalancer, 'WindowNotOpen', [indexAddress]);
    await mintTo('wlp2', ONE);
  });

  it('reverts an order whose bought value is outside the tolerance of the sold value, either way', async () => {
    await (await rebalancer.openWindow(indexAddress)).wait();
    const [assets, amounts] = (await fx.index.basket()) as [string[], bigint[]];
    const sell = { asset: assets[1], amount: amounts[1] / 4n };
    const soldValue = legsValue([sell.asset], [sell.amount], prices, decimals);
    const buyAsset = allAssets[7];
    const buyFor = (value: bigint): bigint => (value * 10n ** 18n) / prices.get(buyAsset.toLowerCase())!;
    const attempt = async (value: bigint): Promise<{ order: RebalanceOrder; run: () => Promise<unknown> }> => {
      const order = await rebalanceOrder(hre, fx, [sell], [{ asset: buyAsset, amount: buyFor(value) }]);
      const attestation = await priceAttestation(hre, fx, prices);
      const makerSignature = await signRebalance(fx.pmm, domain, order);
      const priceSignature = await signPrices(fx.admin, domain, attestation);
      return { order, run: () => rebalancer.settle(order, makerSignature, attestation, priceSignature) };
    };

    const cheap = await attempt((soldValue * 98n) / 100n);
    await expectRevert(cheap.run(), rebalancer, 'ValueOutOfTolerance', [
      soldValue,
      legsValue(cheap.order.buyAssets, cheap.order.buyAmounts, prices, decimals),
      TOLERANCE_BPS,
    ]);
    const generous = await attempt((soldValue * 102n) / 100n);
    await expectRevert(generous.run(), rebalancer, 'ValueOutOfTolerance');
    const fair = await attempt((soldValue * 991n) / 1000n);
    await ((await fair.run()) as { wait(): Promise<unknown> }).wait();
    expect([...(await fx.index.tokenset())[0]]).toContain(buyAsset);
  });

  it('caps the value lost over a window: settlements each within tolerance revert once their losses together pass it (issue 19 item 2)', async () => {
    await (await rebalancer.openWindow(indexAddress)).wait();
    const [openAssets, openAmounts] = (await fx.index.basket()) as [string[], bigint[]];
    const openingValue = legsValue(openAssets, openAmounts, prices, decimals);
    const maxLoss = (openingValue * TOLERANCE_BPS) / 10_000n;
    let loss = 0n;
    let settled = 0;
    for (let round = 0; round < 40; round++) {
      // Sell a third of the basket's most valuable asset for another at 99.05% of its value: within tolerance each time.
      const [assets, amounts] = (await fx.index.basket()) as [string[], bigint[]];
      const values = assets.map((a, i) => legsValue([a], [amounts[i]], prices, decimals));
      const top = values.indexOf(values.reduce((m, v) => (v > m ? v : m)));
      const sell = { asset: assets[top], amount: amounts[top] / 3n };
      const buyAsset = sell.asset === allAssets[7] ? allAssets[0] : allAssets[7];
      const sold = legsValue([sell.asset], [sell.amount], prices, decimals);
      const buy = { asset: buyAsset, amount: (sold * 9_905n * 10n ** BigInt(decimals.get(buyAsset.toLowerCase())!)) / 10_000n / prices.get(buyAsset.toLowerCase())! };
      const order = await rebalanceOrder(hre, fx, [sell], [buy]);
      const attestation = await priceAttestation(hre, fx, prices);
      const settle = () => rebalancer.settle(order, signRebalance(fx.pmm, domain, order), attestation, signPrices(fx.admin, domain, attestation));
      const next = loss + sold - legsValue([buy.asset], [buy.amount], prices, decimals);
      if (next > maxLoss) {
        await expectRevert(settle, rebalancer, 'WindowLossExceeded', [indexAddress, next, maxLoss]);
        break;
      }
      await ((await settle()) as { wait(): Promise<unknown> }).wait();
      loss = next;
      settled++;
    }
    expect(settled).toBeGreaterThan(1);
    expect(loss).toBeLessThanOrEqual(maxLoss);
    expect(loss * 10_000n).toBeGreaterThan(maxLoss * 5_000n);
  });

  it('refuses rebalance prices signed by an operator that is not a price attester (issue 19 item 2)', async () => {
    await (await rebalancer.openWindow(indexAddress)).wait();
    const p = await plannedRebalance();
    await (await rebalancer.grantRole(await rebalancer.OPERATOR_ROLE(), await fx.outsider.getAddress())).wait();
    const byOperator = await signPrices(fx.outsider, domain, p.prices);
    await expectRevert(async () => as(rebalancer, fx.outsider).settle(p.order, p.makerSignature, p.prices, byOperator), rebalancer, 'PriceSignerNotAttester', [
      await fx.outsider.getAddress(),
    ]);
  });

  it('refuses to buy an asset the admin has not allowed, such as a token the maker minted (issue 19 item 2)', async () => {
    const minted = (await (await hre.ethers.getContractFactory('TestToken', fx.pmm)).deploy('Maker-minted', 'MINT', 18)) as unknown as Contract;
    const mintedAddress = await minted.getAddress();
    await (await minted.mint(await fx.pmm.getAddress(), 10n ** 30n)).wait();
    await (await as(minted, fx.pmm).approve(await rebalancer.getAddress(), 2n ** 255n)).wait();
    prices.set(mintedAddress.toLowerCase(), 10n ** 18n);
    decimals.set(mintedAddress.toLowerCase(), 18);
    try {
      await (await rebalancer.openWindow(indexAddress)).wait();
      const [assets, amounts] = (await fx.index.basket()) as [string[], bigint[]];
      const value = legsValue([assets[1]], [amounts[1]], prices, decimals);
      const order = await rebalanceOrder(hre, fx, [{ asset: assets[1], amount: amounts[1] }], [{ asset: mintedAddress, amount: value }]);
      const attestation = await priceAttestation(hre, fx, prices);
      const makerSignature = await signRebalance(fx.pmm, domain, order);
      const priceSignature = await signPrices(fx.admin, domain, attestation);
      await expectRevert(rebalancer.settle(order, makerSignature, attestation, priceSignature), rebalancer, 'BuyAssetNotAllowed', [mintedAddress]);
      await expectRevert(async () => as(rebalancer, fx.outsider).setBuyAssetAllowed(mintedAddress, true), rebalancer, 'AccessControlUnauthorizedAccount');
      const receipt = await (await rebalancer.setBuyAssetAllowed(mintedAddress, true)).wait();
      const event = rebalancer.interface.parseLog(receipt.logs[0]);
      expect([event?.name, event?.args.asset, event?.args.allowed]).toEqual(['BuyAssetAllowed', mintedAddress, true]);
      expect(await rebalancer.isBuyAssetAllowed(mintedAddress)).toBe(true);
      await (await rebalancer.settle(order, makerSignature, attestation, priceSignature)).wait();
    } finally {
      prices.delete(mintedAddress.toLowerCase());
      decimals.delete(mintedAddress.toLowerCase());
    }
  });

  it('freezes the basket while the window is open and charges the window on the new basket once it closes', async () => {
    const openReceipt = await (await rebalancer.openWindow(indexAddress)).wait();
    const openedAt = BigInt((await hre.ethers.provider.getBlock(openReceipt.blockNumber))!.timestamp);
    const frozen = await fx.index.feeFactor();
    await increaseTime(hre, 3 * 3600);
    expect(await fx.index.feeFactor()).toBe(frozen);
    expect((await fx.index.feeState()).rebalancing).toBe(true);
    await (await fx.index.accrueFee()).wait();
    expect(await fx.index.feeFactor()).toBe(frozen);
    await expectRevert(fx.indexFactory.setFeeRate(indexAddress, 1_000), fx.index, 'FeeRateLockedWhileRebalancing');

    const planned = await plannedRebalance();
    await (await rebalancer.settle(planned.order, planned.makerSignature, planned.prices, planned.priceSignature)).wait();
    expect(await fx.index.feeFactor()).toBe(FEE_FACTOR_UNIT);
    const closeReceipt = await (await rebalancer.closeWindow(indexAddress)).wait();
    const closedAt = BigInt((await hre.ethers.provider.getBlock(closeReceipt.blockNumber))!.timestamp);

    // The next accrual covers the whole window, from its opening, on the new basket.
    expect(await fx.index.feeFactor({ blockTag: closeReceipt.blockNumber })).toBe(decayFactor(FEE_FACTOR_UNIT, FEE_RATE_PPM, closedAt - openedAt));
    expect((await fx.index.feeState()).rebalancing).toBe(false);
  });

  it('refuses sells above the basket and sells of assets outside the tokenset', async () => {
    await (await rebalancer.openWindow(indexAddress)).wait();
    const [assets, amounts] = (await fx.index.basket()) as [string[], bigint[]];
    const attestation = await priceAttestation(hre, fx, prices);
    const priceSignature = await signPrices(fx.admin, domain, attestation);
    const tooMuch = await rebalanceOrder(hre, fx, [{ asset: assets[2], amount: amounts[2] + 1n }], [{ asset: assets[3], amount: 1n }]);
    await expectRevert(
      rebalancer.previewSettlement(tooMuch, await signRebalance(fx.pmm, domain, tooMuch), attestation, priceSignature),
      rebalancer,
      'SellExceedsBasket',
      [assets[2], amounts[2], amounts[2] + 1n],
    );
    const outside = await rebalanceOrder(hre, fx, [{ asset: allAssets[7], amount: 1n }], [{ asset: assets[3], amount: 1n }]);
    await expectRevert(
      rebalancer.previewSettlement(outside, await signRebalance(fx.pmm, domain, outside), attestation, priceSignature),
      rebalancer,
      'SellNotInBasket',
      [allAssets[7]],
    );
  });

  it('checks expiry, fields, price coverage, nonces and both signatures before anything moves', async () => {
    await (await rebalancer.openWindow(indexAddress)).wait();
    const p = await plannedRebalance();
    const preview = (order: RebalanceOrder, makerSignature: string, prices: PriceAttestation, priceSignature: string): Promise<unknown> =>
      rebalancer.previewSettlement(order, makerSignature, prices, priceSignature);
    const resign = async (order: RebalanceOrder): Promise<[RebalanceOrder, string]> => [order, await signRebalance(fx.pmm, domain, order)];
    const t = await now(hre);

    await expectRevert(preview(...(await resign({ ...p.order, deadline: t - 1n })), p.prices, p.priceSignature), rebalancer, 'OrderExpired');
    const stale = { ...p.prices, validUntil: t - 1n };
    await expectRevert(preview(p.order, p.makerSignature, stale, await signPrices(fx.admin, domain, stale)), rebalancer, 'PricesExpired');
    const otherIndex = { ...p.prices, index: await fx.usdc.getAddress() };
    await expectRevert(async () => preview(p.order, p.makerSignature, otherIndex, await signPrices(fx.admin, domain, otherIndex)), rebalancer, 'PricesForOtherIndex', [
      indexAddress,
      await fx.usdc.getAddress(),
    ]);
    await expectRevert(preview(...(await resign({ ...p.order, sellAssets: [], sellAmounts: [], buyAssets: [], buyAmounts: [] })), p.prices, p.priceSignature), rebalancer, 'EmptyOrder');
    const reversed = { ...p.order, buyAssets: [...p.order.buyAssets].reverse(), buyAmounts: [...p.order.buyAmounts].reverse() };
    await expectRevert(preview(...(await resign(reversed)), p.prices, p.priceSignature), rebalancer, 'AssetsNotSorted', [1, reversed.buyAssets[1]]);
    const zero = { ...p.order, sellAmounts: p.order.sellAmounts.map((a, i) => (i === 0 ? 0n : a)) };
    await expectRevert(preview(...(await resign(zero)), p.prices, p.priceSignature), rebalancer, 'ZeroLegAmount', [0]);
    const short = { ...p.order, sellAmounts: p.order.sellAmounts.slice(1) };
    await expectRevert(preview(...(await resign(short)), p.prices, p.priceSignature), rebalancer, 'LengthMismatch', [p.order.sellAssets.length, p.order.sellAssets.length - 1]);
    const unpriced = await priceAttestation(hre, fx, new Map([...prices].filter(([a]) => a !== allAssets[7].toLowerCase())));
    await expectRevert(preview(p.order, p.makerSignature, unpriced, await signPrices(fx.admin, domain, unpriced)), rebalancer, 'PriceMissing', [allAssets[7]]);

    await expectRevert(preview(p.order, await signRebalance(fx.outsider, domain, p.order), p.prices, p.priceSignature), rebalancer, 'InvalidSignature', [p.order.maker]);
    const byOutsider = { ...p.order, maker: await fx.outsider.getAddress() };
    await expectRevert(preview(byOutsider, await signRebalance(fx.outsider, domain, byOutsider), p.prices, p.priceSignature), rebalancer, 'NotMaker', [byOutsider.maker]);
    await expectRevert(async () => preview(p.order, p.makerSignature, p.prices, await signPrices(fx.outsider, domain, p.prices)), rebalancer, 'PriceSignerNotAttester', [
      await fx.outsider.getAddress(),
    ]);
    await expectRevert(preview(p.order, p.makerSignature, p.prices, '0x1234'), rebalancer, 'InvalidPriceSignature');

    const trade = await smallTrade();
    const tradeSignature = await signRebalance(fx.pmm, domain, trade);
    await (await rebalancer.settle(trade, tradeSignature, p.prices, p.priceSignature)).wait();
    expect(await rebalancer.isNonceUsed(trade.maker, trade.nonce)).toBe(true);
    expect(await rebalancer.isNonceUsed(await fx.admin.getAddress(), p.prices.nonce)).toBe(true);
    const fresh = await priceAttestation(hre, fx, prices);
    await expectRevert(
      rebalancer.settle(trade, tradeSignature, fresh, await signPrices(fx.admin, domain, fresh)),
      rebalancer,
      'NonceAlreadyUsed',
      [trade.maker, trade.nonce],
    );
    const again = await rebalanceOrder(hre, fx, [], [{ asset: allAssets[7], amount: 1n }]);
    await expectRevert(
      preview(again, await signRebalance(fx.pmm, domain, again), p.prices, p.priceSignature),
      rebalancer,
      'ValueOutOfTolerance',
    );
  });

  it('lets a maker cancel an order by invalidating its nonce, and reuses no price attestation', async () => {
    await (await rebalancer.openWindow(indexAddress)).wait();
    const p = await plannedRebalance();
    const word = p.order.nonce >> 8n;
    const mask = 1n << (p.order.nonce & 255n);
    const receipt = await (await as(rebalancer, fx.pmm).invalidateUnorderedNonces(word, mask)).wait();
    const event = rebalancer.interface.parseLog(receipt.logs[0]);
    expect(event?.name).toBe('UnorderedNonceInvalidation');
    expect([...event!.args]).toEqual([p.order.maker, word, mask]);
    await expectRevert(rebalancer.settle(p.order, p.makerSignature, p.prices, p.priceSignature), rebalancer, 'NonceAlreadyUsed', [p.order.maker, p.order.nonce]);

    const fresh = await rebalanceOrder(hre, fx, [...p.order.sellAssets.map((asset, i) => ({ asset, amount: p.order.sellAmounts[i] }))], p.order.buyAssets.map((asset, i) => ({ asset, amount: p.order.buyAmounts[i] })));
    await (await rebalancer.settle(fresh, await signRebalance(fx.pmm, domain, fresh), p.prices, p.priceSignature)).wait();
    const another = await smallTrade();
    await expectRevert(
      async () => rebalancer.settle(another, await signRebalance(fx.pmm, domain, another), p.prices, p.priceSignature),
      rebalancer,
      'NonceAlreadyUsed',
      [await fx.admin.getAddress(), p.prices.nonce],
    );
  });

  it('lets only operators open, settle and reset, needs an open window, and stops while paused except closing', async () => {
    const operatorRole = await rebalancer.OPERATOR_ROLE();
    const outsider = await fx.outsider.getAddress();
    await expectRevert(as(rebalancer, fx.outsider).openWindow(indexAddress), rebalancer, 'AccessControlUnauthorizedAccount', [outsider, operatorRole]);
    const p = await plannedRebalance();
    await expectRevert(rebalancer.settle(p.order, p.makerSignature, p.prices, p.priceSignature), rebalancer, 'WindowNotOpen', [indexAddress]);
    await expectRevert(async () => rebalancer.openWindow(await fx.usdc.getAddress()), fx.issuer, 'UnknownIndex', [await fx.usdc.getAddress()]);

    await (await rebalancer.openWindow(indexAddress)).wait();
    await expectRevert(
      as(rebalancer, fx.outsider).settle(p.order, p.makerSignature, p.prices, p.priceSignature),
      rebalancer,
      'AccessControlUnauthorizedAccount',
      [outsider, operatorRole],
    );
    await expectRevert(as(rebalancer, fx.outsider).resetTokenset(indexAddress, [allAssets[1]], [1n]), rebalancer, 'AccessControlUnauthorizedAccount');
    await (await rebalancer.pause()).wait();
    await expectRevert(rebalancer.settle(p.order, p.makerSignature, p.prices, p.priceSignature), rebalancer, 'EnforcedPause');
    await (await rebalancer.closeWindow(indexAddress)).wait();
    await expectRevert(rebalancer.openWindow(indexAddress), rebalancer, 'EnforcedPause');
    expect(await fx.issuer.isRebalancing(indexAddress)).toBe(false);
  });

  it('refuses to settle when the issuer flag was cleared behind its back', async () => {
    await (await rebalancer.openWindow(indexAddress)).wait();
    await (await fx.issuer.setRebalancing(indexAddress, false)).wait();
    const p = await plannedRebalance();
    await expectRevert(rebalancer.settle(p.order, p.makerSignature, p.prices, p.priceSignature), rebalancer, 'IndexNotRebalancing', [indexAddress]);
  });

  it('sets the tokenset of an index without supply directly, and only of one without supply', async () => {
    const emptyAddress = await createIndex(fx.indexFactory, {
      name: 'Empty',
      symbol: 'EMPTY.ssi',
      constituents: [{ asset: allAssets[1], unitAmount: 5n }],
      config: fx.config,
      feeRatePpm: 1_000,
    });
    const empty = await hre.ethers.getContractAt('IndexToken', emptyAddress);
    await (await rebalancer.openWindow(emptyAddress)).wait();
    const order = await rebalanceOrder(hre, fx, [], [{ asset: allAssets[2], amount: 1n }], { index: emptyAddress });
    const attestation = await priceAttestation(hre, fx, prices, { index: emptyAddress });
    await expectRevert(
      rebalancer.settle(order, await signRebalance(fx.pmm, domain, order), attestation, await signPrices(fx.admin, domain, attestation)),
      rebalancer,
      'IndexHasNoSupply',
      [emptyAddress],
    );
    const target = [allAssets[2], allAssets[7]].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    const receipt = await (await rebalancer.resetTokenset(emptyAddress, target, [7n, 9n])).wait();
    expect(receipt.logs.some((l: { address: string }) => l.address === rebalancer.target)).toBe(true);
    expect([...(await empty.tokenset())[0]]).toEqual(target);
    expect([...(await empty.tokenset())[1]]).toEqual([7n, 9n]);
    await (await rebalancer.closeWindow(emptyAddress)).wait();

    await (await rebalancer.openWindow(indexAddress)).wait();
    const supply = await fx.index.totalSupply();
    await expectRevert(rebalancer.resetTokenset(indexAddress, target, [7n, 9n]), rebalancer, 'IndexHasSupply', [indexAddress, supply]);
  });

  it('keeps its settings within hard caps, changed only by the admin', async () => {
    await expectRevert(rebalancer.setTolerance(501), rebalancer, 'ToleranceTooHigh', [501, 500]);
    await expectRevert(rebalancer.setMaxWindowDuration(0), rebalancer, 'InvalidWindowDuration', [0, 7 * 86_400]);
    await expectRevert(rebalancer.setMaxWindowDuration(7 * 86_400 + 1), rebalancer, 'InvalidWindowDuration', [7 * 86_400 + 1, 7 * 86_400]);
    await expectRevert(as(rebalancer, fx.outsider).setTolerance(10), rebalancer, 'AccessControlUnauthorizedAccount');
    await (await rebalancer.setTolerance(250)).wait();
    await (await rebalancer.setMaxWindowDuration(3600)).wait();
    expect(await rebalancer.toleranceBps()).toBe(250n);
    expect(await rebalancer.maxWindowDuration()).toBe(3600n);
    const domainOnChain = await rebalancer.eip712Domain();
    expect(domainOnChain.name).toBe(domain.name);
    expect(domainOnChain.version).toBe(domain.version);
    expect(domainOnChain.verifyingContract).toBe(domain.verifyingContract);
  });

  it('accepts an ERC-1271 contract maker', async () => {
    const contractMaker = (await (await hre.ethers.getContractFactory('MockContractMaker', fx.admin)).deploy(await fx.pmm.getAddress())) as unknown as Contract;
    const makerAddress = await contractMaker.getAddress();
    await (await rebalancer.grantRole(await rebalancer.MAKER_ROLE(), makerAddress)).wait();
    await (await newcomer.mint(makerAddress, 10n ** 30n)).wait();
    await (await as(contractMaker, fx.pmm).approve(await newcomer.getAddress(), await rebalancer.getAddress(), 10n ** 30n)).wait();
    await (await rebalancer.openWindow(indexAddress)).wait();
    const order = await smallTrade({ maker: makerAddress });
    const attestation = await priceAttestation(hre, fx, prices);
    await (await rebalancer.settle(order, await signRebalance(fx.pmm, domain, order), attestation, await signPrices(fx.admin, domain, attestation))).wait();
    expect(await newcomer.balanceOf(await fx.custodyVault.getAddress())).toBe(order.buyAmounts[0]);
  });

  it('validates as an upgrade of itself (storage layout)', async () => {
    await hre.upgrades.validateUpgrade(await rebalancer.getAddress(), await hre.ethers.getContractFactory('Rebalancer'), { kind: 'uups' });
    await expectRevert(rebalancer.initialize(await fx.admin.getAddress(), await fx.issuer.getAddress(), 1, 1), rebalancer, 'InvalidInitialization');
    expect(await send(hre, 'eth_chainId')).toBe('0x7a69');
  });
});
