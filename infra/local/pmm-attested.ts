/**
 * The PMM simulator's desk for attested indexes (MAG7.ssi on the local stack): the index's custodian
 * assets move on their native chains (infra/local/pmm-native-wallets.ts), its on-chain assets through
 * the AttestedIssuer.
 * - Quotes (`quote`): the basket of `indexAmount` at its reference prices, plus the spread on a mint
 *   and minus it on a redeem; the WLP's request names that cash (there is no quote signature: the
 *   PMM agrees by delivering or accepting). It honours a quote for QUOTE_TTL_MS, although the
 *   management fee shrinks the basket meanwhile.
 * - A MintRequested naming it, with at least its quote or its current price in cash: it delivers every custodian
 *   leg to the registered custodian wallet of its chain (memo: the request id) and, once the
 *   custodian has attested them all, completes the mint itself (`attestMint(id, [], [])`), which
 *   pulls the on-chain legs from its allowance. Below its price it does nothing and the WLP is
 *   refunded after the deadline.
 * - A RedeemRequested naming it, asking at most its bid: it accepts, naming its native address per
 *   custodian asset; the custodian releases there and attests.
 * - A RebalanceOpened on the AttestedRebalancer for an order it signed (`signedRebalance`, from the
 *   simulator's rebalance RFQ; kept in `ordersFile` when given, so a PMM restarted between the quote
 *   and the open still knows the order): it accepts, naming its native address per custodian sell (its
 *   on-chain buys go into escrow from its allowance), and delivers each custodian buy to the
 *   registered custodian wallet of its chain with the rebalance id as memo; the custodian attests the
 *   buys, then releases the sells to it and attests those.
 * - A restart (`npm start` over a kept data folder) picks up where the last run left off: the first poll reads
 *   the requests and openings of the last MAX_REQUEST_TIMEOUT (7 days), and for those still pending it sends only
 *   the legs it has not sent yet (their memo says which), accepts what it has not accepted, and completes mints
 *   once attested. Their terms are its price now: the quotes of the last run are gone.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Contract, NonceManager, ZeroHash, isError, type Signer, type Provider } from 'ethers';
import { z } from 'zod';
import { ATTESTED_ISSUER_INTERFACE, firstBlockOfOpenRequests, isOpenRequest } from '../../lambdas/custody/attested-issuer';
import { ATTESTED_REBALANCER_INTERFACE, REBALANCE_STATUS } from '../../lambdas/custody/attested-rebalancer';
import type { RebalanceOrder } from '../../lambdas/domain/rebalance-orders';
import { nativeKey } from '../../lambdas/domain/custody/attestation';
import { basketOf } from '../../lambdas/domain/fees';
import { usdToCash, valueLegs, type AssetInfo } from '../../lambdas/domain/quotes/nav';
import type { ReferencePriceSource } from '../../lambdas/quotes/prices';
import { readCustodianRegistry } from '../../lambdas/reserves/custodian';
import { addressSchema, checksum } from '../../lambdas/domain/address';
import { uint256Schema } from '../../lambdas/domain/quotes/rfq';
import { INDEX_TOKEN_ABI } from '../../lambdas/shared/abi';
import { chainTime } from '../../lambdas/shared/chain';
import { writeFileAtomically } from './files';
import { StackError } from './net';
import { PmmNativeWallets, type DeliveryLeg } from './pmm-native-wallets';
import type { SimulatedChain } from './ledger-simulators';

export interface AttestedDeskOptions {
  signer: Signer;
  provider: Provider;
  attestedIssuer: string;
  /** The AttestedRebalancer, where the deployment has one. */
  attestedRebalancer?: string;
  custodyRegistry: string;
  /** Custodian assets by symbol, as the deployment records them. */
  custodianAssets: Record<string, { chain: string; assetId: string; address: string; decimals: number }>;
  /** Every priced asset by address (deployment tokens and custodian placeholders). */
  assetInfo: (address: string) => AssetInfo;
  prices: ReferencePriceSource;
  cash: AssetInfo;
  spreadBps: bigint;
  ledgersUrl: string;
  /** Keeps the attested rebalance orders it signed whose buys it has not yet delivered (JSON); in memory only without it. */
  ordersFile?: string;
  log: (line: string) => void;
}

export interface AttestedDesk {
  /** The PMM's native address per chain (what the custodian whitelists). */
  nativeAddresses: Readonly<Record<string, string>>;
  /** The cash it asks (mint) or bids (redeem), honoured for QUOTE_TTL_MS. */
  quote(index: string, side: 'mint' | 'redeem', indexAmount: bigint): Promise<bigint>;
  /** Remembers an attested rebalance order it signed (by its EIP-712 digest), to accept it once opened. */
  signedRebalance(orderHash: string, order: RebalanceOrder): void;
  /** One pass over new requests, opened rebalances and pending completions. */
  poll(): Promise<void>;
  stats: { delivered: number; completed: number; accepted: number; declined: number; rebalancesAccepted: number };
}

/** How long a quote binds the PMM. */
const QUOTE_TTL_MS = 5 * 60_000;

/** Whole units of each custodian asset the PMM holds on its native chain at start. */
const NATIVE_INVENTORY = 1_000_000n;

export async function startAttestedDesk(options: AttestedDeskOptions): Promise<AttestedDesk> {
  const { provider, log } = options;
  const me = checksum(await options.signer.getAddress());
  const issuer = new Contract(options.attestedIssuer, ATTESTED_ISSUER_INTERFACE, options.signer);
  const natives = Object.values(options.custodianAssets).map((a) => ({ chain: a.chain as SimulatedChain, asset: a.assetId, amount: NATIVE_INVENTORY * 10n ** BigInt(a.decimals) }));
  const wallets = await PmmNativeWallets.open(options.ledgersUrl, natives);
  const byPlaceholder = new Map(Object.values(options.custodianAssets).map((a) => [checksum(a.address), a]));
  const stats = { delivered: 0, completed: 0, accepted: 0, declined: 0, rebalancesAccepted: 0 };

  const basket = async (index: string, indexAmount: bigint) => {
    const [assets, units, factor] = (await new Contract(index, INDEX_TOKEN_ABI, provider).getFunction('baseTokenset')()) as [string[], bigint[], bigint];
    return { assets: assets.map((a) => checksum(a)), amounts: basketOf(indexAmount, [...units], factor) };
  };
  const price = async (index: string, side: 'mint' | 'redeem', indexAmount: bigint): Promise<bigint> => {
    const legs = await basket(index, indexAmount);
    const value = usdToCash(valueLegs(legs, options.assetInfo, (s) => options.prices.priceOf(s)).totalUsd, options.cash, options.prices.priceOf(options.cash.symbol)!);
    return side === 'mint' ? (value * (10_000n + options.spreadBps) + 9_999n) / 10_000n : (value * (10_000n - options.spreadBps)) / 10_000n;
  };

  /** What it names on acceptance per asset: the keccak of its native address for a custodian asset, zero on chain. */
  const destinationsFor = (assets: readonly string[]): string[] =>
    assets.map((asset) => {
      const info = byPlaceholder.get(checksum(asset));
      return info ? nativeKey(wallets.addresses[info.chain as SimulatedChain]) : ZeroHash;
    });
  /** The custodian legs among `assets` and `amounts`, each to the first registered custodian wallet of its chain. */
  const deliveryLegs = async (assets: readonly string[], amounts: readonly bigint[]) => {
    const { wallets: custodyWallets } = await readCustodianRegistry(provider, options.custodyRegistry, await provider.getBlockNumber());
    return assets.flatMap((asset, i) => {
      const info = byPlaceholder.get(checksum(asset));
      if (!info) return [];
      const to = custodyWallets[info.chain]?.[0];
      if (!to) throw new Error(`no custodian wallet registered on ${info.chain}`);
      return [{ chain: info.chain as SimulatedChain, asset: info.assetId, to, amount: amounts[i]! }];
    });
  };

  const quotes = new Map<string, { cash: bigint; until: number }>();
  const quoteKey = (index: string, side: string, indexAmount: bigint) => `${checksum(index)}|${side}|${indexAmount}`;
  const quote = async (index: string, side: 'mint' | 'redeem', indexAmount: bigint): Promise<bigint> => {
    const cash = await price(index, side, indexAmount);
    const now = Date.now();
    for (const [key, q] of quotes) if (q.until < now) quotes.delete(key);
    quotes.set(quoteKey(index, side, indexAmount), { cash, until: now + QUOTE_TTL_MS });
    return cash;
  };
  /** Its quote for this request if still binding, else its price now. */
  const terms = async (index: string, side: 'mint' | 'redeem', indexAmount: bigint): Promise<bigint> => {
    const quoted = quotes.get(quoteKey(index, side, indexAmount));
    const now = await price(index, side, indexAmount);
    if (!quoted || quoted.until < Date.now()) return now;
    return side === 'mint' ? (quoted.cash < now ? quoted.cash : now) : quoted.cash > now ? quoted.cash : now;
  };

  /** Mints it delivered for and still has to complete: request id -> custodian legs expected. */
  const delivering = new Map<string, number>();
  // Events up to `startHead` happened before this run: a previous run may have handled them, in part or in full.
  // It reads back as far as a request still inside its deadline can have been made.
  const startHead = await provider.getBlockNumber();
  let fromBlock = await firstBlockOfOpenRequests(provider, issuer, await chainTime(provider));
  const topics = [[ATTESTED_ISSUER_INTERFACE.getEvent('MintRequested')!.topicHash, ATTESTED_ISSUER_INTERFACE.getEvent('RedeemRequested')!.topicHash]];

  /** Whether a request from before this run is still pending and inside its deadline. */
  const stillPending = async (kind: 'getMintRequest' | 'getRedeemRequest', requestId: string): Promise<boolean> => {
    const request = (await issuer.getFunction(kind)(requestId)) as { status: bigint; accepted?: boolean; deadline: bigint };
    return !request.accepted && isOpenRequest(request, await chainTime(provider));
  };
  /** `legs` less those already sent with `memo` (by chain and asset): what a run before this one sent is not sent again. */
  const unsent = async (memo: string, legs: readonly DeliveryLeg[]): Promise<DeliveryLeg[]> => {
    const sent = await wallets.sentWith(memo);
    return legs.filter((leg) => !sent.some((s) => s.chain === leg.chain && s.asset === leg.asset));
  };

  const onMint = async (requestId: string, index: string, indexAmount: bigint, cashAmount: bigint, replayed: boolean): Promise<void> => {
    if (replayed && !(await stillPending('getMintRequest', requestId))) return;
    const legs = await basket(index, indexAmount);
    const native = await deliveryLegs(legs.assets, legs.amounts);
    const toSend = replayed ? await unsent(requestId, native) : native;
    // Terms are checked before the first leg goes out; a mint it has begun delivering for is one it agreed to.
    if (toSend.length === native.length) {
      const asked = await terms(index, 'mint', indexAmount);
      if (cashAmount < asked) {
        stats.declined++;
        log(`pmm: not delivering for attested mint ${requestId}: ${cashAmount} cash is below its price ${asked}`);
        return;
      }
    }
    const sent = await wallets.deliver(requestId, toSend);
    stats.delivered++;
    delivering.set(requestId, native.length);
    const resumed = toSend.length < native.length ? ` (resumed: ${native.length - toSend.length} of ${native.length} legs sent before)` : '';
    log(`pmm: delivered attested mint ${requestId} on ${sent.map((s) => `${s.chain} ${s.txId}`).join(', ') || 'no chain'}${resumed}`);
  };

  /**
   * Redeems it agreed to whose acceptance the AttestedIssuer refuses while their index rebalances (`IndexRebalancing`):
   * tried again on every poll until accepted, or dropped once the contract refuses them otherwise (expired, refunded).
   */
  const awaitingAcceptance = new Map<string, { index: string; indexAmount: bigint }>();

  /**
   * Accepts `requestId`, naming its native address per custodian asset of the basket as it is now; false while the
   * index rebalances. A call comes first: a transaction refused at estimation would still take a nonce from the
   * simulator's nonce manager, so it is reset whenever the send fails anyway.
   */
  const accept = async (requestId: string, index: string, indexAmount: bigint): Promise<boolean> => {
    const destinations = destinationsFor((await basket(index, indexAmount)).assets);
    const acceptRedeem = issuer.getFunction('acceptRedeem');
    try {
      await acceptRedeem.staticCall(requestId, destinations);
    } catch (error) {
      if (isError(error, 'CALL_EXCEPTION') && error.revert?.name === 'IndexRebalancing') return false;
      throw error;
    }
    try {
      await (await acceptRedeem(requestId, destinations)).wait();
    } catch (error) {
      if (options.signer instanceof NonceManager) options.signer.reset();
      throw error;
    }
    return true;
  };

  const onRedeem = async (requestId: string, index: string, indexAmount: bigint, cashAmount: bigint, replayed: boolean): Promise<void> => {
    if (replayed && !(await stillPending('getRedeemRequest', requestId))) return;
    const bid = await terms(index, 'redeem', indexAmount);
    if (cashAmount > bid) {
      stats.declined++;
      log(`pmm: not accepting attested redeem ${requestId}: ${cashAmount} cash is above its bid ${bid}`);
      return;
    }
    if (!(await accept(requestId, index, indexAmount))) {
      awaitingAcceptance.set(requestId, { index, indexAmount });
      log(`pmm: attested redeem ${requestId} waits: ${index} is rebalancing, so the AttestedIssuer accepts it only once the rebalance ends`);
      return;
    }
    stats.accepted++;
    log(`pmm: accepted attested redeem ${requestId}`);
  };

  /** Tries the acceptances refused while their index rebalanced again (the terms were agreed when the request came). */
  const retryAcceptances = async (): Promise<void> => {
    for (const [requestId, { index, indexAmount }] of awaitingAcceptance) {
      try {
        if (!(await accept(requestId, index, indexAmount))) continue;
        stats.accepted++;
        log(`pmm: accepted attested redeem ${requestId} once the rebalance of ${index} ended`);
      } catch (error) {
        log(`pmm: attested redeem ${requestId} can no longer be accepted: ${(error as Error).message}`);
      }
      awaitingAcceptance.delete(requestId);
    }
  };

  /** Completes the mints whose custodian legs are all attested: only the PMM may, its allowance pays the on-chain legs. */
  const complete = async (): Promise<void> => {
    for (const [requestId, expected] of delivering) {
      const request = (await issuer.getFunction('getMintRequest')(requestId)) as { status: bigint; legsAttested: bigint };
      if (request.status !== 1n) {
        delivering.delete(requestId);
        continue;
      }
      if (Number(request.legsAttested) < expected) continue;
      await (await issuer.getFunction('attestMint')(requestId, [], [])).wait();
      delivering.delete(requestId);
      stats.completed++;
      log(`pmm: completed attested mint ${requestId}`);
    }
  };

  /** Attested rebalance orders it signed, by digest: RebalanceOpened carries the digest but not the nonce. */
  const rebalanceOrders = new SignedRebalanceOrders(options.ordersFile);
  const rebalancer = options.attestedRebalancer ? new Contract(options.attestedRebalancer, ATTESTED_REBALANCER_INTERFACE, options.signer) : undefined;

  /**
   * Accepts an opened rebalance of its order, then delivers its custodian buys on their native chains. The order is
   * forgotten once the buys are out, so a run stopped in between still knows what it owes.
   */
  const onRebalanceOpened = async (rebalanceId: string, orderHash: string, replayed: boolean): Promise<void> => {
    const state = replayed ? ((await rebalancer!.getFunction('getRebalance')(rebalanceId)) as { status: bigint; accepted: boolean }) : undefined;
    if (state && REBALANCE_STATUS[Number(state.status)] !== 'pending') {
      rebalanceOrders.delete(orderHash);
      return;
    }
    const order = rebalanceOrders.get(orderHash);
    if (!order) {
      log(`pmm: rebalance ${rebalanceId} names an order it does not know (${orderHash}): not accepting`);
      return;
    }
    if (!state?.accepted) {
      await (await rebalancer!.getFunction('accept')(rebalanceId, order, destinationsFor(order.sellAssets))).wait();
      stats.rebalancesAccepted++;
    }
    const buys = await deliveryLegs(order.buyAssets, order.buyAmounts);
    const sent = await wallets.deliver(rebalanceId, state ? await unsent(rebalanceId, buys) : buys);
    rebalanceOrders.delete(orderHash);
    log(`pmm: accepted attested rebalance ${rebalanceId}; delivered ${sent.map((s) => `${s.asset} on ${s.chain} ${s.txId}`).join(', ') || 'no custodian buy'}`);
  };

  const pollRebalances = async (from: number, to: number): Promise<void> => {
    if (!rebalancer) return;
    const opened = ATTESTED_REBALANCER_INTERFACE.getEvent('RebalanceOpened')!;
    const makerTopic = `0x${me.slice(2).toLowerCase().padStart(64, '0')}`;
    for (const entry of await provider.getLogs({ address: options.attestedRebalancer, topics: [opened.topicHash, null, null, makerTopic], fromBlock: from, toBlock: to })) {
      const event = ATTESTED_REBALANCER_INTERFACE.parseLog(entry)!;
      try {
        await onRebalanceOpened(event.args.rebalanceId as string, event.args.orderHash as string, entry.blockNumber <= startHead);
      } catch (error) {
        log(`pmm: attested rebalance ${event.args.rebalanceId as string} failed: ${(error as Error).message}`);
      }
    }
  };

  const poll = async (): Promise<void> => {
    const head = await provider.getBlockNumber();
    if (head >= fromBlock) {
      const logs = await provider.getLogs({ address: options.attestedIssuer, topics, fromBlock, toBlock: head });
      await pollRebalances(fromBlock, head);
      fromBlock = head + 1;
      for (const entry of logs) {
        const event = ATTESTED_ISSUER_INTERFACE.parseLog(entry);
        if (!event || checksum(event.args.pmm as string) !== me) continue;
        const args = [
          event.args.requestId as string,
          checksum(event.args.index as string),
          event.args.indexAmount as bigint,
          event.args.cashAmount as bigint,
          entry.blockNumber <= startHead,
        ] as const;
        try {
          await (event.name === 'MintRequested' ? onMint(...args) : onRedeem(...args));
        } catch (error) {
          log(`pmm: attested ${event.name} ${args[0]} failed: ${(error as Error).message}`);
        }
      }
    }
    await retryAcceptances();
    await complete();
  };

  const signedRebalance = (orderHash: string, order: RebalanceOrder): void => rebalanceOrders.set(orderHash, order);

  return { nativeAddresses: wallets.addresses, quote, signedRebalance, poll, stats };
}

const uintString = uint256Schema.transform(BigInt);
const ordersFileSchema = z.object({
  version: z.literal(1),
  orders: z.record(
    z.string().regex(/^0x[0-9a-f]{64}$/),
    z.object({
      index: addressSchema,
      sellAssets: z.array(addressSchema),
      sellAmounts: z.array(uintString),
      buyAssets: z.array(addressSchema),
      buyAmounts: z.array(uintString),
      maker: addressSchema,
      deadline: uintString,
      nonce: uintString,
    }),
  ),
});

/** Most orders kept: one never opened is forgotten once this many newer ones were signed. */
const MAX_SIGNED_ORDERS = 1_000;

/**
 * The attested rebalance orders the desk signed whose buys it has not yet delivered, by EIP-712 digest. With a
 * file they outlive a restart of the PMM: it is read on start (an unreadable one stops the start with
 * its name) and rewritten atomically on every change.
 */
export class SignedRebalanceOrders {
  private readonly orders = new Map<string, RebalanceOrder>();

  constructor(private readonly file?: string) {
    if (!file || !existsSync(file)) return;
    try {
      for (const [hash, order] of Object.entries(ordersFileSchema.parse(JSON.parse(readFileSync(file, 'utf8'))).orders)) this.orders.set(hash, order);
    } catch (error) {
      const reason = error instanceof z.ZodError ? error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : (error as Error).message;
      throw new StackError(`the PMM's signed-orders file ${file} is unreadable or corrupt (${reason}): move it away (its unopened orders are then cancelled at their deadlines) or start the stack with --reset`);
    }
  }

  get(orderHash: string): RebalanceOrder | undefined {
    return this.orders.get(orderHash.toLowerCase());
  }

  set(orderHash: string, order: RebalanceOrder): void {
    this.orders.set(orderHash.toLowerCase(), order);
    if (this.orders.size > MAX_SIGNED_ORDERS) this.orders.delete(this.orders.keys().next().value as string);
    this.save();
  }

  delete(orderHash: string): void {
    if (this.orders.delete(orderHash.toLowerCase())) this.save();
  }

  private save(): void {
    if (!this.file) return;
    const orders = Object.fromEntries(
      [...this.orders].map(([hash, o]) => [hash, { ...o, sellAmounts: o.sellAmounts.map(String), buyAmounts: o.buyAmounts.map(String), deadline: String(o.deadline), nonce: String(o.nonce) }]),
    );
    writeFileAtomically(this.file, JSON.stringify({ version: 1, orders }));
  }
}
