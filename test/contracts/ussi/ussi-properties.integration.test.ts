import hre from 'hardhat';
import fc from 'fast-check';
import type { Contract, Signer } from 'ethers';
import { expectRevert } from '../../helpers/revert';
import { E18, TEST_SETTINGS, as, deployUssiFixture, hedgeOrder, increaseTime, now, signOrder, type UssiFixture } from '../../helpers/ussi';
import { HedgeSide } from '../../../lambdas/domain/ussi-orders';

/**
 * Stateful property test of USSI's escrow accounting: random sequences of mint and redeem
 * applications (three assets, two participants), confirmations (from the float or off-chain),
 * rejections, cancels after the timeout, float top-ups, stray transfers, NAV updates and rescues
 * (some asking for more than is free). After every step, for every token the contract touches:
 * - the contract holds at least what pending requests hold (`balance >= pending`);
 * - `pending` equals the sum over the requests a model of the contract still sees as pending;
 * - a rescue of more than the free balance reverts and never changes the balance;
 * and the USSI supply equals what the model minted minus what it burned.
 */

type AssetKey = 'usdc' | 'dai' | 'index';
const ASSET_KEYS: AssetKey[] = ['usdc', 'dai', 'index'];
const STABLES: AssetKey[] = ['usdc', 'dai'];

type Step =
  | { kind: 'mint'; asset: number; wlp: number; wholeUnits: number }
  | { kind: 'redeem'; asset: number; wlp: number; percent: number }
  | { kind: 'confirm'; pick: number; offChain: boolean }
  | { kind: 'reject'; pick: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'fund'; asset: number; wholeUnits: number }
  | { kind: 'stray'; token: number; wholeUnits: number }
  | { kind: 'nav'; moveBps: number }
  | { kind: 'rescue'; token: number; percent: number; overAsk: boolean };

interface PendingRequest {
  id: bigint;
  side: HedgeSide;
  requester: Signer;
  /** The escrowed token: the asset of a mint, USSI of a redeem. */
  token: string;
  amount: bigint;
  ussiAmount: bigint;
  asset: string;
  assetAmount: bigint;
  expiresAt: bigint;
}

const RUNS = Number(process.env.PROPERTY_RUNS ?? 25);
const MAX_STEPS = Number(process.env.PROPERTY_STEPS ?? 25);

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('mint' as const), asset: fc.nat(2), wlp: fc.nat(1), wholeUnits: fc.integer({ min: 1, max: 5_000 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('redeem' as const), asset: fc.nat(1), wlp: fc.nat(1), percent: fc.integer({ min: 1, max: 100 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('confirm' as const), pick: fc.nat(100), offChain: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reject' as const), pick: fc.nat(100) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat(100) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fund' as const), asset: fc.nat(1), wholeUnits: fc.integer({ min: 1, max: 5_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stray' as const), token: fc.nat(3), wholeUnits: fc.integer({ min: 1, max: 50 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('nav' as const), moveBps: fc.integer({ min: -100, max: 100 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rescue' as const), token: fc.nat(3), percent: fc.integer({ min: 0, max: 100 }), overAsk: fc.boolean() }) },
);

describe('USSI escrow invariants under random operation sequences', () => {
  let fx: UssiFixture;
  let ussiAddress: string;
  let tokens: Contract[];
  let tokenAddresses: string[];

  beforeAll(async () => {
    // NAV age well above the time the steps can skip, so applications never meet a stale NAV.
    fx = await deployUssiFixture(hre, { ...TEST_SETTINGS, maxNavAge: 60 * 86_400 });
    ussiAddress = await fx.ussi.getAddress();
    tokens = [fx.usdc, fx.dai, fx.index, fx.ussi];
    tokenAddresses = await Promise.all(tokens.map((t) => t.getAddress()));
  });

  it('keeps balance >= pending for every token, pending equal to the open requests and rescues within the free balance', async () => {
    let stepsRun = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 5, maxLength: MAX_STEPS }), async (steps) => {
        const snapshot = await hre.network.provider.send('evm_snapshot', []);
        try {
          const open: PendingRequest[] = [];
          let supply = (await fx.ussi.totalSupply()) as bigint;
          const unitOf = (key: AssetKey): bigint => 10n ** BigInt(fx.assets[key].decimals);

          const takeRequest = (pick: number): PendingRequest | undefined =>
            open.length === 0 ? undefined : open.splice(pick % open.length, 1)[0];

          for (const step of steps) {
            await runStep(step);
            stepsRun++;
            await checkInvariants();
          }

          async function runStep(step: Step): Promise<void> {
            switch (step.kind) {
              case 'mint': {
                const key = ASSET_KEYS[step.asset]!;
                const wlp = [fx.wlp, fx.wlp2][step.wlp]!;
                const amount = BigInt(step.wholeUnits) * unitOf(key);
                const order = await hedgeOrder(hre, fx, HedgeSide.Mint, key === 'index' ? amount / 1_000n : amount, {
                  assetKey: key,
                  requester: await wlp.getAddress(),
                });
                await (await as(fx.ussi, wlp).applyMint(order, await signOrder(fx, order))).wait();
                open.push(await recorded(order.asset, order.assetAmount, wlp));
                return;
              }
              case 'redeem': {
                const key = STABLES[step.asset]!;
                const wlp = [fx.wlp, fx.wlp2][step.wlp]!;
                const amount = ((await fx.ussi.balanceOf(await wlp.getAddress())) * BigInt(step.percent)) / 100n;
                if (amount < E18 / 1_000n) return;
                const order = await hedgeOrder(hre, fx, HedgeSide.Redeem, amount, { assetKey: key, requester: await wlp.getAddress() });
                await (await as(fx.ussi, wlp).applyRedeem(order, await signOrder(fx, order))).wait();
                open.push(await recorded(ussiAddress, order.ussiAmount, wlp));
                return;
              }
              case 'confirm': {
                const request = takeRequest(step.pick);
                if (request === undefined) return;
                if ((await now(hre)) + 1n >= request.expiresAt) {
                  await expectRevert(confirm(request, step.offChain), fx.ussi, 'RequestExpired');
                  open.push(request);
                  return;
                }
                if (request.side === HedgeSide.Redeem && !step.offChain && (await fx.ussi.floatOf(request.asset)) < request.assetAmount) {
                  await expectRevert(confirm(request, false), fx.ussi, 'InsufficientFloat');
                  open.push(request);
                  return;
                }
                await (await confirm(request, step.offChain)).wait();
                supply += request.side === HedgeSide.Mint ? request.ussiAmount : -request.ussiAmount;
                return;
              }
              case 'reject': {
                const request = takeRequest(step.pick);
                if (request === undefined) return;
                const method = request.side === HedgeSide.Mint ? 'rejectMint' : 'rejectRedeem';
                await (await as(fx.ussi, fx.operator).getFunction(method)(request.id)).wait();
                return;
              }
              case 'cancel': {
                const request = takeRequest(step.pick);
                if (request === undefined) return;
                const wait = request.expiresAt - (await now(hre));
                if (wait > 0n) await increaseTime(hre, wait);
                await (await as(fx.ussi, request.requester).cancel(request.id)).wait();
                return;
              }
              case 'fund': {
                const key = STABLES[step.asset]!;
                await (await fx[key].mint(ussiAddress, BigInt(step.wholeUnits) * unitOf(key))).wait();
                return;
              }
              case 'stray': {
                const amount = BigInt(step.wholeUnits) * 10n ** 6n;
                if (step.token === 3) {
                  const held = (await fx.ussi.balanceOf(await fx.wlp.getAddress())) as bigint;
                  if (held >= amount) await (await as(fx.ussi, fx.wlp).transfer(ussiAddress, amount)).wait();
                } else {
                  await (await tokens[step.token]!.mint(ussiAddress, amount)).wait();
                }
                return;
              }
              case 'nav': {
                const [nav, updatedAt] = (await fx.ussi.nav()) as [bigint, bigint];
                const wait = updatedAt + BigInt(TEST_SETTINGS.minNavInterval) - (await now(hre));
                if (wait > 0n) await increaseTime(hre, wait);
                await (await as(fx.ussi, fx.operator).publishNav(nav + (nav * BigInt(step.moveBps)) / 10_000n)).wait();
                return;
              }
              case 'rescue': {
                const token = tokenAddresses[step.token]!;
                const free = (await fx.ussi.floatOf(token)) as bigint;
                const to = await fx.outsider.getAddress();
                if (step.overAsk) {
                  const balance = await tokens[step.token]!.balanceOf(ussiAddress);
                  await expectRevert(fx.ussi.rescue(token, to, free + 1n), fx.ussi, 'RescueExceedsFree', [token, free + 1n, free]);
                  expect(await tokens[step.token]!.balanceOf(ussiAddress)).toBe(balance);
                } else {
                  await (await fx.ussi.rescue(token, to, (free * BigInt(step.percent)) / 100n)).wait();
                }
                return;
              }
            }
          }

          async function recorded(token: string, amount: bigint, requester: Signer): Promise<PendingRequest> {
            const id = (await fx.ussi.requestCount()) as bigint;
            const r = await fx.ussi.getRequest(id);
            return { id, side: Number(r.side) as HedgeSide, requester, token, amount, ussiAmount: r.ussiAmount, asset: r.asset, assetAmount: r.assetAmount, expiresAt: r.expiresAt };
          }

          function confirm(request: PendingRequest, offChain: boolean): Promise<{ wait(): Promise<unknown> }> {
            const operator = as(fx.ussi, fx.operator);
            return request.side === HedgeSide.Mint
              ? operator.confirmMint(request.id)
              : operator.confirmRedeem(request.id, offChain ? hre.ethers.id(`payout ${request.id}`) : hre.ethers.ZeroHash);
          }

          async function checkInvariants(): Promise<void> {
            for (let i = 0; i < tokens.length; i++) {
              const address = tokenAddresses[i]!;
              const expected = open.filter((r) => r.token === address).reduce((sum, r) => sum + r.amount, 0n);
              const pendingAmount = (await fx.ussi.pending(address)) as bigint;
              expect(pendingAmount).toBe(expected);
              expect(await tokens[i]!.balanceOf(ussiAddress)).toBeGreaterThanOrEqual(pendingAmount);
            }
            expect(await fx.ussi.totalSupply()).toBe(supply);
          }
        } finally {
          await hre.network.provider.send('evm_revert', [snapshot]);
        }
      }),
      { numRuns: RUNS },
    );
    expect(stepsRun).toBeGreaterThan(RUNS * 5);
  });
});
