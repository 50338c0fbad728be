import hre from 'hardhat';
import fc from 'fast-check';
import type { Contract, Signer } from 'ethers';
import { createIndex } from '../../scripts/deploy/index-protocol';
import { basketFor, feeFor, INDEX_UNIT, Side, type QuoteOrder, type Tokenset } from '../../lambdas/domain/orders';
import {
  MAX_UINT256,
  ONE,
  as,
  deployIndexFixture,
  increaseTime,
  now,
  quote,
  send,
  sign,
  type IndexFixture,
} from '../helpers/index-protocol';

/**
 * Stateful property test: random sequences of atomic and requested mints and redeems, fills,
 * cancels after timeout and holder transfers over two indexes that share assets. After every step:
 * - every balance equals what a model of the protocol predicts (nothing created or lost);
 * - custody holds at least the sum of the indexes' baskets for every asset;
 * - each basket covers the holders' exact claims and exceeds their rounded-down sum by at most one
 *   unit per holder (rounding favours the protocol);
 * - total supply equals the holders' balances; the issuer holds exactly the pending escrow.
 */

type Step =
  | { kind: 'mint'; index: number; wlp: number; amount: bigint; cash: bigint; atomic: boolean }
  | { kind: 'redeem'; index: number; wlp: number; percent: number; cash: bigint; atomic: boolean }
  | { kind: 'fill'; pick: number }
  | { kind: 'cancel'; pick: number; byOperator: boolean }
  | { kind: 'transfer'; index: number; from: number; to: number; percent: number };

interface Pending {
  order: QuoteOrder;
  fee: bigint;
  expiresAt: bigint;
}

const RUNS = Number(process.env.PROPERTY_RUNS ?? 30);
const MAX_STEPS = Number(process.env.PROPERTY_STEPS ?? 25);
const ISSUE_FEE_BPS = 30;
const REDEEM_FEE_BPS = 20;

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('mint' as const), index: fc.nat(1), wlp: fc.nat(1), amount: fc.bigInt(ONE / 100n, 40n * ONE), cash: fc.bigInt(0n, 5_000n * 10n ** 6n), atomic: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('redeem' as const), index: fc.nat(1), wlp: fc.nat(1), percent: fc.integer({ min: 1, max: 100 }), cash: fc.bigInt(0n, 5_000n * 10n ** 6n), atomic: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('fill' as const), pick: fc.nat(100) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat(100), byOperator: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('transfer' as const), index: fc.nat(1), from: fc.nat(2), to: fc.nat(2), percent: fc.integer({ min: 1, max: 100 }) }) },
);

describe('Index protocol invariants under random operation sequences', () => {
  let fx: IndexFixture;
  let indexes: Contract[];
  let tokensets: Tokenset[];
  let assets: string[];
  let usdc: string;
  let accounts: Record<string, string>;
  let holders: Signer[];

  beforeAll(async () => {
    fx = await deployIndexFixture(hre, { assetCount: 3, issueFeeBps: ISSUE_FEE_BPS, redeemFeeBps: REDEEM_FEE_BPS, pmmIndexTokensWorth: 5_000n * ONE });
    // A second index sharing two of the three assets, so custody serves both from the same balances.
    const secondAddress = await createIndex(fx.indexFactory, {
      name: 'Second Test Index',
      symbol: 'TWO.ssi',
      constituents: [
        { asset: fx.tokenset.assets[0], unitAmount: 777_777_777n },
        { asset: fx.tokenset.assets[2], unitAmount: 3n },
      ],
      config: fx.config,
    });
    const second = (await hre.ethers.getContractAt('IndexToken', secondAddress)) as unknown as Contract;
    indexes = [fx.index, second];
    tokensets = [];
    for (const index of indexes) {
      const [a, u] = (await index.tokenset()) as [string[], bigint[]];
      tokensets.push({ assets: [...a], unitAmounts: [...u] });
    }
    const issuerAddress = await fx.issuer.getAddress();
    const pmmAddress = await fx.pmm.getAddress();
    const secondLegs = basketFor(tokensets[1], 5_000n * ONE, Side.Mint);
    for (let i = 0; i < secondLegs.assets.length; i++) {
      const token = (await hre.ethers.getContractAt('TestToken', secondLegs.assets[i])) as unknown as Contract;
      await (await token.mint(pmmAddress, secondLegs.amounts[i])).wait();
    }
    holders = [fx.wlp, fx.wlp2, fx.outsider];
    for (const s of holders) await (await as(second, s).approve(issuerAddress, MAX_UINT256)).wait();
    assets = [...fx.tokenset.assets];
    usdc = await fx.usdc.getAddress();
    accounts = {
      pmm: pmmAddress,
      wlp: await fx.wlp.getAddress(),
      wlp2: await fx.wlp2.getAddress(),
      outsider: await fx.outsider.getAddress(),
      feeVault: await fx.feeVault.getAddress(),
      vault: await fx.custodyVault.getAddress(),
      issuer: issuerAddress,
    };
  });

  it('holds custody >= basket, basket ~ holders x tokenset, exact balances and escrow after every step', async () => {
    const tokens = async (): Promise<string[]> => [...assets, usdc, ...(await Promise.all(indexes.map((i) => i.getAddress())))];
    const readBalances = async (): Promise<Map<string, bigint>> => {
      const reads: Array<Promise<[string, bigint]>> = [];
      for (const token of await tokens()) {
        const erc20 = await hre.ethers.getContractAt('TestToken', token);
        for (const [name, address] of Object.entries(accounts)) {
          reads.push(erc20.balanceOf(address).then((b: bigint) => [`${token}:${name}`, b] as [string, bigint]));
        }
      }
      return new Map(await Promise.all(reads));
    };
    const indexAddresses = await Promise.all(indexes.map((i) => i.getAddress()));
    let stepsRun = 0;

    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 5, maxLength: MAX_STEPS }), async (steps) => {
        const snapshot = await send(hre, 'evm_snapshot');
        try {
          const model = await readBalances();
          const pending: Pending[] = [];
          const move = (token: string, from: string | null, to: string | null, amount: bigint): void => {
            if (from) model.set(`${token}:${from}`, model.get(`${token}:${from}`)! - amount);
            if (to) model.set(`${token}:${to}`, model.get(`${token}:${to}`)! + amount);
          };
          const moveLegs = (order: QuoteOrder, from: string, to: string): void => {
            order.assets.forEach((asset, i) => move(asset, from, to, order.amounts[i]));
          };
          const settleMint = (order: QuoteOrder, fee: bigint, cashFrom: 'wlp' | 'wlp2' | 'issuer', wlp: string): void => {
            moveLegs(order, 'pmm', 'vault');
            move(usdc, cashFrom, 'pmm', order.cashAmount);
            move(usdc, cashFrom, 'feeVault', fee);
            move(order.index, null, wlp, order.indexAmount);
          };
          const settleRedeem = (order: QuoteOrder, fee: bigint, indexFrom: string, wlp: string): void => {
            move(order.index, indexFrom, null, order.indexAmount);
            move(usdc, 'pmm', wlp, order.cashAmount - fee);
            move(usdc, 'pmm', 'feeVault', fee);
            moveLegs(order, 'vault', 'pmm');
          };

          for (const step of steps) {
            await runStep(step);
            stepsRun++;
            await checkInvariants();
          }

          async function runStep(step: Step): Promise<void> {
            if (step.kind === 'mint') {
              const wlpSigner = [fx.wlp, fx.wlp2][step.wlp];
              const wlp = step.wlp === 0 ? 'wlp' : 'wlp2';
              const order = await quoteFor(step.index, Side.Mint, step.amount, step.cash, await wlpSigner.getAddress());
              const fee = feeFor(order.cashAmount, ISSUE_FEE_BPS);
              const signature = await sign(fx.pmm, order, fx.domain);
              if (step.atomic) {
                await (await as(fx.issuer, wlpSigner).mint(order, signature, ISSUE_FEE_BPS)).wait();
                settleMint(order, fee, wlp, wlp);
              } else {
                await (await as(fx.issuer, wlpSigner).requestMint(order, signature, ISSUE_FEE_BPS)).wait();
                move(usdc, wlp, 'issuer', order.cashAmount + fee);
                pending.push({ order, fee, expiresAt: (await now(hre)) + BigInt(fx.config.requestTimeout) });
              }
            } else if (step.kind === 'redeem') {
              const wlpSigner = [fx.wlp, fx.wlp2][step.wlp];
              const wlp = step.wlp === 0 ? 'wlp' : 'wlp2';
              const balance = model.get(`${indexAddresses[step.index]}:${wlp}`)!;
              const amount = (balance * BigInt(step.percent)) / 100n;
              if (amount < fx.config.minAmount) return;
              const order = await quoteFor(step.index, Side.Redeem, amount, step.cash, await wlpSigner.getAddress());
              const fee = feeFor(order.cashAmount, REDEEM_FEE_BPS);
              const signature = await sign(fx.pmm, order, fx.domain);
              if (step.atomic) {
                await (await as(fx.issuer, wlpSigner).redeem(order, signature, REDEEM_FEE_BPS)).wait();
                settleRedeem(order, fee, wlp, wlp);
              } else {
                await (await as(fx.issuer, wlpSigner).requestRedeem(order, signature, REDEEM_FEE_BPS)).wait();
                move(order.index, wlp, 'issuer', order.indexAmount);
                pending.push({ order, fee, expiresAt: (await now(hre)) + BigInt(fx.config.requestTimeout) });
              }
            } else if (step.kind === 'fill' || step.kind === 'cancel') {
              if (pending.length === 0) return;
              const [request] = pending.splice(step.pick % pending.length, 1);
              const { order, fee } = request;
              const wlp = order.requester === accounts.wlp ? 'wlp' : 'wlp2';
              // A fill only works before expiry; an expired pick is cancelled instead.
              if (step.kind === 'fill' && (await now(hre)) + 1n < request.expiresAt) {
                if (order.side === Side.Mint) {
                  await (await as(fx.issuer, fx.pmm).fillMint(order)).wait();
                  settleMint(order, fee, 'issuer', wlp);
                } else {
                  await (await as(fx.issuer, fx.pmm).fillRedeem(order)).wait();
                  settleRedeem(order, fee, 'issuer', wlp);
                }
                return;
              }
              const wait = request.expiresAt - (await now(hre));
              if (wait > 0n) await increaseTime(hre, wait);
              const canceller = step.kind === 'cancel' && step.byOperator ? fx.admin : order.requester === accounts.wlp ? fx.wlp : fx.wlp2;
              if (order.side === Side.Mint) {
                await (await as(fx.issuer, canceller).cancelMint(order)).wait();
                move(usdc, 'issuer', wlp, order.cashAmount + fee);
              } else {
                await (await as(fx.issuer, canceller).cancelRedeem(order)).wait();
                move(order.index, 'issuer', wlp, order.indexAmount);
              }
            } else {
              const names = ['wlp', 'wlp2', 'outsider'];
              const index = indexAddresses[step.index];
              const amount = (model.get(`${index}:${names[step.from]}`)! * BigInt(step.percent)) / 100n;
              await (await as(indexes[step.index], holders[step.from]).transfer(accounts[names[step.to]], amount)).wait();
              move(index, names[step.from], names[step.to], amount);
            }
          }

          async function checkInvariants(): Promise<void> {
            // Every balance is what the model predicts: nothing created, nothing lost.
            const actual = await readBalances();
            for (const [key, value] of model) expect(`${key}=${actual.get(key)}`).toBe(`${key}=${value}`);
            // The issuer holds only the escrow of pending requests, and knows it.
            const escrow = new Map<string, bigint>();
            for (const p of pending) {
              const token = p.order.side === Side.Mint ? usdc : p.order.index;
              escrow.set(token, (escrow.get(token) ?? 0n) + (p.order.side === Side.Mint ? p.order.cashAmount + p.fee : p.order.indexAmount));
            }
            for (const token of await tokens()) {
              expect(actual.get(`${token}:issuer`)).toBe(escrow.get(token) ?? 0n);
              expect(await fx.issuer.escrowed(token)).toBe(escrow.get(token) ?? 0n);
            }
            const owed = new Map<string, bigint>();
            for (let i = 0; i < indexes.length; i++) {
              const supply = (await indexes[i].totalSupply()) as bigint;
              const holderBalances = Object.keys(accounts).map((name) => actual.get(`${indexAddresses[i]}:${name}`)!);
              expect(holderBalances.reduce((a, b) => a + b, 0n)).toBe(supply);
              expect(await fx.issuer.pendingRequests(indexAddresses[i])).toBe(BigInt(pending.filter((p) => p.order.index === indexAddresses[i]).length));
              const [basketAssets, basketAmounts] = (await indexes[i].basket()) as [string[], bigint[]];
              basketAssets.forEach((asset, k) => {
                const unit = tokensets[i].unitAmounts[k];
                const basket = basketAmounts[k];
                const roundedDown = holderBalances.reduce((sum, b) => sum + (b * unit) / INDEX_UNIT, 0n);
                const nonZeroHolders = BigInt(holderBalances.filter((b) => b > 0n).length);
                // Covers the holders' exact claims, and by at most one unit per holder more than their rounded-down sum.
                expect(basket * INDEX_UNIT >= supply * unit).toBe(true);
                expect(basket >= roundedDown && basket <= roundedDown + nonZeroHolders).toBe(true);
                owed.set(asset, (owed.get(asset) ?? 0n) + basket);
              });
            }
            // Custody covers every index's basket for every asset.
            for (const [asset, amount] of owed) {
              const held = actual.get(`${asset}:vault`)!;
              expect(`${asset}: custody ${held} >= basket ${amount} is ${held >= amount}`).toBe(`${asset}: custody ${held} >= basket ${amount} is true`);
            }
          }
        } finally {
          await send(hre, 'evm_revert', [snapshot]);
        }
      }),
      { numRuns: RUNS, seed: process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined },
    );
    expect(stepsRun).toBeGreaterThanOrEqual(RUNS * 5);
  });

  async function quoteFor(index: number, side: Side, indexAmount: bigint, cashAmount: bigint, requester: string): Promise<QuoteOrder> {
    const base = await quote(fx, { side, indexAmount, cashAmount, requester });
    const legs = basketFor(tokensets[index], indexAmount, side);
    return { ...base, index: await indexes[index].getAddress(), assets: legs.assets, amounts: legs.amounts };
  }
});
