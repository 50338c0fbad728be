import hre from 'hardhat';
import type { Contract, TypedDataDomain } from 'ethers';
import { expectRevert } from '../../helpers/revert';
import { ONE, as, deployIndexFixture, increaseTime, now, useSnapshots, type IndexFixture } from '../../helpers/index-protocol';
import {
  enableRebalanceMaker,
  feeAwareQuote,
  freshNonce,
  priceAttestation,
  rebalanceDomain,
  rebalanceOrder,
  signFeeSale,
  signPrices,
  signRebalance,
} from '../../helpers/rebalance';
import { QUOTE_ORDER_TYPES, Side } from '../../../lambdas/domain/orders';
import { hashFeeSaleOrder, legsValue, type FeeSaleOrder, type PriceAttestation } from '../../../lambdas/domain/rebalance-orders';

const DAY = 86_400n;

describe('Fee sales', () => {
  let fx: IndexFixture;
  let rebalancer: Contract;
  let domain: TypedDataDomain;
  let indexAddress: string;
  let feeVault: string;

  type SignedFeeSale = { order: FeeSaleOrder; signature: string; prices: PriceAttestation; priceSignature: string };

  /**
   * A fee sale of `amounts` of `assets` (ascending) for `cashAmount` USDC, signed by the PMM, with
   * prices attested by the price attester: USDC at $1 and each fee asset at `assetPrice` (USD per
   * whole token, 18 decimals; by default next to nothing, so any cash clears the bound).
   */
  async function feeSale(assets: string[], amounts: bigint[], fields: Partial<FeeSaleOrder> = {}, assetPrice = 1n): Promise<SignedFeeSale> {
    const order: FeeSaleOrder = {
      index: indexAddress,
      assets,
      amounts,
      cashToken: await fx.usdc.getAddress(),
      cashAmount: 123_456_789n,
      maker: await fx.pmm.getAddress(),
      deadline: (await now(hre)) + 600n,
      nonce: freshNonce(),
      ...fields,
    };
    const priced = new Map<string, bigint>([[await fx.usdc.getAddress(), 10n ** 18n], ...fx.tokenset.assets.map((asset) => [asset, assetPrice] as [string, bigint])]);
    const prices = await priceAttestation(hre, fx, priced, { index: order.index });
    return { order, signature: await signFeeSale(fx.pmm, domain, order), prices, priceSignature: await signPrices(fx.admin, domain, prices) };
  }

  const args = (sale: SignedFeeSale) => [sale.order, sale.signature, sale.prices, sale.priceSignature] as const;

  /** The fee basket at the latest block; it only grows until a sale, so a sale may take this much. */
  async function feeBasket(): Promise<{ assets: string[]; amounts: bigint[] }> {
    const [assets, amounts] = (await fx.index.feeBasket()) as [string[], bigint[]];
    return { assets: [...assets], amounts: [...amounts] };
  }

  beforeAll(async () => {
    fx = await deployIndexFixture(hre, { assetCount: 3, feeRatePpm: 20_000, maxFeeRatePpm: 20_000 });
    rebalancer = fx.rebalancer;
    indexAddress = await fx.index.getAddress();
    feeVault = await fx.feeVault.getAddress();
    domain = await rebalanceDomain(hre, fx);
    await enableRebalanceMaker(fx, fx.assets, 0n);
    const order = await feeAwareQuote(hre, fx, fx.index, { side: Side.Mint, indexAmount: 200n * ONE, nonce: freshNonce(), requester: await fx.wlp.getAddress() });
    await (await as(fx.issuer, fx.wlp).mint(order, await fx.pmm.signTypedData(fx.domain, QUOTE_ORDER_TYPES, order), 30)).wait();
    await increaseTime(hre, 180n * DAY);
    await (await fx.index.accrueFee()).wait();
  });
  useSnapshots(hre);

  it('sells fee assets to a PMM for cash paid to the fee vault, never touching the basket', async () => {
    const fee = await feeBasket();
    expect(fee.assets).toEqual(fx.tokenset.assets);
    // Half of every fee asset: what has accrued by the time of the sale stays, and so does the basket.
    const amounts = fee.amounts.map((a) => a / 2n);
    const sale = await feeSale(fee.assets, amounts);
    const { order } = sale;
    const [, basketBefore] = (await fx.index.basket()) as [string[], bigint[]];
    const vaultBefore = [...((await fx.custodyVault.balancesOf(fee.assets)) as bigint[])];
    const cashBefore = await fx.usdc.balanceOf(feeVault);
    const hash = await rebalancer.sellFee.staticCall(...args(sale));

    const receipt = await (await rebalancer.sellFee(...args(sale))).wait();

    const vaultAfter = [...((await fx.custodyVault.balancesOf(fee.assets)) as bigint[])];
    vaultAfter.forEach((b, i) => expect(vaultBefore[i] - b).toBe(amounts[i]));
    expect((await fx.usdc.balanceOf(feeVault)) - cashBefore).toBe(order.cashAmount);
    const sold = rebalancer.interface.parseLog(receipt.logs.find((l: { address: string }) => l.address === rebalancer.target)!);
    expect(sold?.name).toBe('FeeSold');
    expect(sold?.args.orderHash).toBe(hash);
    expect(sold?.args.feeVault).toBe(feeVault);
    expect([...sold!.args.amounts]).toEqual(amounts);
    // The basket only moved by the second of fee accrued since; the fee basket kept the rest.
    const [, basketAfter] = (await fx.index.basket({ blockTag: receipt.blockNumber })) as [string[], bigint[]];
    const [, feeAfter] = (await fx.index.feeBasket({ blockTag: receipt.blockNumber })) as [string[], bigint[]];
    basketAfter.forEach((b, i) => {
      expect(b <= basketBefore[i]).toBe(true);
      expect(feeAfter[i] >= fee.amounts[i] - amounts[i]).toBe(true);
      expect(vaultAfter[i] >= b + feeAfter[i]).toBe(true);
    });
    expect(await rebalancer.isNonceUsed(order.maker, order.nonce)).toBe(true);
  });

  it('never sells beyond the fee basket into the holders\' basket', async () => {
    const fee = await feeBasket();
    const [, basket] = (await fx.index.basket()) as [string[], bigint[]];
    const greedy = await feeSale([fee.assets[0]], [fee.amounts[0] + basket[0] / 2n]);
    await expectRevert(rebalancer.sellFee(...args(greedy)), rebalancer, 'FeeBasketExceeded');
    const everything = await feeSale([fee.assets[1]], [fee.amounts[1] * 2n]);
    await expectRevert(rebalancer.sellFee.staticCall(...args(everything)), rebalancer, 'FeeBasketExceeded');
  });

  it('sells the fee left in a constituent that a rebalance dropped', async () => {
    const newcomer = (await (await hre.ethers.getContractFactory('TestToken', fx.admin)).deploy('Newcomer', 'NEW', 18)) as unknown as Contract;
    await enableRebalanceMaker(fx, [newcomer], 10n ** 30n);
    const prices = new Map<string, bigint>();
    const decimals = new Map<string, number>();
    for (const [i, token] of [...fx.assets, newcomer].entries()) {
      const address = (await token.getAddress()).toLowerCase();
      prices.set(address, BigInt(i + 1) * 10n ** 18n);
      decimals.set(address, Number(await token.decimals()));
    }
    await (await rebalancer.openWindow(indexAddress)).wait();
    const [assets, amounts] = (await fx.index.basket()) as [string[], bigint[]];
    const dropped = assets[0];
    const value = legsValue([dropped], [amounts[0]], prices, decimals);
    const newcomerAddress = await newcomer.getAddress();
    const order = await rebalanceOrder(hre, fx, [{ asset: dropped, amount: amounts[0] }], [{ asset: newcomerAddress, amount: (value * 10n ** 18n) / prices.get(newcomerAddress.toLowerCase())! }]);
    const attestation = await priceAttestation(hre, fx, prices);
    await (await rebalancer.settle(order, await signRebalance(fx.pmm, domain, order), attestation, await signPrices(fx.admin, domain, attestation))).wait();
    await (await rebalancer.closeWindow(indexAddress)).wait();
    expect([...(await fx.index.tokenset())[0]]).not.toContain(dropped);

    const fee = await feeBasket();
    const i = fee.assets.indexOf(dropped);
    expect(i).toBeGreaterThanOrEqual(0);
    const vaultBefore = (await fx.custodyVault.balancesOf([dropped]))[0] as bigint;
    expect(vaultBefore >= fee.amounts[i]).toBe(true);
    await (await rebalancer.sellFee(...args(await feeSale([dropped], [fee.amounts[i]])))).wait();
    expect(((await fx.custodyVault.balancesOf([dropped]))[0] as bigint)).toBe(vaultBefore - fee.amounts[i]);
    expect([...(await fx.index.feeBasket())[0]]).not.toContain(dropped);
  });

  it('checks expiry, index, cash token, legs, nonce, maker and signature, and lets only operators sell', async () => {
    const fee = await feeBasket();
    const legs = { assets: [fee.assets[0]], amounts: [fee.amounts[0] / 10n] };
    const t = await now(hre);
    const expired = await feeSale(legs.assets, legs.amounts, { deadline: t - 1n });
    await expectRevert(rebalancer.sellFee.staticCall(...args(expired)), rebalancer, 'OrderExpired');
    const unknown = await feeSale(legs.assets, legs.amounts, { index: await fx.usdc.getAddress() });
    await expectRevert(async () => rebalancer.sellFee.staticCall(...args(unknown)), rebalancer, 'UnknownIndex', [await fx.usdc.getAddress()]);
    const badCash = await feeSale(legs.assets, legs.amounts, { cashToken: fee.assets[1] });
    await expectRevert(rebalancer.sellFee.staticCall(...args(badCash)), rebalancer, 'CashTokenNotAllowed', [fee.assets[1]]);
    const empty = await feeSale([], []);
    await expectRevert(rebalancer.sellFee.staticCall(...args(empty)), rebalancer, 'EmptyOrder');
    const unsorted = await feeSale([fee.assets[1], fee.assets[0]], [1n, 1n]);
    await expectRevert(rebalancer.sellFee.staticCall(...args(unsorted)), rebalancer, 'AssetsNotSorted', [1, fee.assets[0]]);
    const zero = await feeSale(legs.assets, [0n]);
    await expectRevert(rebalancer.sellFee.staticCall(...args(zero)), rebalancer, 'ZeroLegAmount', [0]);
    const good = await feeSale(legs.assets, legs.amounts);
    const forged = await signFeeSale(fx.outsider, domain, good.order);
    await expectRevert(rebalancer.sellFee.staticCall(good.order, forged, good.prices, good.priceSignature), rebalancer, 'InvalidSignature', [good.order.maker]);
    const byOutsider = { ...good.order, maker: await fx.outsider.getAddress() };
    await expectRevert(rebalancer.sellFee.staticCall(byOutsider, await signFeeSale(fx.outsider, domain, byOutsider), good.prices, good.priceSignature), rebalancer, 'NotMaker', [byOutsider.maker]);
    await expectRevert(async () => as(rebalancer, fx.outsider).sellFee(...args(good)), rebalancer, 'AccessControlUnauthorizedAccount', [
      await fx.outsider.getAddress(),
      await rebalancer.OPERATOR_ROLE(),
    ]);
    await (await rebalancer.pause()).wait();
    await expectRevert(rebalancer.sellFee(...args(good)), rebalancer, 'EnforcedPause');
    await (await rebalancer.unpause()).wait();

    await (await rebalancer.sellFee(...args(good))).wait();
    await expectRevert(rebalancer.sellFee(...args(good)), rebalancer, 'NonceAlreadyUsed', [good.order.maker, good.order.nonce]);
    expect(await rebalancer.hashFeeSaleOrder(good.order)).toBe(hashFeeSaleOrder(domain, good.order));
  });

  it('refuses a fee sale whose cash is below the attested value of the fee assets less the tolerance (issue 19 item 2: sellFee accepted any cash)', async () => {
    const fee = await feeBasket();
    const legs = { assets: [fee.assets[0]], amounts: [fee.amounts[0] / 10n] };
    const decimals = Number(await (await hre.ethers.getContractAt('TestToken', fee.assets[0])).decimals());
    // Price the legs at $1,000 of cash exactly: the tolerance lets the cash fall short by at most toleranceBps.
    const price = (1_000n * 10n ** 18n * 10n ** BigInt(decimals)) / legs.amounts[0];
    const tolerance = (await rebalancer.toleranceBps()) as bigint;
    const value = (legs.amounts[0] * price) / 10n ** BigInt(decimals);
    const minValue = (value * (10_000n - tolerance)) / 10_000n;
    const minCash = (minValue + 10n ** 12n - 1n) / 10n ** 12n;
    const cheap = await feeSale(legs.assets, legs.amounts, { cashAmount: minCash - 1n }, price);
    await expectRevert(async () => rebalancer.sellFee(...args(cheap)), rebalancer, 'FeeSaleBelowPrice', [(minCash - 1n) * 10n ** 12n, minValue]);
    await (await rebalancer.sellFee(...args(await feeSale(legs.assets, legs.amounts, { cashAmount: minCash }, price)))).wait();
  });

  it('refuses fee-sale prices signed by an operator that is not a price attester', async () => {
    const fee = await feeBasket();
    const sale = await feeSale([fee.assets[0]], [fee.amounts[0] / 10n]);
    await (await rebalancer.grantRole(await rebalancer.OPERATOR_ROLE(), await fx.outsider.getAddress())).wait();
    const byOperator = await signPrices(fx.outsider, domain, sale.prices);
    await expectRevert(async () => rebalancer.sellFee(sale.order, sale.signature, sale.prices, byOperator), rebalancer, 'PriceSignerNotAttester', [await fx.outsider.getAddress()]);
  });
});
