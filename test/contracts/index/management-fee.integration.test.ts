import hre from 'hardhat';
import fc from 'fast-check';
import type { Contract } from 'ethers';
import { expectRevert } from '../../helpers/revert';
import { ONE, as, deployIndexFixture, increaseTime, send, useSnapshots, type IndexFixture } from '../../helpers/index-protocol';
import { feeAwareQuote, freshNonce, readBasis } from '../../helpers/rebalance';
import { createIndex } from '../../../scripts/deploy/index-protocol';
import { FEE_FACTOR_UNIT, INDEX_UNIT, QUOTE_ORDER_TYPES, Side } from '../../../lambdas/domain/orders';
import { accruedFeeUnits, basketOf, decayFactor, effectiveUnitAmounts, feeAmountsOf, PPM, YEAR_SECONDS } from '../../../lambdas/domain/fees';

const DAY = 86_400n;
const RATE_PPM = 9_500;
const MAX_RATE_PPM = 20_000;
/** The highest rate any index may charge (10% a year). */
const HARD_CAP_PPM = 100_000;
/** The token's fee word: the slot after the tokenset's in its ERC-7201 namespace. */
const FEE_WORD_SLOT = '0xa59e731c0a69e66b34db2eac4eb2835b7606c96f85b6e0759c6ee2282966e201';

/**
 * exp(-ratePpm / 1e6 * elapsed / YEAR) as a fraction over 10^80, from the Taylor series in exact
 * integer arithmetic: the closed form the contract approximates, independent of its algorithm.
 */
function closedForm(ratePpm: bigint, elapsed: bigint): { numerator: bigint; scale: bigint } {
  const scale = 10n ** 80n;
  const num = ratePpm * elapsed;
  const den = PPM * YEAR_SECONDS;
  let term = scale;
  let sum = scale;
  for (let k = 1n; term !== 0n; k++) {
    term = (term * num) / (den * k);
    sum += k % 2n === 1n ? -term : term;
  }
  return { numerator: sum, scale };
}

describe('Management fee', () => {
  let fx: IndexFixture;
  let indexAddress: string;

  async function mint(indexAmount: bigint): Promise<{ blockNumber: number; logs: Array<{ address: string; topics: string[]; data: string }> }> {
    const order = await feeAwareQuote(hre, fx, fx.index, { side: Side.Mint, indexAmount, nonce: freshNonce(), requester: await fx.wlp.getAddress() });
    return (await as(fx.issuer, fx.wlp).mint(order, await fx.pmm.signTypedData(fx.domain, QUOTE_ORDER_TYPES, order), 30)).wait();
  }

  let created = 0;
  /** A new index over the fixture's tokenset charging `rate` from its creation on. */
  async function freshIndex(rate: number): Promise<Contract> {
    const address = await createIndex(fx.indexFactory, {
      name: 'Fee test',
      symbol: `FEE${created++}.ssi`,
      constituents: fx.tokenset.assets.map((asset, i) => ({ asset, unitAmount: fx.tokenset.unitAmounts[i] })),
      config: fx.config,
      feeRatePpm: rate,
      maxFeeRatePpm: HARD_CAP_PPM,
    });
    return (await hre.ethers.getContractAt('IndexToken', address)) as unknown as Contract;
  }

  async function timestampOf(blockNumber: number): Promise<bigint> {
    return BigInt((await hre.ethers.provider.getBlock(blockNumber))!.timestamp);
  }

  beforeAll(async () => {
    fx = await deployIndexFixture(hre, { assetCount: 7, feeRatePpm: RATE_PPM, maxFeeRatePpm: MAX_RATE_PPM });
    indexAddress = await fx.index.getAddress();
  });
  useSnapshots(hre);

  describe('closed form', () => {
    for (const [label, seconds] of [
      ['1 day', DAY],
      ['30 days', 30n * DAY],
      ['3 years', 3n * 365n * DAY],
    ] as const) {
      for (const rate of [RATE_PPM, HARD_CAP_PPM]) {
        it(`after ${label} at ${rate} ppm a year, every effective unit amount is base x exp(-rate t) within 1 wei`, async () => {
          const index = await freshIndex(rate);
          const { accruedAt, factor: start } = await index.feeState();
          expect(start).toBe(FEE_FACTOR_UNIT);
          const base = await readBasis(index);
          await increaseTime(hre, seconds);
          const receipt = await (await index.accrueFee()).wait();
          const elapsed = (await timestampOf(receipt.blockNumber)) - accruedAt;
          expect(elapsed >= seconds).toBe(true);

          const [, effective] = (await index.tokenset({ blockTag: receipt.blockNumber })) as [string[], bigint[]];
          const { numerator, scale } = closedForm(BigInt(rate), elapsed);
          base.baseUnitAmounts.forEach((b, i) => {
            // |effective - b * e^-x| <= 1, with b * e^-x = b * numerator / scale exactly.
            const gap = effective[i] * scale - b * numerator;
            expect(`${i}: ${gap < 0n ? -gap <= scale : gap <= scale}`).toBe(`${i}: true`);
          });
          // The factor itself is the closed form at 27 decimals, rounded down.
          const factor = await index.feeFactor({ blockTag: receipt.blockNumber });
          const exact = (FEE_FACTOR_UNIT * numerator) / scale;
          expect(exact - factor >= 0n && exact - factor <= 1n).toBe(true);
        });
      }
    }

    it('compounds to the same effective amounts, within 1 wei, accrued daily for 30 days or once', async () => {
      const { accruedAt } = await fx.index.feeState();
      const base = await readBasis(fx.index);
      let last = 0;
      for (let day = 0; day < 30; day++) {
        await increaseTime(hre, DAY - 1n);
        last = (await (await fx.index.accrueFee()).wait()).blockNumber;
      }
      const elapsed = (await timestampOf(last)) - accruedAt;
      const [, effective] = (await fx.index.tokenset({ blockTag: last })) as [string[], bigint[]];
      const once = effectiveUnitAmounts(base.baseUnitAmounts, decayFactor(FEE_FACTOR_UNIT, RATE_PPM, elapsed));
      effective.forEach((e, i) => expect(e - once[i] <= 1n && once[i] - e <= 1n).toBe(true));
    });

    it('costs the same gas after a day as after a year or three', async () => {
      await (await fx.index.accrueFee()).wait();
      const gas: bigint[] = [];
      for (const seconds of [DAY, 365n * DAY, 3n * 365n * DAY]) {
        await increaseTime(hre, seconds);
        gas.push((await (await fx.index.accrueFee()).wait()).gasUsed);
      }
      expect(gas[1]).toBe(gas[0]);
      expect(gas[2]).toBe(gas[0]);
    });

    it('the TypeScript port of FeeMath.decay gives the contract result bit for bit', async () => {
      const harness = (await (await hre.ethers.getContractFactory('FeeMathHarness', fx.admin)).deploy()) as unknown as Contract;
      await fc.assert(
        fc.asyncProperty(
          fc.bigInt(1n, FEE_FACTOR_UNIT),
          fc.integer({ min: 0, max: 100_000 }),
          fc.oneof(fc.bigInt(0n, 100n), fc.bigInt(0n, 40n * YEAR_SECONDS), fc.bigInt(0n, (1n << 40n) - 1n)),
          async (factor, rate, elapsed) => {
            expect(await harness.decay(factor, rate, elapsed)).toBe(decayFactor(factor, rate, elapsed));
          },
        ),
        { numRuns: 150 },
      );
    });
  });

  describe('accrual', () => {
    it('accrues lazily on mint and redeem: a mint after 400 idle days needs no collection first', async () => {
      const { accruedAt } = await fx.index.feeState();
      await increaseTime(hre, 400n * DAY);
      const receipt = await mint(2n * ONE);
      const accrued = receipt.logs.filter((l) => l.address === indexAddress).map((l) => fx.index.interface.parseLog(l)).find((e) => e?.name === 'FeeAccrued');
      const factor = decayFactor(FEE_FACTOR_UNIT, RATE_PPM, (await timestampOf(receipt.blockNumber)) - accruedAt);
      expect(accrued?.args.factor).toBe(factor);
      // Nobody held the index during those days: no fee units accrued.
      expect(accrued?.args.pendingUnits).toBe(0n);
      expect(await fx.index.balanceOf(await fx.wlp.getAddress())).toBe(2n * ONE);
    });

    it('moves the fee from the basket into the fee basket, custody covering both', async () => {
      const minted = await mint(10n * ONE);
      const held = [...((await fx.custodyVault.balancesOf(fx.tokenset.assets)) as bigint[])];
      const [, basketBefore] = (await fx.index.basket({ blockTag: minted.blockNumber })) as [string[], bigint[]];
      const before = await fx.index.feeState({ blockTag: minted.blockNumber });
      const supply = (await fx.index.totalSupply()) as bigint;
      await increaseTime(hre, 30n * DAY);
      const receipt = await (await fx.index.accrueFee()).wait();
      const at = { blockTag: receipt.blockNumber };
      const state = await fx.index.feeState(at);
      const base = await readBasis(fx.index);

      expect(state.pendingUnits).toBe(before.pendingUnits + accruedFeeUnits(supply, before.factor, state.factor));
      const [, basket] = (await fx.index.basket(at)) as [string[], bigint[]];
      const [feeAssets, fee] = (await fx.index.feeBasket(at)) as [string[], bigint[]];
      expect([...basket]).toEqual(basketOf(supply, base.baseUnitAmounts, state.factor));
      expect([...feeAssets]).toEqual(base.assets);
      expect([...fee]).toEqual(feeAmountsOf(state.pendingUnits, base.baseUnitAmounts));
      held.forEach((h, i) => {
        expect(fee[i] > 0n).toBe(true);
        // What left the basket is in the fee basket, to rounding against the fee: a wei or two, plus
        // the pending units' resolution of one index unit per accrual (base / 1e18 of the asset).
        const lost = basketBefore[i] - basket[i] - fee[i];
        expect(lost >= 0n && lost <= 2n + base.baseUnitAmounts[i] / INDEX_UNIT).toBe(true);
        expect(h >= basket[i] + fee[i]).toBe(true);
      });
    });

    it('does nothing within the same second, at a zero rate, or while the basket is frozen', async () => {
      await mint(ONE);
      await increaseTime(hre, DAY);
      await send(hre, 'evm_setAutomine', [false]);
      try {
        const first = await fx.index.accrueFee();
        const second = await fx.index.accrueFee();
        await send(hre, 'evm_mine');
        const [r1, r2] = [await first.wait(), await second.wait()];
        expect(r1.blockNumber).toBe(r2.blockNumber);
        expect(r1.logs).toHaveLength(1);
        expect(r2.logs).toHaveLength(0);
        expect(r2.gasUsed < r1.gasUsed).toBe(true);
      } finally {
        await send(hre, 'evm_setAutomine', [true]);
      }

      const free = await hre.ethers.getContractAt(
        'IndexToken',
        await createIndex(fx.indexFactory, { name: 'Free', symbol: 'FREE.ssi', constituents: [{ asset: fx.tokenset.assets[0], unitAmount: 9n }], config: fx.config }),
      );
      await increaseTime(hre, 365n * DAY);
      const receipt = await (await free.accrueFee()).wait();
      expect(receipt.logs).toHaveLength(0);
      expect(await free.feeFactor()).toBe(FEE_FACTOR_UNIT);
    });
  });

  describe('settings and roles', () => {
    it('sets the rate through the factory within the maximum fixed at creation, accruing at the old rate first', async () => {
      await mint(ONE);
      const { accruedAt, factor } = await fx.index.feeState({ blockTag: 'latest' });
      await increaseTime(hre, 10n * DAY);
      const receipt = await (await fx.indexFactory.setFeeRate(indexAddress, 15_000)).wait();
      const at = await timestampOf(receipt.blockNumber);
      const state = await fx.index.feeState({ blockTag: receipt.blockNumber });
      expect(state.ratePpm).toBe(15_000n);
      expect(state.accruedAt).toBe(at);
      expect(state.factor).toBe(decayFactor(factor, RATE_PPM, at - accruedAt));
      const events = receipt.logs.filter((l: { address: string }) => l.address === indexAddress).map((l: { topics: string[]; data: string }) => fx.index.interface.parseLog(l)?.name);
      expect(events).toEqual(['FeeAccrued', 'FeeRateSet']);

      await expectRevert(fx.indexFactory.setFeeRate(indexAddress, MAX_RATE_PPM + 1), fx.index, 'FeeRateAboveMax', [MAX_RATE_PPM + 1, MAX_RATE_PPM]);
      await expectRevert(as(fx.indexFactory, fx.outsider).setFeeRate(indexAddress, 1), fx.indexFactory, 'AccessControlUnauthorizedAccount');
      await expectRevert(async () => fx.indexFactory.setFeeRate(await fx.usdc.getAddress(), 1), fx.indexFactory, 'UnknownIndex', [await fx.usdc.getAddress()]);
      // The token takes rates from its operator, the factory, only.
      await expectRevert(async () => fx.index.setFeeRate(1), fx.index, 'AccessControlUnauthorizedAccount', [await fx.admin.getAddress(), await fx.index.OPERATOR_ROLE()]);

      await (await fx.indexFactory.setFeeRate(indexAddress, 0)).wait();
      const stopped = await fx.index.feeFactor();
      await increaseTime(hre, 30n * DAY);
      expect(await fx.index.feeFactor()).toBe(stopped);
    });

    it('refuses a maximum above the 10% hard cap, or a rate above the maximum, at creation', async () => {
      const constituents = [{ asset: fx.tokenset.assets[0], unitAmount: 9n }];
      await expectRevert(
        createIndex(fx.indexFactory, { name: 'X', symbol: 'X.ssi', constituents, config: fx.config, feeRatePpm: 0, maxFeeRatePpm: 100_001 }),
        fx.index,
        'FeeRateAboveMax',
        [100_001, 100_000],
      );
      await expectRevert(
        createIndex(fx.indexFactory, { name: 'X', symbol: 'X.ssi', constituents, config: fx.config, feeRatePpm: 5_001, maxFeeRatePpm: 5_000 }),
        fx.index,
        'FeeRateAboveMax',
        [5_001, 5_000],
      );
    });

    it('lets only the rebalancer freeze the basket, change the tokenset or take fees', async () => {
      const admin = await fx.admin.getAddress();
      const role = await fx.index.REBALANCER_ROLE();
      expect(await fx.index.hasRole(role, await fx.rebalancer.getAddress())).toBe(true);
      await expectRevert(fx.index.setRebalancing(true), fx.index, 'AccessControlUnauthorizedAccount', [admin, role]);
      await expectRevert(fx.index.setTokenset(fx.tokenset.assets, fx.tokenset.unitAmounts), fx.index, 'AccessControlUnauthorizedAccount', [admin, role]);
      await expectRevert(fx.index.takeFee([fx.tokenset.assets[0]], [1n]), fx.index, 'AccessControlUnauthorizedAccount', [admin, role]);
    });

    it('keeps the fee basket for the protocol: takes only what it holds, in full or in part, and lists it ascending', async () => {
      await mint(5n * ONE);
      await increaseTime(hre, 90n * DAY);
      await (await fx.index.grantRole(await fx.index.REBALANCER_ROLE(), await fx.admin.getAddress())).wait();
      const receipt = await (await fx.index.accrueFee()).wait();
      const [assets, amounts] = (await fx.index.feeBasket({ blockTag: receipt.blockNumber })) as [string[], bigint[]];
      await expectRevert(fx.index.takeFee([assets[0]], [amounts[0] * 2n]), fx.index, 'FeeBasketExceeded');
      await expectRevert(fx.index.takeFee([assets[0]], []), fx.index, 'FeeLengthMismatch', [1, 0]);
      // Take all of the first asset and half of the second, as due one second after the last block.
      const stored = await fx.index.feeState({ blockTag: receipt.blockNumber });
      const takeAt = BigInt((await hre.ethers.provider.getBlock('latest'))!.timestamp) + 1n;
      await send(hre, 'evm_setNextBlockTimestamp', [Number(takeAt)]);
      const next = decayFactor(stored.factor, RATE_PPM, takeAt - stored.accruedAt);
      const pending = stored.pendingUnits + accruedFeeUnits(await fx.index.totalSupply(), stored.factor, next);
      const base = await readBasis(fx.index);
      const due = feeAmountsOf(pending, base.baseUnitAmounts);
      const taken = await (await fx.index.takeFee([assets[0], assets[1]], [due[0], due[1] / 2n])).wait();
      const [after, left] = (await fx.index.feeBasket({ blockTag: taken.blockNumber })) as [string[], bigint[]];
      expect([...after]).toEqual(assets.slice(1));
      expect(left[0]).toBe(due[1] - due[1] / 2n);
      const updated = taken.logs.map((l: { topics: string[]; data: string }) => fx.index.interface.parseLog(l)).filter((e: { name: string } | null) => e?.name === 'FeeBasketUpdated');
      expect(updated).toHaveLength(1);
      expect([...updated[0].args.assets]).toEqual(assets.slice(1));
      expect([...updated[0].args.amounts]).toEqual([...left]);
    });
  });

  describe('fee basket deadlock', () => {
    /** `count` fresh asset addresses, ascending, as a tokenset with one whole unit of each. */
    function freshTokenset(count: number): { assets: string[]; unitAmounts: bigint[] } {
      const assets = Array.from({ length: count }, () => hre.ethers.getAddress(hre.ethers.hexlify(hre.ethers.randomBytes(20))));
      assets.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
      return { assets, unitAmounts: assets.map(() => ONE) };
    }

    it('fee basket deadlock: after more than 64 assets pass through the tokenset the index still rebalances and sells its fee assets, in parts', async () => {
      await mint(5n * ONE);
      await (await fx.index.grantRole(await fx.index.REBALANCER_ROLE(), await fx.admin.getAddress())).wait();
      const maxFeeAssets = await fx.index.MAX_FEE_ASSETS();
      // 7 + 32 + 32 assets go through the tokenset; each change moves the fee due on the old one into the fee basket.
      for (let i = 0; i < 3; i++) {
        await increaseTime(hre, DAY);
        await (await fx.index.setTokenset(...Object.values(freshTokenset(32)))).wait();
      }
      const [size, cap] = await fx.index.feeBasketSize();
      expect([size, cap]).toEqual([71n, maxFeeAssets]);

      // Past the cap, a further tokenset change asks for a fee sale first (the fee is not lost)...
      await increaseTime(hre, DAY);
      await expectRevert(fx.index.setTokenset(...Object.values(freshTokenset(3))), fx.index, 'FeeBasketTooLarge', [71n, maxFeeAssets]);
      // ...and a sale that does not grow the basket always goes through, here in two parts, though each also
      // materializes the fee due on the current tokenset.
      const [current] = (await fx.index.baseTokenset()) as [string[]];
      const [feeAssets, feeAmounts] = (await fx.index.feeBasket()) as [string[], bigint[]];
      const settled = feeAssets.map((asset, i) => ({ asset, amount: feeAmounts[i] })).filter((leg) => !current.includes(leg.asset));
      expect(settled).toHaveLength(71);
      for (const part of [settled.slice(0, 40), settled.slice(40)]) {
        await (await fx.index.takeFee(part.map((leg) => leg.asset), part.map((leg) => leg.amount))).wait();
      }
      const [left] = (await fx.index.feeBasket()) as [string[]];
      expect([...left].sort()).toEqual([...current].sort());

      await (await fx.index.setTokenset(...Object.values(freshTokenset(3)))).wait();
      expect((await fx.index.feeBasketSize())[0]).toBe(32n);
    });
  });

  describe('quotes under a running fee', () => {
    it('accepts mint legs at the quote-time factor and redeem legs at the deadline factor, and refuses a redeem above the entitlement', async () => {
      await mint(10n * ONE);
      await increaseTime(hre, 7n * DAY);
      const wlp = await fx.wlp.getAddress();
      const redeem = await feeAwareQuote(hre, fx, fx.index, { side: Side.Redeem, indexAmount: 3n * ONE, nonce: freshNonce(), requester: wlp });
      const mintOrder = await feeAwareQuote(hre, fx, fx.index, { side: Side.Mint, indexAmount: 3n * ONE, nonce: freshNonce(), requester: wlp });
      await increaseTime(hre, 300n);
      const sign = (o: typeof redeem): Promise<string> => fx.pmm.signTypedData(fx.domain, QUOTE_ORDER_TYPES, o);
      await (await as(fx.issuer, fx.wlp).mint(mintOrder, await sign(mintOrder), 30)).wait();
      await (await as(fx.issuer, fx.wlp).redeem(redeem, await sign(redeem), 20)).wait();

      // Legs at the factor of now overshoot the entitlement a moment later.
      const basis = await readBasis(fx.index);
      const greedy = { ...redeem, nonce: freshNonce(), amounts: basis.baseUnitAmounts.map((b) => (3n * ONE * b * basis.factor) / (INDEX_UNIT * FEE_FACTOR_UNIT)) };
      await expectRevert(as(fx.issuer, fx.wlp).redeem(greedy, await sign(greedy), 20), fx.issuer, 'BasketMismatch');
      const [, bounds] = (await fx.issuer.basketFor(indexAddress, 3n * ONE, Side.Redeem)) as [string[], bigint[]];
      bounds.forEach((b, i) => expect(b <= greedy.amounts[i]).toBe(true));
    });
  });

  describe('upgrade from the token without a fee', () => {
    it('reads a zero fee word as a factor of 1e27: baskets as before, mint and redeem work, a rate can start later', async () => {
      const free = await hre.ethers.getContractAt(
        'IndexToken',
        await createIndex(fx.indexFactory, {
          name: 'Legacy',
          symbol: 'OLD.ssi',
          constituents: fx.tokenset.assets.map((asset, i) => ({ asset, unitAmount: fx.tokenset.unitAmounts[i] })),
          config: fx.config,
          maxFeeRatePpm: 10_000,
        }),
      );
      // What a proxy of the first token version holds in the slot the fee word took over: nothing.
      await send(hre, 'hardhat_setStorageAt', [await free.getAddress(), FEE_WORD_SLOT, hre.ethers.ZeroHash]);
      expect(await free.feeFactor()).toBe(FEE_FACTOR_UNIT);
      expect([...(await free.tokenset())[1]]).toEqual(fx.tokenset.unitAmounts);
      await increaseTime(hre, 30n * DAY);
      expect(await free.feeFactor()).toBe(FEE_FACTOR_UNIT);
      const receipt = await (await fx.indexFactory.setFeeRate(await free.getAddress(), 10_000)).wait();
      await increaseTime(hre, DAY);
      const at = await timestampOf(receipt.blockNumber);
      const latest = await hre.ethers.provider.getBlock('latest');
      expect(await free.feeFactor()).toBe(decayFactor(FEE_FACTOR_UNIT, 10_000, BigInt(latest!.timestamp) - at));
    });
  });
});
