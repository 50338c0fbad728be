/**
 * The rebalance saga: one run per index and scheduled day, advanced step by step
 * (targets -> open -> plan -> quote -> verify -> settle -> confirm -> close), each step's output
 * recorded in DynamoDB (version-checked) before the next starts. Every on-chain action goes
 * through the operator relayer under a key derived from the run id, so a retried step re-submits
 * the same key and the relayer sends it at most once. A run that cannot finish records why and
 * still closes its window. See docs/rebalance.md.
 *
 * An index whose basket holds custodian assets (MAG7.ssi) cannot settle atomically: its run goes
 * through the AttestedRebalancer (docs/custody.md, "Attested rebalances") with the same steps.
 * `targets` also weighs the custodian assets; `open` opens no window (there is none) but waits while
 * an attested redeem of the index awaits acceptance, since accepting it burns part of the basket
 * `plan` reads (once the rebalance is open, AttestedIssuer refuses acceptances until it ends);
 * `quote` and `verify` sign under the AttestedRebalancer's domain, the order's deadline being
 * AttestedIssuer's request timeout (the time custodian legs have); `settle` opens the rebalance;
 * `confirm` waits (StepPending: the run stays running for the next invocation) while the maker
 * accepts and the custodian attests every leg, cancels it once past its deadline, then checks the
 * weights; `close` has no window to close.
 */
import { Contract, Interface, keccak256, toUtf8Bytes, type Provider, type TypedDataDomain, type TypedDataField } from 'ethers';
import type { IndexMethodology, UniverseSnapshot } from '../domain/methodology';
import { PRICE_ATTESTATION_TYPES, hashRebalanceOrder, rebalancerDomain, sortedLegs, type PriceAttestation, type RebalanceOrder } from '../domain/rebalance-orders';
import { toFixedPoint } from '../domain/quotes/amounts';
import type { ReferencePrice } from '../domain/quotes/nav';
import { describeRevert, isRevert } from '../relayer/revert';
import type { ActionRecord, RelayRequest } from '../relayer';
import { RelayFailed, sendAndWait, type RelayerPort } from '../relayer/port';
import { INDEX_TOKEN_ABI, ISSUER_ABI, REBALANCER_ABI, withErrorsOf } from '../shared/abi';
import { chainTime } from '../shared/chain';
import { ATTESTED_ISSUER_INTERFACE, requestsHoldingRebalance } from '../custody/attested-issuer';
import { ATTESTED_REBALANCER_INTERFACE, REBALANCE_STATUS } from '../custody/attested-rebalancer';
import { basketWeights, checkMakerOrder, checkWeights, computeTargets, feeSaleNeeded, isEmpty, planTrades, type DeployedAsset, type Legs, type Target } from './plan';
import { STEPS, runSortKey, type RunRecord, type RunStore, type Step, type StoredLegs } from './store';

// Opening a window goes through the Issuer (RequestsInFlight while requests are pending): its errors decode too.
export const REBALANCER_INTERFACE = new Interface(withErrorsOf(REBALANCER_ABI, ISSUER_ABI));
const TOKEN_INTERFACE = new Interface(INDEX_TOKEN_ABI);

/** A PMM asked for rebalance orders: its rebalance RFQ endpoint and the maker it signs as. */
export interface RebalancePmm {
  name: string;
  url: string;
  maker: string;
}

export interface SagaSettings {
  /** Largest |weight - target| a finished basket may show, per asset, in bps (default 50). */
  weightToleranceBps: number;
  /** How long a maker order and the attested prices stay valid (seconds). */
  orderTtlSeconds: number;
  rfqTimeoutMs: number;
  /** How long one invocation waits for a transaction before leaving it to the next. */
  waitTimeoutMs: number;
}

/** Test-only faults: stop the invocation right after a step is recorded, or right after a transaction is submitted. */
export interface SagaFaults {
  crashAfter?: Step;
  crashAfterSubmit?: 'open' | 'settle' | 'close';
}

export class InjectedCrash extends Error {
  constructor(readonly at: string) {
    super(`injected crash after ${at}`);
    this.name = 'InjectedCrash';
  }
}

/**
 * A step waiting on others (an attested rebalance's maker and custodian, an attested redeem awaiting acceptance): nothing
 * is recorded, the invocation stops and the run stays `running` for the next one (rebalance-resume).
 */
export class StepPending extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepPending';
  }
}

/** A step that cannot succeed for this run (no quote, price out of tolerance, a revert): the run fails and closes. */
export class RunFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunFailure';
  }
}

export interface SagaDeps {
  store: RunStore;
  provider: Provider;
  chainId: number;
  rebalancer: string;
  /** Index token addresses by symbol (the deployment's indexes). */
  indexes: Readonly<Record<string, string>>;
  /** The deployment's tokens by market symbol (the cash token is never a constituent). */
  tokens: Readonly<Record<string, { address: string; decimals: number }>>;
  cashSymbol: string;
  /** The deployment's custodian assets by symbol (basket placeholders of assets held on their native chains). */
  custodianAssets?: Readonly<Record<string, { chain: string; address: string; decimals: number }>>;
  /** The AttestedRebalancer and the AttestedIssuer, where the deployment has them: indexes on custodian assets rebalance there. */
  attested?: { rebalancer: string; issuer: string };
  relayer: RelayerPort;
  /** The price-attester KMS signer (PRICE_ATTESTER_ROLE, not the operator key): signs the PriceAttestation. */
  priceAttester: { signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string> };
  methodologyOf(index: string): IndexMethodology;
  /** The market snapshot targets are compiled from, for a run of `runDate`. */
  snapshotFor(runDate: string): UniverseSnapshot | Promise<UniverseSnapshot>;
  /** Reference prices (the same source the quote API and the PMMs use). */
  priceOf(symbol: string): ReferencePrice | undefined;
  priceSource: string;
  /** The PMMs asked for the rebalance order (the registry's enabled ones). */
  pmms: () => Promise<readonly RebalancePmm[]>;
  /**
   * Runs (or resumes) the fee sale of `index` the rebalance asks for when its fee basket is near the
   * cap (lambdas/rebalance/fee-sale.ts), to its end; resolves with how it ended.
   */
  sellFeeFirst(index: string, runDate: string): Promise<{ runId: string; status: 'running' | 'completed' | 'failed'; failure?: { reason: string } }>;
  settings: SagaSettings;
  faults?: SagaFaults;
  fetchImpl?: typeof fetch;
  now?: () => number;
  log?: (message: string, details?: Record<string, unknown>) => void;
}

export const runKeyPrefix = (runId: string) => `rebalance:${runId}`;

/** A fresh run record (status running, nothing done). */
export function newRun(index: string, indexAddress: string, runDate: string): RunRecord {
  const runId = `${index}:${runDate}`;
  const at = new Date().toISOString();
  const prefix = runKeyPrefix(runId);
  return {
    index,
    sk: runSortKey(runDate),
    runId,
    runDate,
    indexAddress,
    status: 'running',
    step: 'created',
    version: 0,
    createdAt: at,
    updatedAt: at,
    txKeys: { open: `${prefix}:open`, settle: `${prefix}:settle`, close: `${prefix}:close` },
    history: [],
  };
}

/** The step a run does next, or undefined when it is over. */
export function nextStep(run: RunRecord): Step | undefined {
  if (run.status !== 'running') return undefined;
  if (run.failure) return 'close';
  const done = run.step === 'created' ? -1 : STEPS.indexOf(run.step);
  return STEPS[done + 1];
}

const toLegs = (s: StoredLegs): Legs => ({
  sellAssets: s.sellAssets,
  sellAmounts: s.sellAmounts.map(BigInt),
  buyAssets: s.buyAssets,
  buyAmounts: s.buyAmounts.map(BigInt),
});
const fromLegs = (l: Legs): StoredLegs => ({
  sellAssets: l.sellAssets,
  sellAmounts: l.sellAmounts.map(String),
  buyAssets: l.buyAssets,
  buyAmounts: l.buyAmounts.map(String),
});

/**
 * Runs (or resumes) the rebalance of `index` for `runDate` until it is over, a transient problem
 * stops it (the error is thrown; the next invocation resumes), or an injected fault stops it.
 */
export async function runRebalance(deps: SagaDeps, index: string, runDate: string): Promise<RunRecord> {
  const indexAddress = deps.indexes[index];
  if (!indexAddress) throw new Error(`no index ${index} in the deployment`);
  const run = (await deps.store.get(index, runDate)) ?? (await deps.store.create(newRun(index, indexAddress, runDate)));
  return advance(deps, run);
}

/** Advances a stored run to its end (see runRebalance). */
export async function advance(deps: SagaDeps, start: RunRecord): Promise<RunRecord> {
  let run = start;
  const log = deps.log ?? (() => undefined);
  for (let step = nextStep(run); step; step = nextStep(run)) {
    let patch: Partial<RunRecord>;
    let note: string | undefined;
    try {
      ({ patch, note } = await STEP_IMPL[step](deps, run));
    } catch (error) {
      if (error instanceof StepPending) {
        log('rebalance step waiting', { runId: run.runId, step, reason: error.message });
        return run;
      }
      if (!(error instanceof RunFailure)) throw error;
      log('rebalance step failed', { runId: run.runId, step, reason: error.message });
      // Nothing on chain yet (targets, fee-check, or an open that reverted): the run ends here; else it closes its window.
      const windowMayBeOpen = step !== 'targets' && step !== 'fee-check' && step !== 'open';
      const failed: RunRecord = {
        ...run,
        failure: { step, reason: error.message },
        history: [...run.history, { step, at: new Date().toISOString(), note: `failed: ${error.message}` }],
        ...(windowMayBeOpen ? {} : { status: 'failed', finishedAt: new Date().toISOString() }),
      };
      run = await deps.store.save(run, failed);
      continue;
    }
    const at = new Date().toISOString();
    const next: RunRecord = { ...run, ...patch, step, history: [...run.history, { step, at, ...(note ? { note } : {}) }] };
    if (step === 'close') {
      next.status = run.failure || (next.check && !next.check.ok) ? 'failed' : 'completed';
      next.finishedAt = at;
    }
    run = await deps.store.save(run, next);
    log('rebalance step done', { runId: run.runId, step, note });
    if (deps.faults?.crashAfter === step) throw new InjectedCrash(step);
  }
  return run;
}

type StepImpl = (deps: SagaDeps, run: RunRecord) => Promise<{ patch: Partial<RunRecord>; note?: string }>;

/**
 * The assets a basket may hold: the deployment's tokens; for an attested run, its custodian assets in place of
 * any token of the same market symbol (an index on custodian assets holds BTC on Bitcoin, never a local ERC-20 BTC).
 */
function deployedAssets(deps: SagaDeps, attested: boolean): DeployedAsset[] {
  const custodian = attested ? Object.entries(deps.custodianAssets ?? {}).map(([symbol, a]) => ({ symbol, address: a.address, decimals: a.decimals })) : [];
  const heldNatively = new Set(custodian.map((a) => a.symbol));
  return [
    ...Object.entries(deps.tokens)
      .filter(([symbol]) => symbol !== deps.cashSymbol && !heldNatively.has(symbol))
      .map(([symbol, t]) => ({ symbol, address: t.address, decimals: t.decimals })),
    ...custodian,
  ];
}

/** The contract that verifies the run's order and prices: the AttestedRebalancer for an attested run. */
const verifyingContract = (deps: SagaDeps, run: RunRecord): string => run.attested?.rebalancer ?? deps.rebalancer;
const attestedRebalancerContract = (deps: SagaDeps, run: RunRecord) => new Contract(run.attested!.rebalancer, ATTESTED_REBALANCER_INTERFACE, deps.provider);
const rebalancerContract = (deps: SagaDeps) => new Contract(deps.rebalancer, REBALANCER_INTERFACE, deps.provider);
const tokenContract = (deps: SagaDeps, index: string) => new Contract(index, TOKEN_INTERFACE, deps.provider);

/** Prices and decimals of a run's recorded reference prices, keyed by lower-case address. */
export function priceMaps(run: { prices?: ReadonlyArray<{ asset: string; decimals: number; price: string }> }): { prices: Map<string, bigint>; decimals: Map<string, number> } {
  const prices = new Map<string, bigint>();
  const decimals = new Map<string, number>();
  for (const p of run.prices ?? []) {
    prices.set(p.asset.toLowerCase(), BigInt(p.price));
    decimals.set(p.asset.toLowerCase(), p.decimals);
  }
  return { prices, decimals };
}

/**
 * Asks every PMM at once and keeps the best answer: one that failed, is signed as another maker
 * than the registry's, or fails `check` is refused with the reason; among the rest the highest
 * `score` (what the index receives) wins. Undefined best: no usable answer.
 */
export async function bestPmmAnswer<O extends { maker: string }>(
  pmms: readonly RebalancePmm[],
  ask: (pmm: RebalancePmm) => Promise<{ order: O; signature: string }>,
  check: (order: O, signature: string) => { problem?: string; score: bigint },
): Promise<{ best?: { pmm: RebalancePmm; order: O; signature: string; score: bigint }; refused: Array<{ pmm: string; reason: string }> }> {
  const refused: Array<{ pmm: string; reason: string }> = [];
  let best: { pmm: RebalancePmm; order: O; signature: string; score: bigint } | undefined;
  const answers = await Promise.all(pmms.map((pmm) => ask(pmm).then((a) => ({ pmm, a }), (e: unknown) => ({ pmm, e: e as Error }))));
  for (const answer of answers) {
    if ('e' in answer) {
      refused.push({ pmm: answer.pmm.name, reason: answer.e.message });
      continue;
    }
    const { order, signature } = answer.a;
    if (order.maker.toLowerCase() !== answer.pmm.maker.toLowerCase()) {
      refused.push({ pmm: answer.pmm.name, reason: `signed as ${order.maker}, registered as ${answer.pmm.maker}` });
      continue;
    }
    const checked = check(order, signature);
    if (checked.problem) refused.push({ pmm: answer.pmm.name, reason: checked.problem });
    else if (!best || checked.score > best.score) best = { pmm: answer.pmm, order, signature, score: checked.score };
  }
  return { best, refused };
}

/**
 * Refuses a maker without MAKER_ROLE on the Rebalancer, then signs the run's reference prices as a
 * PriceAttestation with the price-attester key, valid until the order's deadline. The nonce is
 * derived from `nonceLabel`, one per run: a second attestation for the same run could never be used twice.
 */
export async function attestRunPrices(
  deps: Pick<SagaDeps, 'chainId' | 'rebalancer' | 'provider' | 'priceAttester'>,
  run: { indexAddress: string; prices?: ReadonlyArray<{ asset: string; price: string }> },
  maker: string,
  validUntil: bigint,
  nonceLabel: string,
  /** The contract the prices are for (the AttestedRebalancer of an attested run); MAKER_ROLE is always the Rebalancer's. */
  verifier = deps.rebalancer,
): Promise<{ attestation: PriceAttestation; attestationSignature: string }> {
  const rebalancer = new Contract(deps.rebalancer, REBALANCER_INTERFACE, deps.provider);
  if (!((await rebalancer.hasRole(await rebalancer.MAKER_ROLE(), maker)) as boolean)) throw new RunFailure(`maker ${maker} lacks MAKER_ROLE on the Rebalancer`);
  const attested = sortedLegs((run.prices ?? []).map((p) => ({ asset: p.asset, amount: BigInt(p.price) })));
  const attestation: PriceAttestation = {
    index: run.indexAddress,
    assets: attested.assets,
    prices: attested.amounts,
    validUntil,
    nonce: BigInt(keccak256(toUtf8Bytes(nonceLabel))),
  };
  const domain = rebalancerDomain(deps.chainId, verifier);
  const attestationSignature = await deps.priceAttester.signTypedData(domain, PRICE_ATTESTATION_TYPES, attestation as unknown as Record<string, unknown>);
  return { attestation, attestationSignature };
}

/** POSTs `body` to a PMM's RFQ endpoint and returns its JSON answer; an HTTP error throws with the PMM's reason. */
export async function postToPmm<A>(deps: { fetchImpl?: typeof fetch; settings: { rfqTimeoutMs: number } }, url: string, body: unknown): Promise<Partial<A>> {
  const response = await (deps.fetchImpl ?? fetch)(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(deps.settings.rfqTimeoutMs),
  });
  const answer = (await response.json().catch(() => ({}))) as Partial<A> & { error?: string };
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${answer.error ?? 'no reason'}`);
  return answer;
}

const storedTargets = (run: RunRecord): Target[] => (run.targets ?? []).map((t) => ({ symbol: t.symbol, asset: t.asset, weight: BigInt(t.weight) }));

/** A relayer as the sagas use it. */
export type SagaRelayer = RelayerPort;

/**
 * Submits an on-chain action under its idempotency key and waits for it; a revert or a replacement
 * is a RunFailure, anything else transient (thrown, the next invocation re-submits the same key).
 * `crash` is the test-only fault hook, called right after the relayer accepted the action.
 */
export async function relay(relayer: SagaRelayer, request: RelayRequest, label: string, waitTimeoutMs: number, crash?: () => void): Promise<ActionRecord> {
  let done: ActionRecord;
  try {
    return await sendAndWait(relayer, request, { timeoutMs: waitTimeoutMs, onSubmitted: () => crash?.() });
  } catch (error) {
    if (!(error instanceof RelayFailed)) throw error;
    done = error.action;
  }
  const code = done.failure?.code ?? 'unknown';
  if (code === 'would_revert' || code === 'reverted') throw new RunFailure(`${label} transaction ${code.replace('_', ' ')}: ${done.failure?.reason ?? 'no reason'}`);
  if (done.status === 'replaced') throw new RunFailure(`${label} transaction was replaced by another use of its nonce: ${done.failure?.reason ?? ''}`);
  // KMS refusals and missing funds leave the action re-submittable under its key: try again next invocation.
  throw new Error(`${label} transaction ${request.key} failed transiently (${code}: ${done.failure?.reason ?? ''}); the next invocation retries it`);
}

/** A rebalancer action of the run under its key (see relay); `to` the AttestedRebalancer for an attested run. */
async function transact(deps: SagaDeps, key: string, data: string, label: 'open' | 'settle' | 'close' | 'cancel', to = deps.rebalancer): Promise<ActionRecord> {
  return relay(deps.relayer, { key, to, data }, label, deps.settings.waitTimeoutMs, () => {
    if (deps.faults?.crashAfterSubmit === label) throw new InjectedCrash(`submitting ${label}`);
  });
}

export const STEP_IMPL: Record<Step, StepImpl> = {
  /** Targets from the methodology on the run's snapshot, and reference prices of every asset involved. */
  async targets(deps, run) {
    const token = tokenContract(deps, run.indexAddress);
    const [current] = (await token.tokenset()) as [string[], bigint[]];
    // The Rebalancer moves only ERC-20s out of CustodyVault; custodian legs need the AttestedRebalancer.
    const custodian = Object.entries(deps.custodianAssets ?? {}).filter(([, a]) => current.some((held) => held.toLowerCase() === a.address.toLowerCase()));
    if (custodian.length > 0 && !deps.attested) {
      throw new RunFailure(
        `${run.index} holds custodian assets (${custodian.map(([symbol, a]) => `${symbol} on ${a.chain}`).join(', ')}): its rebalance settles by custodian attestation through an AttestedRebalancer, which the deployment lacks (docs/custody.md)`,
      );
    }
    const attested = custodian.length > 0 ? { rebalancer: deps.attested!.rebalancer } : undefined;
    const deployed = deployedAssets(deps, attested !== undefined);
    const byAddress = new Map(deployed.map((a) => [a.address.toLowerCase(), a]));
    const incumbents = current.map((a) => byAddress.get(a.toLowerCase())?.symbol).filter((s): s is string => !!s);
    let snapshot: UniverseSnapshot;
    try {
      snapshot = await deps.snapshotFor(run.runDate);
    } catch (error) {
      throw new RunFailure(`no market snapshot for ${run.runDate}: ${(error as Error).message}`);
    }
    let computed: ReturnType<typeof computeTargets>;
    try {
      computed = computeTargets(deps.methodologyOf(run.index), snapshot, deployed, incumbents);
    } catch (error) {
      throw new RunFailure(`cannot compute targets on ${snapshot.date}: ${(error as Error).message}`);
    }
    const involved = new Set([...computed.targets.map((t) => t.asset.toLowerCase()), ...current.map((a) => a.toLowerCase())]);
    const prices: NonNullable<RunRecord['prices']> = [];
    for (const address of involved) {
      const asset = byAddress.get(address);
      if (!asset) throw new RunFailure(`the basket holds ${address}, which is not a deployed token`);
      const price = deps.priceOf(asset.symbol);
      if (!price || !(price.priceUsd > 0)) throw new RunFailure(`no reference price for ${asset.symbol}`);
      prices.push({ symbol: asset.symbol, asset: asset.address, decimals: asset.decimals, price: toFixedPoint(price.priceUsd).toString(), source: price.source, observedOn: price.observedOn });
    }
    return {
      patch: {
        marketDate: snapshot.date,
        targets: computed.targets.map((t) => ({ symbol: t.symbol, asset: t.asset, weight: t.weight.toString() })),
        prices,
        priceSource: deps.priceSource,
        ...(attested ? { attested } : {}),
      },
      note: `${computed.targets.length} constituents from the ${snapshot.date} snapshot${attested ? `; custodian assets settle through the AttestedRebalancer ${attested.rebalancer}` : ''}`,
    };
  },

  /**
   * Before the window opens: if the fee basket is near its cap (feeSaleNeeded), the fee sale runs
   * first, so this rebalance and the next can still move the pending fee into the fee basket.
   */
  async 'fee-check'(deps, run) {
    const token = tokenContract(deps, run.indexAddress);
    const read = async () => {
      const [[feeAssets, maxFeeAssets], [assets]] = (await Promise.all([token.feeBasketSize(), token.tokenset()])) as [[bigint, bigint], [string[]]];
      return { feeAssets: Number(feeAssets), tokensetAssets: assets.length, targetAssets: run.targets?.length ?? 0, maxFeeAssets: Number(maxFeeAssets) };
    };
    const before = await read();
    if (!feeSaleNeeded(before)) return { patch: { feeCheck: before }, note: `fee basket ${before.feeAssets} of ${before.maxFeeAssets} assets: no fee sale needed` };
    // Rebalancer.sellFee pays fee assets out of CustodyVault: a fee basket of custodian assets has no sale yet.
    if (run.attested) throw new RunFailure(`the fee basket is near its cap (${before.feeAssets} of ${before.maxFeeAssets} assets) and fee sales of custodian fee baskets are not built (docs/custody.md)`);
    const sale = await deps.sellFeeFirst(run.index, run.runDate);
    if (sale.status !== 'completed') throw new RunFailure(`the fee basket is near its cap (${before.feeAssets} of ${before.maxFeeAssets} assets) and fee sale ${sale.runId} failed: ${sale.failure?.reason ?? sale.status}`);
    const after = await read();
    if (feeSaleNeeded(after)) throw new RunFailure(`the fee basket is still near its cap after fee sale ${sale.runId} (${after.feeAssets} of ${after.maxFeeAssets} assets)`);
    return { patch: { feeCheck: { ...after, feeSaleRunId: sale.runId } }, note: `fee basket was ${before.feeAssets} of ${before.maxFeeAssets} assets: sold first (${sale.runId}), now ${after.feeAssets}` };
  },

  /** Opens the window: mint and redeem stop, the basket freezes. An attested run has no window (see the header). */
  async open(deps, run) {
    if (run.attested) {
      const { mints, redeems } = await requestsHoldingRebalance(deps.provider, deps.attested!.issuer, run.indexAddress, await chainTime(deps.provider));
      if (mints.length + redeems.length > 0) {
        throw new StepPending(
          `attested requests of ${run.index} pending: ${mints.length} mint(s) (${mints.join(', ')}), ${redeems.length} redeem(s) awaiting acceptance (${redeems.join(', ')}); the rebalance waits until they end or expire`,
        );
      }
      return { patch: {}, note: 'no window: the AttestedRebalancer fixes the legs at settle and applies them to the basket and supply of its completion; no attested mint pending, no attested redeem awaiting acceptance' };
    }
    const mined = await transact(deps, run.txKeys.open, REBALANCER_INTERFACE.encodeFunctionData('openWindow', [run.indexAddress]), 'open');
    return { patch: { window: { txHash: mined.txHash, blockNumber: mined.blockNumber } } };
  },

  /** The legs from the frozen basket to the targets at the run's prices. */
  async plan(deps, run) {
    const token = tokenContract(deps, run.indexAddress);
    const [[assets, amounts], supply] = (await Promise.all([token.basket(), token.totalSupply()])) as [[string[], bigint[]], bigint];
    if (supply === 0n) throw new RunFailure('the index has no supply: nothing to trade (resetTokenset is a manual operation)');
    const { prices, decimals } = priceMaps(run);
    const legs = planTrades({ assets, amounts }, storedTargets(run), prices, decimals);
    const empty = isEmpty(legs);
    return {
      patch: { plan: { ...fromLegs(legs), supply: supply.toString(), basketAssets: [...assets], basketAmounts: amounts.map(String), empty } },
      note: empty ? 'the basket is already at its targets' : `${legs.sellAssets.length} sells, ${legs.buyAssets.length} buys`,
    };
  },

  /** Asks every PMM for a signed order for the planned legs; the best valid answer (most bought value) wins. */
  async quote(deps, run) {
    if (run.plan!.empty) return { patch: {}, note: 'skipped: nothing to trade' };
    const legs = toLegs(run.plan!);
    // An attested rebalance's deadline is also its custodian legs' deadline: AttestedIssuer's request timeout.
    const ttl = run.attested ? Number((await new Contract(deps.attested!.issuer, ATTESTED_ISSUER_INTERFACE, deps.provider).getFunction('requestTimeout')()) as bigint) : deps.settings.orderTtlSeconds;
    const deadline = BigInt(Math.floor((deps.now?.() ?? Date.now()) / 1000) + ttl);
    const { prices, decimals } = priceMaps(run);
    const domain = rebalancerDomain(deps.chainId, verifyingContract(deps, run));
    const toleranceBps = (await rebalancerContract(deps).toleranceBps()) as bigint;
    const { best, refused } = await bestPmmAnswer(
      await deps.pmms(),
      (pmm) => askPmm(deps, pmm, run, legs, deadline),
      (order, signature) => {
        const check = checkMakerOrder({ domain, index: run.indexAddress, plan: legs, order, signature, prices, decimals, toleranceBps });
        return { problem: check.problem, score: check.boughtValue };
      },
    );
    if (!best) throw new RunFailure(`no usable PMM quote: ${refused.map((r) => `${r.pmm}: ${r.reason}`).join('; ') || 'no PMM configured'}`);
    return {
      patch: {
        quote: {
          pmm: best.pmm.name,
          maker: best.order.maker,
          nonce: best.order.nonce.toString(),
          deadline: best.order.deadline.toString(),
          buyAmounts: best.order.buyAmounts.map(String),
          signature: best.signature,
          ...(refused.length ? { refused } : {}),
        },
      },
      note: `quote of ${best.pmm.name}`,
    };
  },

  /** Re-checks the quote (maker role too), signs the reference prices with the price-attester key, and previews the settlement. */
  async verify(deps, run) {
    if (run.plan!.empty) return { patch: {}, note: 'skipped: nothing to trade' };
    const order = orderOf(run);
    const legs = toLegs(run.plan!);
    const { prices, decimals } = priceMaps(run);
    const rebalancer = rebalancerContract(deps);
    const toleranceBps = (await rebalancer.toleranceBps()) as bigint;
    const domain = rebalancerDomain(deps.chainId, verifyingContract(deps, run));
    const check = checkMakerOrder({ domain, index: run.indexAddress, plan: legs, order, signature: run.quote!.signature, prices, decimals, toleranceBps });
    if (check.problem) throw new RunFailure(check.problem);
    const { attestation, attestationSignature } = await attestRunPrices(deps, run, order.maker, order.deadline, `${runKeyPrefix(run.runId)}:prices`, verifyingContract(deps, run));
    // The AttestedRebalancer has no preview: the relayer simulates its `open` before sending, and a revert fails the run there.
    if (!run.attested) {
      try {
        await rebalancer.previewSettlement(order, run.quote!.signature, attestation, attestationSignature);
      } catch (error) {
        if (!isRevert(error)) throw error;
        throw new RunFailure(`the settlement would revert: ${describeRevert(error, REBALANCER_INTERFACE).reason}`);
      }
    }
    return {
      patch: {
        verification: {
          soldValue: check.soldValue.toString(),
          boughtValue: check.boughtValue.toString(),
          toleranceBps: Number(toleranceBps),
          attestation: { assets: attestation.assets, prices: attestation.prices.map(String), validUntil: attestation.validUntil.toString(), nonce: attestation.nonce.toString() },
          attestationSignature,
          orderHash: hashRebalanceOrder(domain, order),
        },
      },
      note: `sold ${check.soldValue}, bought ${check.boughtValue} (USD 1e18)`,
    };
  },

  /**
   * Submits settle(order, makerSignature, attestation, attestationSignature), or for an attested run the
   * AttestedRebalancer's open with the same arguments: recorded inputs only, so a retry sends the same bytes.
   */
  async settle(deps, run) {
    if (run.plan!.empty) return { patch: { settlement: { skipped: true } }, note: 'skipped: nothing to trade' };
    const v = run.verification!;
    const attestation = { index: run.indexAddress, assets: v.attestation.assets, prices: v.attestation.prices.map(BigInt), validUntil: BigInt(v.attestation.validUntil), nonce: BigInt(v.attestation.nonce) };
    const args = [orderOf(run), run.quote!.signature, attestation, v.attestationSignature];
    if (run.attested) {
      const mined = await transact(deps, run.txKeys.settle, ATTESTED_REBALANCER_INTERFACE.encodeFunctionData('open', args), 'settle', run.attested.rebalancer);
      const receipt = await deps.provider.getTransactionReceipt(mined.txHash!);
      if (!receipt) throw new Error(`receipt of ${mined.txHash} not available yet`);
      const opened = receipt.logs
        .filter((l) => l.address.toLowerCase() === run.attested!.rebalancer.toLowerCase())
        .map((l) => ATTESTED_REBALANCER_INTERFACE.parseLog(l))
        .find((e) => e?.name === 'RebalanceOpened');
      if (!opened) throw new RunFailure(`open transaction ${mined.txHash} has no RebalanceOpened event`);
      const rebalanceId = opened.args.rebalanceId as string;
      return {
        patch: { settlement: { txHash: mined.txHash, blockNumber: mined.blockNumber }, attested: { ...run.attested, rebalanceId } },
        note: `attested rebalance ${rebalanceId} opened: the maker accepts, the custodian attests each custodian leg`,
      };
    }
    const mined = await transact(deps, run.txKeys.settle, REBALANCER_INTERFACE.encodeFunctionData('settle', args), 'settle');
    return { patch: { settlement: { txHash: mined.txHash, blockNumber: mined.blockNumber } } };
  },

  /** Reads RebalanceSettled from the receipt and checks the new basket's weights against the targets at the run's prices. */
  async confirm(deps, run) {
    const settlement = { ...run.settlement };
    let attested = run.attested;
    if (attested?.rebalanceId) {
      const ended = await endAttested(deps, run);
      Object.assign(settlement, ended.settlement);
      attested = { ...attested, ...ended.attested };
    } else if (settlement.txHash) {
      const receipt = await deps.provider.getTransactionReceipt(settlement.txHash);
      if (!receipt) throw new Error(`receipt of ${settlement.txHash} not available yet`);
      const event = receipt.logs
        .filter((l) => l.address.toLowerCase() === deps.rebalancer.toLowerCase())
        .map((l) => REBALANCER_INTERFACE.parseLog(l))
        .find((e) => e?.name === 'RebalanceSettled');
      if (!event) throw new RunFailure(`settle transaction ${settlement.txHash} has no RebalanceSettled event`);
      Object.assign(settlement, {
        orderHash: event.args.orderHash as string,
        soldValue: (event.args.soldValue as bigint).toString(),
        boughtValue: (event.args.boughtValue as bigint).toString(),
        assets: [...(event.args.assets as string[])],
        unitAmounts: (event.args.unitAmounts as bigint[]).map(String),
      });
    }
    const token = tokenContract(deps, run.indexAddress);
    const [assets, amounts] = (await token.basket()) as [string[], bigint[]];
    const { prices, decimals } = priceMaps(run);
    const check = checkWeights(basketWeights({ assets, amounts }, prices, decimals), storedTargets(run), deps.settings.weightToleranceBps);
    return {
      patch: { settlement, check, ...(attested ? { attested } : {}) },
      note: `${attested?.status === 'settled' ? 'settled past its deadline (the custodian owes the maker the unreleased sells); ' : ''}largest weight deviation ${check.maxDeviationBps.toFixed(2)} bps (tolerance ${check.toleranceBps})${check.ok ? '' : ': OFF TARGET'}`,
    };
  },

  /** Closes the window; one already closed by someone else (anyone may after expiry) counts as closed. An attested run has none. */
  async close(deps, run) {
    if (run.attested) return { patch: { close: {} }, note: 'no window to close (attested rebalance)' };
    try {
      const mined = await transact(deps, run.txKeys.close, REBALANCER_INTERFACE.encodeFunctionData('closeWindow', [run.indexAddress]), 'close');
      return { patch: { close: { txHash: mined.txHash, blockNumber: mined.blockNumber } } };
    } catch (error) {
      if (!(error instanceof RunFailure)) throw error;
      const window = (await rebalancerContract(deps).window(run.indexAddress)) as { openedAt: bigint };
      if (window.openedAt === 0n) return { patch: { close: {} }, note: 'window was already closed' };
      // The window is open and cannot be closed by us: keep trying on later invocations, never leave it silently.
      throw new Error(`cannot close the window of ${run.index}: ${error.message}`);
    }
  },
};

/**
 * Waits for the attested rebalance of `run` to end: StepPending while it is pending inside its deadline;
 * past it, cancels it (anyone may); a cancelled rebalance fails the run. Returns what completion recorded.
 */
async function endAttested(deps: SagaDeps, run: RunRecord): Promise<{ settlement: NonNullable<RunRecord['settlement']>; attested: Partial<NonNullable<RunRecord['attested']>> }> {
  const rebalanceId = run.attested!.rebalanceId!;
  const contract = attestedRebalancerContract(deps, run);
  const read = async () => {
    // An ethers Result: its named fields do not survive a spread, so each is read.
    const r = (await contract.getFunction('getRebalance')(rebalanceId)) as { deadline: bigint; buysDue: bigint; buysAttested: bigint; sellsDue: bigint; sellsAttested: bigint; accepted: boolean; status: bigint };
    const { deadline, buysDue, buysAttested, sellsDue, sellsAttested, accepted } = r;
    return { deadline, buysDue, buysAttested, sellsDue, sellsAttested, accepted, status: REBALANCE_STATUS[Number(r.status)] ?? 'none' };
  };
  let r = await read();
  const progress = () => `accepted ${r.accepted}, custodian buys attested ${r.buysAttested} of ${r.buysDue}, sells ${r.sellsAttested} of ${r.sellsDue}`;
  let cancel: { txHash?: string; blockNumber?: number } | undefined;
  if (r.status === 'pending') {
    if ((await chainTime(deps.provider)) <= r.deadline) throw new StepPending(`attested rebalance ${rebalanceId} is pending until ${new Date(Number(r.deadline) * 1000).toISOString()}: ${progress()}`);
    const mined = await transact(deps, `${runKeyPrefix(run.runId)}:cancel`, ATTESTED_REBALANCER_INTERFACE.encodeFunctionData('cancel', [rebalanceId, orderOf(run)]), 'cancel', run.attested!.rebalancer);
    cancel = { txHash: mined.txHash, blockNumber: mined.blockNumber };
    r = await read();
  }
  if (r.status === 'cancelled') throw new RunFailure(`attested rebalance ${rebalanceId} was cancelled past its deadline${cancel ? ` (${cancel.txHash})` : ''}: ${progress()}; basket and custody unchanged`);
  if (r.status !== 'completed' && r.status !== 'settled') throw new RunFailure(`attested rebalance ${rebalanceId} is ${r.status}`);
  const [opened] = await contract.queryFilter(contract.filters.RebalanceOpened!(rebalanceId));
  const [completed] = await contract.queryFilter(contract.filters.RebalanceCompleted!(rebalanceId));
  const o = opened && 'args' in opened ? opened.args : undefined;
  const c = completed && 'args' in completed ? completed.args : undefined;
  if (!o || !c) throw new RunFailure(`attested rebalance ${rebalanceId} is ${r.status} but its RebalanceOpened or RebalanceCompleted event is missing`);
  return {
    settlement: {
      orderHash: o.orderHash as string,
      soldValue: (o.soldValue as bigint).toString(),
      boughtValue: (o.boughtValue as bigint).toString(),
      assets: [...(c.assets as string[])],
      unitAmounts: (c.unitAmounts as bigint[]).map(String),
    },
    attested: { status: r.status, ...(cancel ? { cancel } : {}) },
  };
}

function orderOf(run: RunRecord): RebalanceOrder {
  const legs = toLegs(run.plan!);
  const q = run.quote!;
  return {
    index: run.indexAddress,
    sellAssets: legs.sellAssets,
    sellAmounts: legs.sellAmounts,
    buyAssets: legs.buyAssets,
    buyAmounts: q.buyAmounts.map(BigInt),
    maker: q.maker,
    deadline: BigInt(q.deadline),
    nonce: BigInt(q.nonce),
  };
}

/** POST <pmm url> with the draft; the answer completes it to a signed order. */
async function askPmm(deps: SagaDeps, pmm: RebalancePmm, run: RunRecord, legs: Legs, deadline: bigint): Promise<{ order: RebalanceOrder; signature: string }> {
  const body = {
    requestId: run.runId,
    chainId: deps.chainId,
    rebalancer: verifyingContract(deps, run),
    order: { index: run.indexAddress, ...fromLegs(legs), deadline: deadline.toString() },
  };
  const answer = await postToPmm<{ maker: string; nonce: string; buyAmounts: string[]; signature: string }>(deps, pmm.url, body);
  if (typeof answer.maker !== 'string' || typeof answer.nonce !== 'string' || !Array.isArray(answer.buyAmounts) || typeof answer.signature !== 'string') {
    throw new Error('malformed answer');
  }
  if (answer.buyAmounts.length !== legs.buyAssets.length || !answer.buyAmounts.every((a) => /^\d{1,78}$/.test(a)) || !/^\d{1,78}$/.test(answer.nonce)) {
    throw new Error('malformed amounts or nonce');
  }
  return {
    order: { index: run.indexAddress, ...legs, buyAmounts: answer.buyAmounts.map(BigInt), maker: answer.maker, deadline, nonce: BigInt(answer.nonce) },
    signature: answer.signature,
  };
}

/** What one invocation did, per run. */
export interface RunSummary {
  runId: string;
  status: RunRecord['status'];
  step: RunRecord['step'];
  failure?: RunRecord['failure'];
}

/**
 * A scheduled invocation: for each index, first every run still `running` (a crash or timeout
 * left it; oldest first, so an open window is closed before a new one is tried), then this tick's
 * run of `runDate` when given.
 */
export async function runScheduled(deps: SagaDeps, indexes: readonly string[], runDate?: string): Promise<RunSummary[]> {
  const summaries: RunSummary[] = [];
  const summary = (r: RunRecord): RunSummary => ({ runId: r.runId, status: r.status, step: r.step, ...(r.failure ? { failure: r.failure } : {}) });
  for (const index of indexes) {
    for (const unfinished of await deps.store.unfinished(index)) {
      if (unfinished.runDate === runDate) continue;
      summaries.push(summary(await advance(deps, unfinished)));
    }
    if (runDate) summaries.push(summary(await runRebalance(deps, index, runDate)));
  }
  return summaries;
}
