/**
 * How the custodian service settles PMM deliveries: it watches the registered custodian wallets,
 * and each final incoming transfer whose sender named a pending mint request (its memo, OP_RETURN
 * or metadata) becomes a custodian-signed `Received` leg submitted to the AttestedIssuer. A PMM may
 * also name its transaction ids itself (`claim`). On an accepted redeem the service releases what is
 * due (`releaseAccepted`, `release`), once per asset (`ReleaseJournal`), and each final release becomes a `Released` leg.
 * An attested rebalance (AttestedRebalancer) takes the same legs under its rebalance id: a delivery naming it is a
 * custodian buy (`Received`), and once every buy is attested the service releases the custodian sells to the maker
 * (`releaseRebalance`), each final release a `Released` leg. The chain side is injected (`AttestedMintSink`,
 * `AttestedRedeemSink`, `AttestedRebalanceSink`), so this runs the same under a Lambda's relayer and in a test's signer.
 *
 * The custodian attests facts only: a leg says what arrived, and the contract decides whether it
 * settles the request (basket amount, wallet and signer registered, transaction id unused). The
 * service refuses up front what it can see is wrong (not final, outgoing, already used, no pending
 * request) so it never signs a statement it knows will not count.
 */
import { getAddress, type TypedDataDomain } from 'ethers';
import { isNativeChain, type NativeChain } from '../domain/custody/addresses';
import type { RebalanceOrder } from '../domain/rebalance-orders';
import { chainKey, nativeKey } from '../domain/custody/attestation';
import { custodianPlaceholder } from '../domain/custody/placeholder';
import type { CustodianAdapter, NativeTransfer } from '../domain/custody/port';
import type { CustodianService, SignedLeg } from './service';

/** The AttestedIssuer as the service needs it. */
export interface AttestedMintSink {
  /** Whether `requestId` is a pending mint still inside its deadline. */
  isPendingMint(requestId: string): Promise<boolean>;
  /** Whether (chain key, txId key) was used by an accepted leg. */
  isTxIdUsed(chain: string, txId: string): Promise<boolean>;
  /** Submits one signed leg; resolves with the contract's refusal (its custom error) when it reverts. */
  submitMint(requestId: string, leg: SignedLeg): Promise<{ ok: true; completed: boolean } | { ok: false; reason: string }>;
}

/**
 * The AttestedIssuer's redeem side as the service needs it (the contract's acceptRedeem fixes, per
 * custodian asset, the amount due and the keccak of the PMM's native destination).
 */
export interface AttestedRedeemSink {
  /** Whether `requestId` is an accepted redeem whose releases are still attested (pending or settled with legs owed). */
  isReleasable(requestId: string): Promise<boolean>;
  /** The units of `asset` (basket placeholder) due to the PMM, fixed on acceptance (zero if none). */
  redeemDue(requestId: string, asset: string): Promise<bigint>;
  /** keccak256 of the PMM's native address that `asset` is released to. */
  redeemDestination(requestId: string, asset: string): Promise<string>;
  /** Whether `asset` of `requestId` already has an accepted Released leg. */
  isReleased(requestId: string, asset: string): Promise<boolean>;
  /** Submits one signed Released leg; resolves with the contract's refusal when it reverts. */
  submitRedeem(requestId: string, leg: SignedLeg): Promise<{ ok: true; completed: boolean } | { ok: false; reason: string }>;
}

/** An AttestedRebalancer rebalance as the service needs it. */
export interface RebalanceView {
  status: 'pending' | 'completed' | 'cancelled' | 'settled';
  /** The order it was opened with (the contract takes it again with every attestation). */
  order: RebalanceOrder;
  /** Whether its deadline has not passed. */
  live: boolean;
  /** Whether the maker named its destinations and escrowed its on-chain buys. */
  accepted: boolean;
  /** Custodian buys not attested yet. */
  buysOutstanding: number;
  /**
   * Whether the index's basket still holds every sell of the order; completion reverts when it does not. The
   * AttestedIssuer accepts no redeem while the rebalance is pending, so only a change outside both contracts (a burn
   * by another holder of the index token's ISSUER_ROLE, a tokenset change by another rebalancer) can shrink it: the
   * service then releases nothing.
   */
  sellsCovered: boolean;
}

/** The AttestedRebalancer as the service needs it (buys are `Received` legs, sells `Released` legs). */
export interface AttestedRebalanceSink {
  /** The rebalance `rebalanceId`, undefined when there is none (or its order cannot be read). */
  rebalance(rebalanceId: string): Promise<RebalanceView | undefined>;
  /** keccak256 of the maker's native address for custodian sell `asset` (basket placeholder); zero before acceptance. */
  destination(rebalanceId: string, asset: string): Promise<string>;
  /** Whether custodian leg `asset` already has an accepted attestation. */
  isLegAttested(rebalanceId: string, asset: string): Promise<boolean>;
  /** Submits one signed leg with the rebalance's order; resolves with the contract's refusal when it reverts. */
  submitRebalance(rebalanceId: string, order: RebalanceOrder, leg: SignedLeg): Promise<{ ok: true; completed: boolean } | { ok: false; reason: string }>;
}

/** Why a rebalance takes no leg in `direction` now; undefined when it does (the contract checks the same). */
function rebalanceRefusal(view: RebalanceView, direction: NativeTransfer['direction']): string | undefined {
  if (view.status === 'settled') return direction === 'in' ? 'the rebalance is settled: it takes only the Released legs still owed' : undefined;
  if (view.status !== 'pending') return `the rebalance is ${view.status}`;
  if (!view.live) return 'the rebalance is past its deadline';
  if (direction === 'in') return undefined;
  if (!view.accepted) return 'the maker has not accepted the rebalance';
  if (view.buysOutstanding > 0) return `${view.buysOutstanding} custodian buy(s) not attested yet: the index gives only after it has received`;
  return view.sellsCovered ? undefined : 'the basket no longer holds every sell (it shrank since opening): completion would revert, so nothing is released; the rebalance is cancelled at its deadline';
}

/**
 * Remembers which (request, asset) releases were sent, so an asset is never released twice (a retry,
 * a second watcher). A crash between `claim` and the send leaves the leg unreleased for an operator to
 * see, never paid twice.
 */
export interface ReleaseJournal {
  /** Records the release of `asset` for `requestId`; false when it was recorded before. */
  claim(requestId: string, chain: NativeChain, asset: string): Promise<boolean>;
}

/** Where the watcher resumes per chain. */
export interface WatchCursor {
  get(chain: NativeChain): Promise<bigint>;
  put(chain: NativeChain, height: bigint): Promise<void>;
}

export type Settlement =
  | { outcome: 'attested'; requestId: string; chain: NativeChain; txId: string; asset: string; amount: bigint; completed: boolean }
  | { outcome: 'refused'; requestId: string; chain: NativeChain; txId: string; reason: string }
  | { outcome: 'waiting'; requestId: string; chain: NativeChain; txId: string; reason: string };

const REQUEST_ID = /^0x[0-9a-fA-F]{64}$/;

export class DeliverySettler {
  constructor(
    private readonly adapter: CustodianAdapter,
    private readonly service: CustodianService,
    /** The AttestedIssuer's EIP-712 domain. */
    private readonly domain: TypedDataDomain,
    private readonly sink: AttestedMintSink,
    /** The registered custodian wallets per chain. */
    private readonly wallets: Readonly<Partial<Record<NativeChain, readonly string[]>>>,
    /** The redeem side, where the contract has one. */
    private readonly redeems?: AttestedRedeemSink,
    /** The AttestedRebalancer, where the deployment has one. */
    private readonly rebalances?: AttestedRebalanceSink,
  ) {}

  /** Sends `amount` of `asset` from a registered wallet holding it to `to`, with `reference`; undefined when no wallet holds it. */
  /** A registered wallet on `chain` holding at least `amount` of `asset`, if any. */
  private async custodySource(chain: NativeChain, asset: string, amount: bigint): Promise<string | undefined> {
    const held = await this.adapter.balances(chain, this.wallets[chain] ?? []);
    return held.balances.find((b) => b.asset === asset && b.amount >= amount)?.wallet;
  }

  /**
   * Releases the custodian sells of rebalance `rebalanceId` once the maker accepted and every custodian buy
   * is attested: per destination, exactly the order's sold amount from a registered wallet holding it, to the
   * native address whose keccak the maker named on acceptance, with the rebalance id as reference. A sell
   * already released (a transfer out with this reference, final or not) is not released again. The releases
   * are attested as `Released` legs once final (`watch`), and the last one completes the rebalance.
   */
  async releaseRebalance(
    rebalanceId: string,
    destinations: ReadonlyArray<{ chain: NativeChain; asset: string; to: string }>,
    journal?: ReleaseJournal,
  ): Promise<Settlement[]> {
    const out: Settlement[] = [];
    const view = this.rebalances && REQUEST_ID.test(rebalanceId) ? await this.rebalances.rebalance(rebalanceId) : undefined;
    // The same for every destination: read once. Attested redeems of the index hold nothing back: one accepted before
    // the opening no longer changes the basket, and AttestedIssuer accepts none while the rebalance is pending.
    const refusal = view ? rebalanceRefusal(view, 'out') : 'no attested rebalance with this id';
    for (const { chain, asset, to } of destinations) {
      const at = { requestId: rebalanceId, chain, txId: '' };
      if (refusal) {
        out.push({ outcome: 'refused', ...at, reason: refusal });
        continue;
      }
      const placeholder = custodianPlaceholder(chain, asset).toLowerCase();
      const position = view!.order.sellAssets.findIndex((a) => a.toLowerCase() === placeholder);
      if (position < 0) {
        out.push({ outcome: 'refused', ...at, reason: `${asset} on ${chain} is not sold by the rebalance` });
        continue;
      }
      if (await this.rebalances!.isLegAttested(rebalanceId, placeholder)) {
        out.push({ outcome: 'refused', ...at, reason: `the sell of ${asset} on ${chain} is already attested` });
        continue;
      }
      if ((await this.rebalances!.destination(rebalanceId, placeholder)) !== nativeKey(to)) {
        out.push({ outcome: 'refused', ...at, reason: `${to} is not the destination the maker named on acceptance` });
        continue;
      }
      const wallets = this.wallets[chain] ?? [];
      const earlier = (await this.adapter.watch(chain, wallets, 0n)).transfers.find(
        (t) => t.direction === 'out' && t.asset === asset && t.reference?.toLowerCase() === rebalanceId.toLowerCase(),
      );
      if (earlier) {
        out.push({ outcome: 'waiting', ...at, txId: earlier.txId, reason: 'already released; attested once final' });
        continue;
      }
      const due = view!.order.sellAmounts[position]!;
      const wallet = await this.custodySource(chain, asset, due);
      if (!wallet) {
        out.push({ outcome: 'refused', ...at, reason: `no registered ${chain} wallet holds ${due} ${asset}` });
        continue;
      }
      if (journal && !(await journal.claim(rebalanceId, chain, asset))) {
        out.push({ outcome: 'refused', ...at, reason: `${asset} on ${chain} was already released for this rebalance` });
        continue;
      }
      const sent = await this.adapter.release({ chain, asset, wallet, to, amount: due, reference: rebalanceId });
      out.push({ outcome: 'waiting', ...at, txId: sent.txId, reason: 'released; attested once final' });
    }
    return out;
  }

  /**
   * Releases the custodian sells an accepted rebalance still owes the maker (`sellAssets`: the order's sells, from
   * its RebalanceAccepted; `custodian`: the registry's custodian assets by placeholder), to the whitelisted
   * address whose keccak the maker named, as `releaseAccepted` does for redeems. `outstanding` says whether the
   * rebalance still has a custodian sell without an attested release (so a watcher keeps coming back to it): a
   * release waits until every custodian buy is attested.
   */
  async releaseAcceptedRebalance(
    rebalanceId: string,
    sellAssets: readonly string[],
    custodian: ReadonlyMap<string, { readonly chain: string; readonly assetId: string }>,
    journal: ReleaseJournal,
  ): Promise<{ settlements: Settlement[]; outstanding: boolean }> {
    const view = this.rebalances ? await this.rebalances.rebalance(rebalanceId) : undefined;
    if (!view || (view.status !== 'pending' && view.status !== 'settled')) return { settlements: [], outstanding: false };
    const settlements: Settlement[] = [];
    const releasable: Array<{ chain: NativeChain; asset: string; to: string }> = [];
    let outstanding = false;
    for (const placeholder of sellAssets) {
      const info = custodian.get(getAddress(placeholder));
      if (!info || !isNativeChain(info.chain)) continue; // an on-chain sell: CustodyVault pays it on completion
      if (await this.rebalances!.isLegAttested(rebalanceId, placeholder)) continue;
      outstanding = true;
      const wanted = await this.rebalances!.destination(rebalanceId, placeholder);
      const to = (await this.adapter.whitelist(info.chain)).find((address) => nativeKey(address) === wanted);
      if (!to) {
        settlements.push({ outcome: 'refused', requestId: rebalanceId, chain: info.chain, txId: '', reason: `the maker's ${info.chain} destination is not on the custodian's withdrawal whitelist` });
        continue;
      }
      releasable.push({ chain: info.chain, asset: info.assetId, to });
    }
    if (releasable.length > 0) settlements.push(...(await this.releaseRebalance(rebalanceId, releasable, journal)));
    return { settlements, outstanding };
  }

  /** Attests and submits `transfer` as a leg of rebalance `rebalanceId` (a buy received or a sell released). */
  private async settleRebalance(rebalanceId: string, view: RebalanceView, transfer: NativeTransfer): Promise<Settlement> {
    const at = { requestId: rebalanceId, chain: transfer.chain, txId: transfer.txId };
    const refusal = rebalanceRefusal(view, transfer.direction);
    if (refusal) return { outcome: 'refused', ...at, reason: refusal };
    const signed = await this.service.attest(this.domain, rebalanceId, transfer);
    const submitted = await this.rebalances!.submitRebalance(rebalanceId, view.order, signed);
    if (!submitted.ok) return { outcome: 'refused', ...at, reason: submitted.reason };
    return { outcome: 'attested', ...at, asset: transfer.asset, amount: transfer.amount, completed: submitted.completed };
  }

  /**
   * Releases what an accepted redeem owes the PMM: per destination, exactly `redeemDue` of the asset
   * from a registered wallet holding enough, to the native address whose keccak the PMM named on
   * acceptance, with the request id as reference. The releases are attested once final (`watch`).
   */
  async release(requestId: string, destinations: ReadonlyArray<{ chain: NativeChain; asset: string; to: string }>, journal: ReleaseJournal): Promise<Settlement[]> {
    const out: Settlement[] = [];
    for (const { chain, asset, to } of destinations) {
      const at = { requestId, chain, txId: '' };
      if (!this.redeems || !(await this.redeems.isReleasable(requestId))) {
        out.push({ outcome: 'refused', ...at, reason: 'no accepted redeem with this id' });
        continue;
      }
      const placeholder = custodianPlaceholder(chain, asset);
      const due = await this.redeems.redeemDue(requestId, placeholder);
      if (due === 0n) {
        out.push({ outcome: 'refused', ...at, reason: `nothing of ${asset} on ${chain} is due` });
        continue;
      }
      if ((await this.redeems.redeemDestination(requestId, placeholder)) !== nativeKey(to)) {
        out.push({ outcome: 'refused', ...at, reason: `${to} is not the destination the PMM named on acceptance` });
        continue;
      }
      const wallet = await this.custodySource(chain, asset, due);
      if (!wallet) {
        out.push({ outcome: 'refused', ...at, reason: `no registered ${chain} wallet holds ${due} ${asset}` });
        continue;
      }
      if ((await this.redeems.isReleased(requestId, placeholder)) || !(await journal.claim(requestId, chain, asset))) {
        out.push({ outcome: 'refused', ...at, reason: `${asset} on ${chain} was already released for this request` });
        continue;
      }
      const { txId } = await this.adapter.release({ chain, asset, wallet, to, amount: due, reference: requestId });
      out.push({ outcome: 'waiting', requestId, chain, txId, reason: 'released; attested once final' });
    }
    return out;
  }

  /**
   * Releases every custodian asset an accepted redeem still owes (`assets`: the basket placeholders of
   * its RedeemAccepted; `custodian`: the registry's custodian assets by placeholder). The PMM's
   * destination is on chain only as a keccak, so it is matched against the custodian's withdrawal
   * whitelist: the custodian never releases to an address it has not whitelisted.
   */
  async releaseAccepted(
    requestId: string,
    assets: readonly string[],
    custodian: ReadonlyMap<string, { readonly chain: string; readonly assetId: string }>,
    journal: ReleaseJournal,
  ): Promise<Settlement[]> {
    const out: Settlement[] = [];
    if (!this.redeems || !(await this.redeems.isReleasable(requestId))) return out;
    for (const placeholder of assets) {
      const info = custodian.get(getAddress(placeholder));
      if (!info || !isNativeChain(info.chain)) continue; // an on-chain leg: CustodyVault pays it on completion
      const chain = info.chain;
      if ((await this.redeems.redeemDue(requestId, placeholder)) === 0n || (await this.redeems.isReleased(requestId, placeholder))) continue;
      const wanted = await this.redeems.redeemDestination(requestId, placeholder);
      const to = (await this.adapter.whitelist(chain)).find((address) => nativeKey(address) === wanted);
      if (!to) {
        out.push({ outcome: 'refused', requestId, chain, txId: '', reason: `the PMM's ${chain} destination is not on the custodian's withdrawal whitelist` });
        continue;
      }
      out.push(...(await this.release(requestId, [{ chain, asset: info.assetId, to }], journal)));
    }
    return out;
  }

  /** Attests and submits `transfer` as a leg of `requestId`, or says why not. */
  async settle(requestId: string, transfer: NativeTransfer): Promise<Settlement> {
    const at = { requestId, chain: transfer.chain, txId: transfer.txId };
    if (!transfer.final) return { outcome: 'waiting', ...at, reason: 'not final yet' };
    if (!(this.wallets[transfer.chain] ?? []).includes(transfer.wallet)) return { outcome: 'refused', ...at, reason: `${transfer.wallet} is not a registered custodian wallet` };
    if (await this.sink.isTxIdUsed(chainKey(transfer.chain), nativeKey(transfer.txId))) return { outcome: 'refused', ...at, reason: 'transaction id already used by an accepted leg' };
    const incoming = transfer.direction === 'in';
    if (incoming ? !(await this.sink.isPendingMint(requestId)) : !(await this.redeems?.isReleasable(requestId))) {
      const rebalance = await this.rebalances?.rebalance(requestId);
      if (rebalance) return this.settleRebalance(requestId, rebalance, transfer);
      return { outcome: 'refused', ...at, reason: incoming ? 'no pending mint request with this id' : 'no accepted redeem with this id' };
    }
    const signed = await this.service.attest(this.domain, requestId, transfer);
    const submitted = incoming ? await this.sink.submitMint(requestId, signed) : await this.redeems!.submitRedeem(requestId, signed);
    if (!submitted.ok) return { outcome: 'refused', ...at, reason: submitted.reason };
    return { outcome: 'attested', ...at, asset: transfer.asset, amount: transfer.amount, completed: submitted.completed };
  }

  /** A PMM names its delivery for `requestId` by native transaction id. */
  async claim(requestId: string, chain: NativeChain, txId: string): Promise<Settlement> {
    if (!REQUEST_ID.test(requestId)) return { outcome: 'refused', requestId, chain, txId, reason: 'a request id is 0x and 64 hex digits' };
    const transfer = await this.adapter.transaction(chain, txId, this.wallets[chain] ?? []);
    if (!transfer) return { outcome: 'refused', requestId, chain, txId, reason: 'the custodian sees no such transfer into its wallets' };
    return this.settle(requestId, transfer);
  }

  /**
   * One pass over every chain: settles each final delivery whose sender named a request id, and
   * moves the chain's cursor up to (not past) the oldest delivery still waiting for finality.
   */
  async watch(cursor: WatchCursor): Promise<Settlement[]> {
    const settlements: Settlement[] = [];
    for (const [chain, wallets] of Object.entries(this.wallets) as [NativeChain, readonly string[]][]) {
      const from = await cursor.get(chain);
      const seen = await this.adapter.watch(chain, wallets, from);
      let next = seen.cursor;
      for (const transfer of seen.transfers) {
        if (!transfer.reference || !REQUEST_ID.test(transfer.reference) || (transfer.direction === 'out' && !this.redeems && !this.rebalances)) continue;
        const settled = await this.settle(transfer.reference.toLowerCase(), transfer);
        if (settled.outcome === 'waiting' && transfer.height - 1n < next) next = transfer.height - 1n;
        settlements.push(settled);
      }
      await cursor.put(chain, next);
    }
    return settlements;
  }
}
