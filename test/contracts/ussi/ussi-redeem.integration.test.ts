import hre from 'hardhat';
import { expectRevert } from '../../helpers/revert';
import { eventArgs } from '../../helpers/staking';
import {
  E18,
  TEST_SETTINGS,
  USDC,
  apply,
  as,
  deployUssiFixture,
  hedgeOrder,
  increaseTime,
  mintUssi,
  now,
  signOrder,
  useSnapshots,
  type UssiFixture,
} from '../../helpers/ussi';
import { AssetKind, HedgeSide, PRICE_ONE, RequestStatus, checkTolerance } from '../../../lambdas/domain/ussi-orders';

describe('USSI redeem: apply, confirm from float or off-chain, reject, cancel', () => {
  let fx: UssiFixture;
  let ussiAddress: string;
  let wlp: string;
  let minted: bigint;
  const PAYOUT_TX = '0x5f1d2c3b4a5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff0';

  beforeAll(async () => {
    fx = await deployUssiFixture(hre);
    ussiAddress = await fx.ussi.getAddress();
    wlp = await fx.wlp.getAddress();
    minted = await mintUssi(hre, fx, USDC(50_000n));
  });
  useSnapshots(hre);

  /** Tops up the contract's USDC float, as the hedge desk does before paying redeems on-chain. */
  async function fundFloat(amount: bigint): Promise<void> {
    await (await fx.usdc.mint(ussiAddress, amount)).wait();
  }

  it('escrows the USSI on apply, with no allowance, and records the request', async () => {
    const order = await hedgeOrder(hre, fx, HedgeSide.Redeem, 1_000n * E18);
    const [nav] = await fx.ussi.nav();

    const event = await eventArgs(as(fx.ussi, fx.wlp).applyRedeem(order, await signOrder(fx, order)), fx.ussi, 'RedeemApplied');

    expect(event).toMatchObject({
      id: 2n,
      orderHash: await fx.ussi.hashOrder(order),
      requester: wlp,
      asset: order.asset,
      assetAmount: order.assetAmount,
      assetPrice: PRICE_ONE,
      ussiAmount: 1_000n * E18,
      nav,
      expiresAt: (await now(hre)) + BigInt(TEST_SETTINGS.requestTimeout),
    });
    expect(await fx.ussi.balanceOf(wlp)).toBe(minted - 1_000n * E18);
    expect(await fx.ussi.balanceOf(ussiAddress)).toBe(1_000n * E18);
    expect(await fx.ussi.pending(ussiAddress)).toBe(1_000n * E18);
    expect(await fx.ussi.allowance(wlp, ussiAddress)).toBe(0n);
    // 1,000 USSI at NAV 1.023456789 is 1,023.456789 USDC.
    expect(order.assetAmount).toBe(1_023_456_789n);
  });

  it('confirming from the float burns the escrowed USSI and pays the USDC to the requester', async () => {
    const order = await hedgeOrder(hre, fx, HedgeSide.Redeem, 1_000n * E18);
    const id = await apply(fx, order);
    await fundFloat(USDC(5_000n));
    const supply = await fx.ussi.totalSupply();
    const cash = await fx.usdc.balanceOf(wlp);

    const event = await eventArgs(as(fx.ussi, fx.operator).confirmRedeem(id, hre.ethers.ZeroHash), fx.ussi, 'RedeemConfirmed');

    expect(event).toMatchObject({ id, requester: wlp, asset: order.asset, assetAmount: order.assetAmount, ussiAmount: order.ussiAmount, payoutTxHash: hre.ethers.ZeroHash });
    expect(await fx.usdc.balanceOf(wlp)).toBe(cash + order.assetAmount);
    expect(await fx.usdc.balanceOf(ussiAddress)).toBe(USDC(5_000n) - order.assetAmount);
    expect(await fx.ussi.totalSupply()).toBe(supply - order.ussiAmount);
    expect(await fx.ussi.balanceOf(ussiAddress)).toBe(0n);
    expect(await fx.ussi.pending(ussiAddress)).toBe(0n);
    expect((await fx.ussi.getRequest(id)).status).toBe(BigInt(RequestStatus.Confirmed));
  });

  it('confirming with a payout transaction hash records it, burns the USSI and moves no stablecoin', async () => {
    const order = await hedgeOrder(hre, fx, HedgeSide.Redeem, 2_000n * E18);
    const id = await apply(fx, order);
    const supply = await fx.ussi.totalSupply();
    const cash = await fx.usdc.balanceOf(wlp);

    const event = await eventArgs(as(fx.ussi, fx.operator).confirmRedeem(id, PAYOUT_TX), fx.ussi, 'RedeemConfirmed');

    expect(event.payoutTxHash).toBe(PAYOUT_TX);
    expect(await fx.usdc.balanceOf(wlp)).toBe(cash);
    expect(await fx.ussi.totalSupply()).toBe(supply - order.ussiAmount);
    expect(await fx.ussi.pending(ussiAddress)).toBe(0n);
  });

  it('refuses to pay from a float that is short, and pending mint escrow does not count as float', async () => {
    const redeem = await hedgeOrder(hre, fx, HedgeSide.Redeem, 1_000n * E18);
    const id = await apply(fx, redeem);
    // A pending mint puts 5,000 USDC in the contract, but it belongs to that request.
    await apply(fx, await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(5_000n), { requester: await fx.wlp2.getAddress() }), fx.wlp2);
    await fundFloat(redeem.assetAmount - 1n);
    expect(await fx.ussi.floatOf(redeem.asset)).toBe(redeem.assetAmount - 1n);

    await expectRevert(as(fx.ussi, fx.operator).confirmRedeem(id, hre.ethers.ZeroHash), fx.ussi, 'InsufficientFloat', [
      redeem.asset,
      redeem.assetAmount - 1n,
      redeem.assetAmount,
    ]);

    await fundFloat(1n);
    await (await as(fx.ussi, fx.operator).confirmRedeem(id, hre.ethers.ZeroHash)).wait();
    expect(await fx.ussi.floatOf(redeem.asset)).toBe(0n);
    expect(await fx.usdc.balanceOf(ussiAddress)).toBe(USDC(5_000n));
  });

  it('the operator rejects a redeem and the requester gets the USSI back', async () => {
    const order = await hedgeOrder(hre, fx, HedgeSide.Redeem, 300n * E18);
    const id = await apply(fx, order);

    const event = await eventArgs(as(fx.ussi, fx.operator).rejectRedeem(id), fx.ussi, 'RedeemRejected');

    expect(event).toMatchObject({ id, requester: wlp, ussiAmount: 300n * E18 });
    expect(await fx.ussi.balanceOf(wlp)).toBe(minted);
    expect(await fx.ussi.pending(ussiAddress)).toBe(0n);
    expect((await fx.ussi.getRequest(id)).status).toBe(BigInt(RequestStatus.Rejected));
  });

  it('the requester cancels an unconfirmed redeem after the timeout and gets the USSI back', async () => {
    const order = await hedgeOrder(hre, fx, HedgeSide.Redeem, 400n * E18);
    const id = await apply(fx, order);
    await expectRevert(as(fx.ussi, fx.wlp).cancel(id), fx.ussi, 'RequestNotExpired');
    await increaseTime(hre, TEST_SETTINGS.requestTimeout);
    await expectRevert(as(fx.ussi, fx.operator).confirmRedeem(id, PAYOUT_TX), fx.ussi, 'RequestExpired');

    const event = await eventArgs(as(fx.ussi, fx.wlp).cancel(id), fx.ussi, 'RequestCancelled');

    expect(event).toMatchObject({ id, requester: wlp, side: BigInt(HedgeSide.Redeem), token: ussiAddress, amount: 400n * E18 });
    expect(await fx.ussi.balanceOf(wlp)).toBe(minted);
    expect(await fx.ussi.pending(ussiAddress)).toBe(0n);
  });

  it('refuses to redeem for an index token: redeems pay stablecoins only', async () => {
    const order = await hedgeOrder(hre, fx, HedgeSide.Redeem, 10n * E18, { asset: fx.assets.index.address, assetPrice: PRICE_ONE });
    await expectRevert(as(fx.ussi, fx.wlp).applyRedeem(order, await signOrder(fx, order)), fx.ussi, 'AssetNotSupported', [
      order.asset,
      AssetKind.IndexToken,
    ]);
  });

  it('refuses to escrow more USSI than the requester holds', async () => {
    const order = await hedgeOrder(hre, fx, HedgeSide.Redeem, minted + 1n);
    await expectRevert(as(fx.ussi, fx.wlp).applyRedeem(order, await signOrder(fx, order)), fx.ussi, 'ERC20InsufficientBalance', [
      wlp,
      minted,
      minted + 1n,
    ]);
  });

  it('refuses a redeem out of tolerance against the current NAV', async () => {
    const order = await hedgeOrder(hre, fx, HedgeSide.Redeem, 1_000n * E18);
    const greedy = { ...order, assetAmount: (order.assetAmount * 10_051n) / 10_000n };
    const [nav] = await fx.ussi.nav();
    const check = checkTolerance(greedy, 6, nav, TEST_SETTINGS.toleranceBps);
    await expectRevert(as(fx.ussi, fx.wlp).applyRedeem(greedy, await signOrder(fx, greedy)), fx.ussi, 'OutOfTolerance', [
      check.ussiValue,
      check.assetValue,
      TEST_SETTINGS.toleranceBps,
    ]);
  });

  it('a redeem applied before a NAV update settles at the amounts it was applied with', async () => {
    const order = await hedgeOrder(hre, fx, HedgeSide.Redeem, 1_000n * E18);
    const id = await apply(fx, order);
    const [nav] = await fx.ussi.nav();
    await increaseTime(hre, TEST_SETTINGS.minNavInterval);
    await (await as(fx.ussi, fx.operator).publishNav((nav * 10_100n) / 10_000n)).wait();
    await fundFloat(USDC(2_000n));
    const cash = await fx.usdc.balanceOf(wlp);

    await (await as(fx.ussi, fx.operator).confirmRedeem(id, hre.ethers.ZeroHash)).wait();

    expect(await fx.usdc.balanceOf(wlp)).toBe(cash + order.assetAmount);
  });

  it('a mint request cannot be confirmed as a redeem nor the reverse; only the operator settles redeems', async () => {
    const id = await apply(fx, await hedgeOrder(hre, fx, HedgeSide.Redeem, E18));
    await expectRevert(as(fx.ussi, fx.operator).confirmMint(id), fx.ussi, 'WrongSide', [HedgeSide.Mint, HedgeSide.Redeem]);
    await expectRevert(async () => as(fx.ussi, fx.wlp).confirmRedeem(id, PAYOUT_TX), fx.ussi, 'AccessControlUnauthorizedAccount', [
      wlp,
      await fx.ussi.OPERATOR_ROLE(),
    ]);
    await expectRevert(as(fx.ussi, fx.wlp).rejectRedeem(id), fx.ussi, 'AccessControlUnauthorizedAccount');
    await (await as(fx.ussi, fx.operator).confirmRedeem(id, PAYOUT_TX)).wait();
    await expectRevert(as(fx.ussi, fx.operator).confirmRedeem(id, PAYOUT_TX), fx.ussi, 'RequestNotPending', [hre.ethers.toBeHex(id, 32), RequestStatus.Confirmed]);
  });

  it('refuses redeem applications and confirmations while paused, but rejects and cancels go through', async () => {
    const order = await hedgeOrder(hre, fx, HedgeSide.Redeem, E18);
    const first = await apply(fx, order);
    const second = await apply(fx, await hedgeOrder(hre, fx, HedgeSide.Redeem, E18));
    await (await fx.ussi.pause()).wait();
    const next = await hedgeOrder(hre, fx, HedgeSide.Redeem, E18);
    await expectRevert(as(fx.ussi, fx.wlp).applyRedeem(next, await signOrder(fx, next)), fx.ussi, 'EnforcedPause', []);
    await expectRevert(as(fx.ussi, fx.operator).confirmRedeem(first, PAYOUT_TX), fx.ussi, 'EnforcedPause', []);
    await (await as(fx.ussi, fx.operator).rejectRedeem(first)).wait();
    await increaseTime(hre, TEST_SETTINGS.requestTimeout);
    await (await as(fx.ussi, fx.wlp).cancel(second)).wait();
    expect(await fx.ussi.balanceOf(wlp)).toBe(minted);
  });
});
