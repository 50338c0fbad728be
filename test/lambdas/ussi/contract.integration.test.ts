import hre from 'hardhat';
import { readNavState, readQuoteContext, ussiContract } from '../../../lambdas/ussi/contract';
import { AssetKind, HedgeSide, quoteHedgeOrder } from '../../../lambdas/domain/ussi-orders';
import { planNavUpdate } from '../../../lambdas/domain/ussi-nav';
import { INITIAL_NAV, TEST_SETTINGS, USDC, as, deployUssiFixture, increaseTime, now, signOrder, type UssiFixture } from '../../helpers/ussi';

describe('USSI as off-chain code reads it', () => {
  let fx: UssiFixture;

  beforeAll(async () => {
    fx = await deployUssiFixture(hre);
  });

  it('reads the NAV state, supply and chain time a scheduled NAV update plans with', async () => {
    const ussi = ussiContract(await fx.ussi.getAddress(), hre.ethers.provider);
    const state = await readNavState(ussi);
    const [, updatedAt] = await fx.ussi.nav();
    expect(state).toEqual({
      onChain: { nav: INITIAL_NAV, updatedAt, maxNavMoveBps: TEST_SETTINGS.maxNavMoveBps, minNavInterval: TEST_SETTINGS.minNavInterval, maxNavAge: TEST_SETTINGS.maxNavAge },
      supply: 0n,
      now: await now(hre),
    });
    await increaseTime(hre, TEST_SETTINGS.minNavInterval);
    const later = await readNavState(ussi);
    const plan = planNavUpdate(later.onChain, { nav: INITIAL_NAV + 1n, asOf: later.now, source: 'test' }, later.now, { clamp: false });
    expect(plan.action).toBe('publish');
  });

  it('reads the quote context of an asset, and the order quoted from it is accepted on-chain', async () => {
    const ussi = ussiContract(await fx.ussi.getAddress(), hre.ethers.provider);
    const context = await readQuoteContext(ussi, fx.assets.usdc.address);
    expect(context.asset).toEqual({ address: fx.assets.usdc.address, kind: AssetKind.Stablecoin, decimals: 6 });
    expect(context.toleranceBps).toBe(TEST_SETTINGS.toleranceBps);
    const order = quoteHedgeOrder({
      side: HedgeSide.Mint,
      requester: await fx.wlp.getAddress(),
      asset: context.asset,
      amount: USDC(2_000n),
      nav: context.nav,
      spreadBps: 10,
      toleranceBps: context.toleranceBps,
      deadline: (await now(hre)) + 600n,
      nonce: 123_456n,
    });
    const signature = await signOrder(fx, order);
    expect(await ussi.getFunction('verifyOrder')(order, signature)).toBe(await fx.ussi.hashOrder(order));
    await (await as(fx.ussi, fx.wlp).applyMint(order, signature)).wait();
    expect((await ussi.getFunction('getRequest')(1n)).ussiAmount).toBe(order.ussiAmount);
  });
});
