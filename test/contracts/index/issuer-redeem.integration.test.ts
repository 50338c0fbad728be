import hre from 'hardhat';
import type { Contract } from 'ethers';
import { expectRevert } from '../../helpers/revert';
import { ONE, as, balances, deployIndexFixture, increaseTime, quote, sign, useSnapshots, type IndexFixture } from '../../helpers/index-protocol';
import { basketFor, feeFor, Side, type QuoteOrder } from '../../../lambdas/domain/orders';

describe('Issuer atomic redeem', () => {
  let fx: IndexFixture;
  let issuer: Contract;
  const minted = 40n * ONE + 987_654_321n;

  beforeAll(async () => {
    fx = await deployIndexFixture(hre, { assetCount: 3, issueFeeBps: 30, redeemFeeBps: 20 });
    issuer = fx.issuer;
    const order = await quote(fx, { side: Side.Mint, indexAmount: minted });
    await (await as(issuer, fx.wlp).mint(order, await sign(fx.pmm, order, fx.domain), 30)).wait();
  });
  useSnapshots(hre);

  async function redeemOrder(fields: Partial<QuoteOrder> = {}): Promise<QuoteOrder> {
    return quote(fx, { side: Side.Redeem, indexAmount: 3n * ONE + 333_333_333_333n, cashAmount: 700n * 10n ** 6n, ...fields });
  }

  async function submit(order: QuoteOrder, options: { signature?: string; maxFeeBps?: number; caller?: typeof fx.wlp } = {}) {
    const signature = options.signature ?? (await sign(fx.pmm, order, fx.domain));
    return as(issuer, options.caller ?? fx.wlp).redeem(order, signature, options.maxFeeBps ?? 20);
  }

  it('burns the index tokens, pays the WLP the cash minus the fee and releases the underlying to the PMM', async () => {
    const order = await redeemOrder();
    const fee = feeFor(order.cashAmount, 20);
    const vault = await fx.custodyVault.getAddress();
    const underlyingBefore = await Promise.all(order.assets.map(async (a) => balances(await hre.ethers.getContractAt('TestToken', a) as unknown as Contract, [fx.pmm, vault])));
    const [wlpCash, pmmCash, feeCash] = await balances(fx.usdc, [fx.wlp, fx.pmm, fx.feeVault]);
    const supply = await fx.index.totalSupply();

    const receipt = await (await submit(order)).wait();

    for (let i = 0; i < order.assets.length; i++) {
      const token = (await hre.ethers.getContractAt('TestToken', order.assets[i])) as unknown as Contract;
      expect(await balances(token, [fx.pmm, vault])).toEqual([underlyingBefore[i][0] + order.amounts[i], underlyingBefore[i][1] - order.amounts[i]]);
    }
    expect(await balances(fx.usdc, [fx.wlp, fx.pmm, fx.feeVault])).toEqual([
      wlpCash + order.cashAmount - fee,
      pmmCash - order.cashAmount,
      feeCash + fee,
    ]);
    expect(await fx.index.totalSupply()).toBe(supply - order.indexAmount);
    expect(await fx.index.balanceOf(await fx.wlp.getAddress())).toBe(minted - order.indexAmount);
    const names = receipt.logs.map((l: { topics: string[]; data: string }) => issuer.interface.parseLog(l)?.name);
    expect(names).toContain('Redeemed');
    const released = receipt.logs.map((l: { topics: string[]; data: string }) => fx.custodyVault.interface.parseLog(l)).find((e: { name: string } | null) => e?.name === 'Released');
    expect([...released.args.amounts]).toEqual(order.amounts);
  });

  it('rounds redeem legs down, so custody never releases more than the tokens burned stand for', async () => {
    const order = await redeemOrder({ indexAmount: ONE / 100n + 1n });
    for (let i = 0; i < order.amounts.length; i++) {
      expect(order.amounts[i] * ONE).toBeLessThanOrEqual(order.indexAmount * fx.tokenset.unitAmounts[i]);
    }
    const roundedUp = basketFor(fx.tokenset, order.indexAmount, Side.Mint).amounts;
    await expectRevert(submit({ ...order, amounts: roundedUp }), issuer, 'BasketMismatch', [0, order.assets[0], order.amounts[0]]);
  });

  it('redeems the whole supply and leaves only the rounding dust (the protocol keeps it) in custody', async () => {
    const order = await redeemOrder({ indexAmount: minted });
    await (await submit(order)).wait();
    expect(await fx.index.totalSupply()).toBe(0n);
    const [assets, owed] = await fx.index.basket();
    expect([...owed]).toEqual(fx.tokenset.assets.map(() => 0n));
    const delivered = basketFor(fx.tokenset, minted, Side.Mint).amounts;
    const dust = delivered.map((d, i) => d - order.amounts[i]);
    expect([...(await fx.custodyVault.balancesOf([...assets]))]).toEqual(dust);
    expect(dust.some((d) => d > 0n)).toBe(true);
  });

  it('reverts when the WLP holds fewer index tokens than the order redeems', async () => {
    const order = await redeemOrder({ indexAmount: minted + 1n });
    await expectRevert(async () => submit(order), fx.index, 'ERC20InsufficientBalance', [await fx.wlp.getAddress(), minted, minted + 1n]);
  });

  it('reverts a redeem fee above the maximum the WLP accepts', async () => {
    await expectRevert(submit(await redeemOrder(), { maxFeeBps: 19 }), issuer, 'FeeAboveMax', [20, 19]);
  });

  it('reverts once the deadline has passed', async () => {
    const order = await redeemOrder();
    await increaseTime(hre, 601);
    await expectRevert(submit(order), issuer, 'OrderExpired');
  });

  it('reverts an amount below the index minimum', async () => {
    const order = await redeemOrder({ indexAmount: fx.config.minAmount - 1n });
    await expectRevert(submit(order), issuer, 'AmountOutOfRange', [order.indexAmount, fx.config.minAmount, fx.config.maxAmount]);
  });

  it('reverts a mint order submitted to redeem', async () => {
    const order = await quote(fx, { side: Side.Mint, indexAmount: ONE });
    await expectRevert(submit(order), issuer, 'WrongSide', [Side.Redeem, Side.Mint]);
  });

  it('reverts while the index is rebalancing', async () => {
    await (await issuer.setRebalancing(await fx.index.getAddress(), true)).wait();
    await expectRevert(async () => submit(await redeemOrder()), issuer, 'IndexRebalancing', [await fx.index.getAddress()]);
  });

  it('reverts while the issuer is paused', async () => {
    await (await issuer.pause()).wait();
    await expectRevert(submit(await redeemOrder()), issuer, 'EnforcedPause');
  });

  it('reverts while the custody vault is paused', async () => {
    await (await fx.custodyVault.pause()).wait();
    await expectRevert(submit(await redeemOrder()), fx.custodyVault, 'EnforcedPause');
  });

  it('reverts a reused nonce', async () => {
    const order = await redeemOrder();
    await (await submit(order)).wait();
    await expectRevert(submit(await redeemOrder({ nonce: order.nonce })), issuer, 'NonceAlreadyUsed', [order.maker, order.nonce]);
  });

  it('reverts a signature by someone other than the maker', async () => {
    const order = await redeemOrder();
    await expectRevert(submit(order, { signature: await sign(fx.wlp2, order, fx.domain) }), issuer, 'InvalidSignature', [order.maker]);
  });

  it('reverts when the caller is not a participant', async () => {
    const order = await redeemOrder({ requester: await fx.outsider.getAddress() });
    await expectRevert(submit(order, { caller: fx.outsider }), issuer, 'AccessControlUnauthorizedAccount');
  });

  it('lets only the issuer release from custody', async () => {
    const releaserRole = await fx.custodyVault.RELEASER_ROLE();
    await expectRevert(
      async () => as(fx.custodyVault, fx.pmm).release(await fx.index.getAddress(), await fx.pmm.getAddress(), [], []),
      fx.custodyVault,
      'AccessControlUnauthorizedAccount',
      [await fx.pmm.getAddress(), releaserRole],
    );
  });
});
