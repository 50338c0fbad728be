import hre from 'hardhat';
import type { Contract, TypedDataDomain } from 'ethers';
import { ONE, as, deployIndexFixture, increaseTime, now, type IndexFixture } from '../../helpers/index-protocol';
import { enableRebalanceMaker, feeAwareQuote, freshNonce, priceAttestation, rebalanceDomain, signFeeSale, signPrices } from '../../helpers/rebalance';
import { deployStakeFactory, stakeTokenAt } from '../../helpers/staking';
import { QUOTE_ORDER_TYPES, Side } from '../../../lambdas/domain/orders';
import type { FeeSaleOrder } from '../../../lambdas/domain/rebalance-orders';
import { splitFeeCash } from '../../../lambdas/domain/fee-split';

const DAY = 86_400n;
const USDC = 10n ** 6n;

/**
 * The worked example of docs/fees.md, on the contracts: management fee accrues into the fee basket,
 * the PMM buys it for cash paid to the fee vault (Rebalancer.sellFee within attested prices), the
 * declared split sends the stakers' half to sMAG7.ssi, and each staker claims its share.
 */
describe('fees to stakers (docs/fees.md worked example)', () => {
  let fx: IndexFixture;
  let sToken: Contract;
  let domain: TypedDataDomain;

  /** Sells the whole fee basket for `cash` USDC and pays the stakers' share to the sToken; returns the split. */
  async function sellAndPay(cash: bigint) {
    await (await fx.index.accrueFee()).wait();
    const [assets, amounts] = (await fx.index.feeBasket()) as [string[], bigint[]];
    const order: FeeSaleOrder = {
      index: await fx.index.getAddress(),
      assets: [...assets],
      amounts: [...amounts],
      cashToken: await fx.usdc.getAddress(),
      cashAmount: cash,
      maker: await fx.pmm.getAddress(),
      deadline: (await now(hre)) + 600n,
      nonce: freshNonce(),
    };
    const priced = new Map<string, bigint>([[await fx.usdc.getAddress(), 10n ** 18n], ...assets.map((a) => [a, 1n] as [string, bigint])]);
    const prices = await priceAttestation(hre, fx, priced, { index: order.index });
    await (await fx.rebalancer.sellFee(order, await signFeeSale(fx.pmm, domain, order), prices, await signPrices(fx.admin, domain, prices))).wait();
    const split = splitFeeCash(cash, 'MAG7.ssi');
    await (await as(fx.usdc, fx.feeVault).approve(await sToken.getAddress(), split.stakers)).wait();
    await (await as(sToken, fx.feeVault).distributeRewards(split.stakers)).wait();
    return split;
  }

  beforeAll(async () => {
    fx = await deployIndexFixture(hre, { assetCount: 3, feeRatePpm: 20_000, maxFeeRatePpm: 20_000 });
    domain = await rebalanceDomain(hre, fx);
    await enableRebalanceMaker(fx, fx.assets, 0n);
    const order = await feeAwareQuote(hre, fx, fx.index, { side: Side.Mint, indexAmount: 400n * ONE, nonce: freshNonce(), requester: await fx.wlp.getAddress() });
    await (await as(fx.issuer, fx.wlp).mint(order, await fx.pmm.signTypedData(fx.domain, QUOTE_ORDER_TYPES, order), 30)).wait();
    const factory = await deployStakeFactory(await fx.admin.getAddress(), await fx.admin.getAddress());
    await (await factory.createStakeToken(await fx.index.getAddress())).wait();
    sToken = await stakeTokenAt(await factory.sTokenOf(await fx.index.getAddress()));
    await (await sToken.setRewardToken(await fx.usdc.getAddress())).wait();
    await (await as(fx.index, fx.wlp).transfer(await fx.wlp2.getAddress(), 100n * ONE)).wait();
    for (const staker of [fx.wlp, fx.wlp2]) await (await as(fx.index, staker).approve(await sToken.getAddress(), 1_000n * ONE)).wait();
  });

  it('pays stakers in proportion to stake x time and leaves the fee vault only the protocol share', async () => {
    const [alice, bob] = [fx.wlp, fx.wlp2];
    const vaultBefore = (await fx.usdc.balanceOf(await fx.feeVault.getAddress())) as bigint;
    // Day 0: alice stakes 300. Day 30: first fee sale, 1,000 USDC; alice alone is staked.
    await (await as(sToken, alice).stake(300n * ONE)).wait();
    await increaseTime(hre, 30n * DAY);
    const first = await sellAndPay(1_000n * USDC);
    // Day 30: bob stakes 100. Day 60: second fee sale, 800 USDC; 300 : 100 staked.
    await (await as(sToken, bob).stake(100n * ONE)).wait();
    await increaseTime(hre, 30n * DAY);
    const second = await sellAndPay(800n * USDC);

    expect(first).toEqual({ stakers: 500n * USDC, protocol: 500n * USDC });
    expect(second).toEqual({ stakers: 400n * USDC, protocol: 400n * USDC });
    // Alice: 500 + 300/400 x 400 = 800 USDC; bob: 100/400 x 400 = 100 USDC, each less at most one unit of rounding.
    // Stake x time at the grain of the sales: each sale pays for the period since the last one, by the stake of that period.
    const claimed = async (staker: typeof alice) => {
      const receipt = await (await as(sToken, staker).claimRewards()).wait();
      return sToken.interface.parseLog(receipt.logs.find((l: { address: string }) => l.address === sToken.target)!)!.args.amount as bigint;
    };
    const [aliceGot, bobGot] = [await claimed(alice), await claimed(bob)];
    expect(800n * USDC - aliceGot).toBeLessThanOrEqual(1n);
    expect(100n * USDC - bobGot).toBeLessThanOrEqual(1n);
    expect(aliceGot).toBe(799_999_999n);
    expect(bobGot).toBe(100n * USDC);
    // The fee vault keeps exactly the protocol's 500 + 400; the sToken keeps only the rounding dust.
    expect((await fx.usdc.balanceOf(await fx.feeVault.getAddress())) - vaultBefore).toBe(900n * USDC);
    expect(await fx.usdc.balanceOf(await sToken.getAddress())).toBe(900n * USDC - aliceGot - bobGot);
  });
});
