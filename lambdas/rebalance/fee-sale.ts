/**
 * The fee-sale saga: one run per index, day and trigger (the daily schedule, or a rebalance whose
 * fee basket is near its cap), advanced step by step, each step's output recorded in the
 * `rebalance-runs` table (sort key `fee-sale#...`, version-checked) before the next starts:
 *
 *   accrue -> quote -> verify -> sell -> approve -> distribute
 *
 * accrue: `IndexToken.accrueFee()`, then the fee basket and reference prices; quote: every PMM of
 * the registry bids cash for the whole fee basket (`<rfqUrl>/fee-sale`); verify: the best bid is
 * re-checked and the prices attested with the price-attester key; sell: `Rebalancer.sellFee` (the
 * cash goes to the index's fee vault), then the declared split (lambdas/domain/fee-split.ts);
 * approve + distribute: the fee vault pays the stakers' share to the index's sToken
 * (`distributeRewards`), the protocol's share stays in the fee vault. Every transaction goes
 * through a relayer under a key derived from the run id, so a retried step re-submits the same key
 * and nothing is sold or paid twice. See docs/rebalance.md (Fee sales) and docs/fees.md.
 */
import { Contract, Interface, type Provider, type TypedDataDomain, type TypedDataField } from 'ethers';
import { splitFeeCash } from '../domain/fee-split';
import { toFixedPoint } from '../domain/quotes/amounts';
import type { ReferencePrice } from '../domain/quotes/nav';
import { hashFeeSaleOrder, legsValue, rebalancerDomain, type FeeSaleOrder } from '../domain/rebalance-orders';
import type { ActionRecord } from '../relayer';
import { checkFeeSaleOrder } from './plan';
import { InjectedCrash, REBALANCER_INTERFACE, RunFailure, attestRunPrices, bestPmmAnswer, postToPmm, priceMaps, relay, type RebalancePmm, type SagaRelayer } from './saga';
import { FEE_SALE_PREFIX, type RunStatus, type RunStore, type StoredRun } from './store';
import { ERC20_ABI, ERC20_ERRORS_ABI, INDEX_TOKEN_ABI, REBALANCER_ABI, STAKE_TOKEN_ABI, withErrorsOf } from '../shared/abi';

export const FEE_SALE_STEPS = ['accrue', 'quote', 'verify', 'sell', 'approve', 'distribute'] as const;
export type FeeSaleStep = (typeof FEE_SALE_STEPS)[number];
/** What started the run: the daily schedule, or a rebalance that found the fee basket near its cap. */
export type FeeSaleTrigger = 'schedule' | 'rebalance';

// sellFee pulls the cash and moves fee assets inside the index token: their errors decode too.
export const FEE_SALE_INTERFACE = new Interface(withErrorsOf(REBALANCER_ABI, INDEX_TOKEN_ABI, ERC20_ERRORS_ABI));
const INDEX_INTERFACE = new Interface(INDEX_TOKEN_ABI);
const CASH_INTERFACE = new Interface(ERC20_ABI);
export const STAKE_REWARDS_INTERFACE = new Interface(STAKE_TOKEN_ABI);

export interface FeeSaleRecord extends StoredRun {
  /** `<index>:fee-sale:<yyyy-mm-dd>` (schedule) or `...:<yyyy-mm-dd>:rebalance`. */
  runId: string;
  runDate: string;
  trigger: FeeSaleTrigger;
  indexAddress: string;
  status: RunStatus;
  step: FeeSaleStep | 'created';
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  /** Relayer idempotency keys of the run's transactions. */
  txKeys: { accrue: string; sell: string; approve: string; distribute: string };
  accrual?: { txHash?: string; blockNumber?: number };
  /** The fee basket offered (after the accrual) and the reference prices of its assets and the cash token. */
  feeBasket?: { assets: string[]; amounts: string[]; valueUsd: string };
  prices?: Array<{ symbol: string; asset: string; decimals: number; price: string; source: string; observedOn: string }>;
  quote?: { pmm: string; maker: string; nonce: string; deadline: string; cashAmount: string; signature: string; refused?: Array<{ pmm: string; reason: string }> };
  verification?: { attestation: { assets: string[]; prices: string[]; validUntil: string; nonce: string }; attestationSignature: string; orderHash: string; feeValue: string; cashValue: string };
  /** The FeeSold event and the declared split of its cash (cash-token units). */
  sale?: { txHash: string; blockNumber?: number; orderHash: string; cashAmount: string; feeVault: string; split: { stakers: string; protocol: string } };
  approval?: { txHash?: string; skipped?: string };
  /** The RewardsDistributed event, or why nothing was paid to stakers. */
  distribution?: { txHash?: string; sToken?: string; amount?: string; earningSupply?: string; rewardPerShare?: string; skipped?: string };
  /** Set when the run ends early with nothing to do (an empty fee basket). */
  skipped?: string;
  failure?: { step: FeeSaleStep; reason: string };
  history: Array<{ step: FeeSaleStep; at: string; note?: string }>;
}

/** Test-only faults: stop the invocation right after a step is recorded, or right after a transaction is submitted. */
export interface FeeSaleFaults {
  crashAfter?: FeeSaleStep;
  crashAfterSubmit?: 'accrue' | 'sell' | 'approve' | 'distribute';
}

export interface FeeSaleDeps {
  store: RunStore<FeeSaleRecord>;
  provider: Provider;
  chainId: number;
  rebalancer: string;
  /** Index token addresses by symbol. */
  indexes: Readonly<Record<string, string>>;
  /** The index's sToken (the deployment's `s<symbol>`), if it has one. */
  sTokenOf(index: string): string | undefined;
  tokens: Readonly<Record<string, { address: string; decimals: number }>>;
  cashSymbol: string;
  /** Operator relayer: accrueFee and sellFee (OPERATOR_ROLE on the Rebalancer). */
  operator: SagaRelayer;
  /** The fee vault's relayer: approves and pays the stakers' share (its account is every index's fee vault). */
  feeVault: SagaRelayer & { address(): Promise<string> };
  priceAttester: { signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string> };
  priceOf(symbol: string): ReferencePrice | undefined;
  /** The PMMs asked for fee-sale bids (their `<rfqUrl>/fee-sale`). */
  pmms: () => Promise<readonly RebalancePmm[]>;
  settings: { orderTtlSeconds: number; rfqTimeoutMs: number; waitTimeoutMs: number };
  faults?: FeeSaleFaults;
  fetchImpl?: typeof fetch;
  log?: (message: string, details?: Record<string, unknown>) => void;
}

/** Store key of a run: its day, and the trigger when a rebalance asked for it. */
export const feeSaleKey = (runDate: string, trigger: FeeSaleTrigger): string => (trigger === 'schedule' ? runDate : `${runDate}#rebalance`);

export function newFeeSale(index: string, indexAddress: string, runDate: string, trigger: FeeSaleTrigger): FeeSaleRecord {
  const runId = `${index}:fee-sale:${runDate}${trigger === 'schedule' ? '' : ':rebalance'}`;
  const at = new Date().toISOString();
  return {
    index,
    sk: `${FEE_SALE_PREFIX}${feeSaleKey(runDate, trigger)}`,
    runId,
    runDate,
    trigger,
    indexAddress,
    status: 'running',
    step: 'created',
    version: 0,
    createdAt: at,
    updatedAt: at,
    txKeys: { accrue: `${runId}:accrue`, sell: `${runId}:sell`, approve: `${runId}:approve`, distribute: `${runId}:distribute` },
    history: [],
  };
}

export function nextFeeSaleStep(run: FeeSaleRecord): FeeSaleStep | undefined {
  if (run.status !== 'running') return undefined;
  const done = run.step === 'created' ? -1 : FEE_SALE_STEPS.indexOf(run.step);
  return FEE_SALE_STEPS[done + 1];
}

/** Runs (or resumes) the fee sale of `index` for `runDate` and `trigger` until it is over (see advanceFeeSale). */
export async function runFeeSale(deps: FeeSaleDeps, index: string, runDate: string, trigger: FeeSaleTrigger = 'schedule'): Promise<FeeSaleRecord> {
  const indexAddress = deps.indexes[index];
  if (!indexAddress) throw new Error(`no index ${index} in the deployment`);
  const run = (await deps.store.get(index, feeSaleKey(runDate, trigger))) ?? (await deps.store.create(newFeeSale(index, indexAddress, runDate, trigger)));
  return advanceFeeSale(deps, run);
}

/**
 * Advances a stored fee sale to its end. A RunFailure ends the run `failed` (nothing after a
 * failed step has been sent); any other error is transient and thrown, and the next invocation
 * resumes at the same step.
 */
export async function advanceFeeSale(deps: FeeSaleDeps, start: FeeSaleRecord): Promise<FeeSaleRecord> {
  let run = start;
  const log = deps.log ?? (() => undefined);
  for (let step = nextFeeSaleStep(run); step; step = nextFeeSaleStep(run)) {
    const at = () => new Date().toISOString();
    let outcome: StepOutcome;
    try {
      outcome = await FEE_SALE_IMPL[step](deps, run);
    } catch (error) {
      if (!(error instanceof RunFailure)) throw error;
      log('fee sale step failed', { runId: run.runId, step, reason: error.message });
      run = await deps.store.save(run, {
        ...run,
        status: 'failed',
        finishedAt: at(),
        failure: { step, reason: error.message },
        history: [...run.history, { step, at: at(), note: `failed: ${error.message}` }],
      });
      break;
    }
    const { patch, note, done } = outcome;
    const next: FeeSaleRecord = { ...run, ...patch, step, history: [...run.history, { step, at: at(), ...(note ? { note } : {}) }] };
    if (done || step === FEE_SALE_STEPS[FEE_SALE_STEPS.length - 1]) Object.assign(next, { status: 'completed', finishedAt: at() });
    run = await deps.store.save(run, next);
    log('fee sale step done', { runId: run.runId, step, note });
    if (deps.faults?.crashAfter === step) throw new InjectedCrash(step);
  }
  return run;
}

/** A step's output; `done` ends the run completed (nothing left to do). */
type StepOutcome = { patch: Partial<FeeSaleRecord>; note?: string; done?: boolean };

function send(deps: FeeSaleDeps, relayer: SagaRelayer, label: NonNullable<FeeSaleFaults['crashAfterSubmit']>, key: string, to: string, data: string): Promise<ActionRecord> {
  return relay(relayer, { key, to, data }, label, deps.settings.waitTimeoutMs, () => {
    if (deps.faults?.crashAfterSubmit === label) throw new InjectedCrash(`submitting ${label}`);
  });
}

function orderOf(deps: FeeSaleDeps, run: FeeSaleRecord): FeeSaleOrder {
  const q = run.quote!;
  return {
    index: run.indexAddress,
    assets: run.feeBasket!.assets,
    amounts: run.feeBasket!.amounts.map(BigInt),
    cashToken: deps.tokens[deps.cashSymbol]!.address,
    cashAmount: BigInt(q.cashAmount),
    maker: q.maker,
    deadline: BigInt(q.deadline),
    nonce: BigInt(q.nonce),
  };
}

async function receiptOf(deps: FeeSaleDeps, txHash: string) {
  const receipt = await deps.provider.getTransactionReceipt(txHash);
  if (!receipt) throw new Error(`receipt of ${txHash} not available yet`);
  return receipt;
}

const FEE_SALE_IMPL: Record<FeeSaleStep, (deps: FeeSaleDeps, run: FeeSaleRecord) => Promise<StepOutcome>> = {
  /** Accrues the fee on chain, then records the whole fee basket and reference prices of its assets and the cash token. */
  async accrue(deps, run) {
    const mined = await send(deps, deps.operator, 'accrue', run.txKeys.accrue, run.indexAddress, INDEX_INTERFACE.encodeFunctionData('accrueFee'));
    const token = new Contract(run.indexAddress, INDEX_INTERFACE, deps.provider);
    const [assets, amounts] = (await token.feeBasket({ blockTag: mined.blockNumber })) as [string[], bigint[]];
    const accrual = { txHash: mined.txHash, blockNumber: mined.blockNumber };
    if (assets.length === 0) return { patch: { accrual, skipped: 'the fee basket is empty' }, note: 'nothing to sell', done: true };
    const bySymbol = Object.entries(deps.tokens);
    const symbolOf = (address: string) => bySymbol.find(([, t]) => t.address.toLowerCase() === address.toLowerCase());
    const prices: NonNullable<FeeSaleRecord['prices']> = [];
    for (const address of [...assets, deps.tokens[deps.cashSymbol]!.address]) {
      const found = symbolOf(address);
      if (!found) throw new RunFailure(`the fee basket holds ${address}, which is not a deployed token`);
      const [symbol, t] = found;
      const price = deps.priceOf(symbol);
      if (!price || !(price.priceUsd > 0)) throw new RunFailure(`no reference price for ${symbol}`);
      prices.push({ symbol, asset: t.address, decimals: t.decimals, price: toFixedPoint(price.priceUsd).toString(), source: price.source, observedOn: price.observedOn });
    }
    const feeBasket = { assets: [...assets], amounts: amounts.map(String), valueUsd: '0' };
    const { prices: p, decimals } = priceMaps({ ...run, prices });
    feeBasket.valueUsd = legsValue(assets, amounts, p, decimals).toString();
    return { patch: { accrual, feeBasket, prices }, note: `${assets.length} fee assets worth ${feeBasket.valueUsd} (USD 1e18)` };
  },

  /** Asks every PMM to bid cash for the whole fee basket; the best valid bid (most cash) wins. */
  async quote(deps, run) {
    // The contract checks the deadline against block time: count from the chain's clock, not this machine's.
    const head = await deps.provider.getBlock('latest');
    if (!head) throw new Error('no latest block');
    const deadline = BigInt(head.timestamp + deps.settings.orderTtlSeconds);
    const { prices, decimals } = priceMaps(run);
    const domain = rebalancerDomain(deps.chainId, deps.rebalancer);
    const toleranceBps = (await new Contract(deps.rebalancer, REBALANCER_INTERFACE, deps.provider).toleranceBps()) as bigint;
    const asked = { index: run.indexAddress, assets: run.feeBasket!.assets, amounts: run.feeBasket!.amounts.map(BigInt), cashToken: deps.tokens[deps.cashSymbol]!.address };
    const { best, refused } = await bestPmmAnswer(
      await deps.pmms(),
      (pmm) => askPmm(deps, pmm, run, asked, deadline),
      (order, signature) => {
        const check = checkFeeSaleOrder({ domain, asked, order, signature, prices, decimals, toleranceBps });
        return { problem: check.problem, score: order.cashAmount };
      },
    );
    if (!best) throw new RunFailure(`no usable PMM bid: ${refused.map((r) => `${r.pmm}: ${r.reason}`).join('; ') || 'no PMM configured'}`);
    const { order } = best;
    return {
      patch: {
        quote: {
          pmm: best.pmm.name,
          maker: order.maker,
          nonce: order.nonce.toString(),
          deadline: order.deadline.toString(),
          cashAmount: order.cashAmount.toString(),
          signature: best.signature,
          ...(refused.length ? { refused } : {}),
        },
      },
      note: `bid of ${best.pmm.name}: ${order.cashAmount} ${deps.cashSymbol} units`,
    };
  },

  /** Re-checks the bid and the maker's role, and signs the reference prices with the price-attester key. */
  async verify(deps, run) {
    const order = orderOf(deps, run);
    const { prices, decimals } = priceMaps(run);
    const rebalancer = new Contract(deps.rebalancer, REBALANCER_INTERFACE, deps.provider);
    const toleranceBps = (await rebalancer.toleranceBps()) as bigint;
    const domain = rebalancerDomain(deps.chainId, deps.rebalancer);
    const check = checkFeeSaleOrder({ domain, asked: order, order, signature: run.quote!.signature, prices, decimals, toleranceBps });
    if (check.problem) throw new RunFailure(check.problem);
    const { attestation, attestationSignature } = await attestRunPrices(deps, run, order.maker, order.deadline, `${run.runId}:prices`);
    return {
      patch: {
        verification: {
          attestation: { assets: attestation.assets, prices: attestation.prices.map(String), validUntil: attestation.validUntil.toString(), nonce: attestation.nonce.toString() },
          attestationSignature,
          orderHash: hashFeeSaleOrder(domain, order),
          feeValue: check.feeValue.toString(),
          cashValue: check.cashValue.toString(),
        },
      },
      note: `fee assets ${check.feeValue}, cash ${check.cashValue} (USD 1e18)`,
    };
  },

  /** sellFee from recorded inputs only (a retry sends the same bytes under the same key); FeeSold and the declared split. */
  async sell(deps, run) {
    const v = run.verification!;
    const attestation = { index: run.indexAddress, assets: v.attestation.assets, prices: v.attestation.prices.map(BigInt), validUntil: BigInt(v.attestation.validUntil), nonce: BigInt(v.attestation.nonce) };
    const data = FEE_SALE_INTERFACE.encodeFunctionData('sellFee', [orderOf(deps, run), run.quote!.signature, attestation, v.attestationSignature]);
    const mined = await send(deps, deps.operator, 'sell', run.txKeys.sell, deps.rebalancer, data);
    const receipt = await receiptOf(deps, mined.txHash!);
    const event = receipt.logs
      .filter((l) => l.address.toLowerCase() === deps.rebalancer.toLowerCase())
      .map((l) => FEE_SALE_INTERFACE.parseLog(l))
      .find((e) => e?.name === 'FeeSold');
    if (!event) throw new RunFailure(`sellFee transaction ${mined.txHash} has no FeeSold event`);
    const cash = event.args.cashAmount as bigint;
    const split = splitFeeCash(cash, run.index);
    return {
      patch: {
        sale: {
          txHash: mined.txHash!,
          blockNumber: mined.blockNumber,
          orderHash: event.args.orderHash as string,
          cashAmount: cash.toString(),
          feeVault: event.args.feeVault as string,
          split: { stakers: split.stakers.toString(), protocol: split.protocol.toString() },
        },
      },
      note: `sold for ${cash}: stakers ${split.stakers}, protocol ${split.protocol}`,
    };
  },

  /** The fee vault approves the sToken for exactly the stakers' share (nothing to pay: skipped with the reason). */
  async approve(deps, run) {
    const reason = await whyNoDistribution(deps, run);
    if (reason) return { patch: { approval: { skipped: reason } }, note: `skipped: ${reason}` };
    const cash = deps.tokens[deps.cashSymbol]!.address;
    const data = CASH_INTERFACE.encodeFunctionData('approve', [deps.sTokenOf(run.index)!, BigInt(run.sale!.split.stakers)]);
    const mined = await send(deps, deps.feeVault, 'approve', run.txKeys.approve, cash, data);
    return { patch: { approval: { txHash: mined.txHash } } };
  },

  /** The fee vault pays the stakers' share: `distributeRewards` raises the sToken's reward-per-share index. */
  async distribute(deps, run) {
    if (run.approval?.skipped) return { patch: { distribution: { skipped: run.approval.skipped } }, note: `skipped: ${run.approval.skipped}` };
    const sToken = deps.sTokenOf(run.index)!;
    const data = STAKE_REWARDS_INTERFACE.encodeFunctionData('distributeRewards', [BigInt(run.sale!.split.stakers)]);
    const mined = await send(deps, deps.feeVault, 'distribute', run.txKeys.distribute, sToken, data);
    const receipt = await receiptOf(deps, mined.txHash!);
    const event = receipt.logs
      .filter((l) => l.address.toLowerCase() === sToken.toLowerCase())
      .map((l) => STAKE_REWARDS_INTERFACE.parseLog(l))
      .find((e) => e?.name === 'RewardsDistributed');
    if (!event) throw new RunFailure(`distributeRewards transaction ${mined.txHash} has no RewardsDistributed event`);
    return {
      patch: {
        distribution: {
          txHash: mined.txHash,
          sToken,
          amount: (event.args.amount as bigint).toString(),
          earningSupply: (event.args.earningSupply as bigint).toString(),
          rewardPerShare: (event.args.rewardPerShare as bigint).toString(),
        },
      },
      note: `paid ${event.args.amount} to ${event.args.earningSupply} earning sToken units`,
    };
  },
};

/**
 * Why the stakers' share cannot be paid, or undefined when it can: nothing to pay, no sToken, an
 * sToken paying another reward token, nobody staked or cooling (the share then stays in the fee
 * vault; docs/fees.md), or a fee vault this function does not hold the key of.
 */
async function whyNoDistribution(deps: FeeSaleDeps, run: FeeSaleRecord): Promise<string | undefined> {
  if (BigInt(run.sale!.split.stakers) === 0n) return "the stakers' share is zero";
  const address = deps.sTokenOf(run.index);
  if (!address) return `${run.index} has no sToken`;
  const sToken = new Contract(address, STAKE_REWARDS_INTERFACE, deps.provider);
  const [rewardToken, staked, cooling] = (await Promise.all([sToken.rewardToken(), sToken.totalSupply(), sToken.totalCooling()])) as [string, bigint, bigint];
  if (rewardToken.toLowerCase() !== deps.tokens[deps.cashSymbol]!.address.toLowerCase()) return `the sToken pays rewards in ${rewardToken}, not ${deps.cashSymbol}`;
  if (staked + cooling === 0n) return 'nobody is staked or cooling';
  const vault = await deps.feeVault.address();
  if (vault.toLowerCase() !== run.sale!.feeVault.toLowerCase()) throw new RunFailure(`the sale paid fee vault ${run.sale!.feeVault}, but this function pays from ${vault}`);
  return undefined;
}

/** POST `<pmm url>` with the fee basket; the answer completes it to a signed FeeSaleOrder. */
async function askPmm(
  deps: FeeSaleDeps,
  pmm: RebalancePmm,
  run: FeeSaleRecord,
  asked: { index: string; assets: readonly string[]; amounts: readonly bigint[]; cashToken: string },
  deadline: bigint,
): Promise<{ order: FeeSaleOrder; signature: string }> {
  const body = {
    requestId: run.runId,
    chainId: deps.chainId,
    rebalancer: deps.rebalancer,
    order: { index: asked.index, assets: asked.assets, amounts: asked.amounts.map(String), cashToken: asked.cashToken, deadline: deadline.toString() },
  };
  const answer = await postToPmm<{ maker: string; nonce: string; cashAmount: string; signature: string }>(deps, pmm.url, body);
  if (typeof answer.maker !== 'string' || typeof answer.signature !== 'string' || !/^\d{1,78}$/.test(answer.nonce ?? '') || !/^\d{1,78}$/.test(answer.cashAmount ?? '')) {
    throw new Error('malformed answer');
  }
  return {
    order: { ...asked, assets: [...asked.assets], amounts: [...asked.amounts], cashAmount: BigInt(answer.cashAmount!), maker: answer.maker, deadline, nonce: BigInt(answer.nonce!) },
    signature: answer.signature,
  };
}

/** Every fee sale of `indexes` still running (oldest first), then this tick's scheduled run of `runDate` when given. */
export async function runScheduledFeeSales(deps: FeeSaleDeps, indexes: readonly string[], runDate?: string) {
  const summaries: Array<Pick<FeeSaleRecord, 'runId' | 'status' | 'step' | 'failure' | 'skipped'>> = [];
  const summary = (r: FeeSaleRecord) => ({ runId: r.runId, status: r.status, step: r.step, ...(r.failure ? { failure: r.failure } : {}), ...(r.skipped ? { skipped: r.skipped } : {}) });
  for (const index of indexes) {
    for (const unfinished of await deps.store.unfinished(index)) {
      if (unfinished.runDate === runDate && unfinished.trigger === 'schedule') continue;
      summaries.push(summary(await advanceFeeSale(deps, unfinished)));
    }
    if (runDate) summaries.push(summary(await runFeeSale(deps, index, runDate)));
  }
  return summaries;
}
