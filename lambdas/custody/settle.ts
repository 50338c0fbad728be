/**
 * How the custodian service settles PMM deliveries: it watches the registered custodian wallets,
 * and each final incoming transfer whose sender named a pending mint request (its memo, OP_RETURN
 * or metadata) becomes a custodian-signed `Received` leg submitted to the AttestedIssuer. A PMM may
 * also name its transaction ids itself (`claim`). On an accepted redeem the service releases what is
 * due (`releaseAccepted`, `release`), once per asset (`ReleaseJournal`), and each final release becomes a `Released` leg. The chain side is injected (`AttestedMintSink`),
 * so this runs the same under a Lambda's relayer and in a test's signer.
 *
 * The custodian attests facts only: a leg says what arrived, and the contract decides whether it
 * settles the request (basket amount, wallet and signer registered, transaction id unused). The
 * service refuses up front what it can see is wrong (not final, outgoing, already used, no pending
 * request) so it never signs a statement it knows will not count.
 */
import { getAddress, type TypedDataDomain } from 'ethers';
import { isNativeChain, type NativeChain } from '../domain/custody/addresses';
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
  ) {}

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
      const held = await this.adapter.balances(chain, this.wallets[chain] ?? []);
      const source = held.balances.find((b) => b.asset === asset && b.amount >= due);
      if (!source) {
        out.push({ outcome: 'refused', ...at, reason: `no registered ${chain} wallet holds ${due} ${asset}` });
        continue;
      }
      if ((await this.redeems.isReleased(requestId, placeholder)) || !(await journal.claim(requestId, chain, asset))) {
        out.push({ outcome: 'refused', ...at, reason: `${asset} on ${chain} was already released for this request` });
        continue;
      }
      const { txId } = await this.adapter.release({ chain, asset, wallet: source.wallet, to, amount: due, reference: requestId });
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
        if (!transfer.reference || !REQUEST_ID.test(transfer.reference) || (transfer.direction === 'out' && !this.redeems)) continue;
        const settled = await this.settle(transfer.reference.toLowerCase(), transfer);
        if (settled.outcome === 'waiting' && transfer.height - 1n < next) next = transfer.height - 1n;
        settlements.push(settled);
      }
      await cursor.put(chain, next);
    }
    return settlements;
  }
}
