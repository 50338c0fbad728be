/**
 * The custodian service's redeem side over the ledger simulators: releases exactly what an accepted
 * redeem owes to the destination the PMM named, then attests each final release as a Released leg.
 * The contract is the stubbed boundary here (AttestedRedeemSink); the local-stack e2e runs it against
 * the AttestedIssuer.
 */
import { Wallet, hexlify, randomBytes, verifyTypedData } from 'ethers';
import { startLedgerSimulators, type RunningLedgers } from '../../../infra/local/ledger-simulators';
import { SimulatorCustodianAdapter } from '../../../lambdas/custody/simulator-adapter';
import { CustodianService, type SignedLeg } from '../../../lambdas/custody/service';
import { DeliverySettler, type AttestedMintSink, type AttestedRedeemSink, type ReleaseJournal } from '../../../lambdas/custody/settle';
import { CUSTODY_LEG_TYPES, LegDirection, custodyDomain, nativeKey } from '../../../lambdas/domain/custody/attestation';
import { custodianPlaceholder } from '../../../lambdas/domain/custody/placeholder';

const DOMAIN = custodyDomain(31337, '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed');
const BTC = custodianPlaceholder('bitcoin', 'BTC');
const custodianKey = new Wallet(Wallet.createRandom().privateKey);

let ledgers: RunningLedgers;
beforeAll(async () => {
  ledgers = await startLedgerSimulators();
});
afterAll(() => ledgers?.close());

function setup() {
  const btc = ledgers.ledgers.bitcoin;
  const wallet = btc.newAddress();
  const pmm = btc.newAddress();
  btc.mint(wallet, 'BTC', 10_000n);
  const requestId = hexlify(randomBytes(32));
  const submitted: SignedLeg[] = [];
  const used = new Set<string>();
  const released = new Set<string>();
  const journal: ReleaseJournal = { claim: async (id, chain, asset) => !released.has(`${id}|${chain}|${asset}`) && Boolean(released.add(`${id}|${chain}|${asset}`)) };
  const redeems: AttestedRedeemSink = {
    isReleasable: async (id) => id === requestId,
    redeemDue: async (id, asset) => (id === requestId && asset === BTC ? 4_000n : 0n),
    redeemDestination: async () => nativeKey(pmm),
    isReleased: async () => submitted.length > 0,
    submitRedeem: async (_id, signed) => {
      used.add(signed.leg.txId);
      submitted.push(signed);
      return { ok: true, completed: true };
    },
  };
  const mints: AttestedMintSink = {
    isPendingMint: async () => false,
    isTxIdUsed: async (_chain, txId) => used.has(txId),
    submitMint: async () => ({ ok: false, reason: 'no mint here' }),
  };
  const adapter = new SimulatorCustodianAdapter(ledgers.url);
  const settler = new DeliverySettler(adapter, new CustodianService(adapter, custodianKey, 31337), DOMAIN, mints, { bitcoin: [wallet] }, redeems);
  return { btc, wallet, pmm, requestId, submitted, settler, journal };
}

describe('custodian releases on an accepted redeem', () => {
  it('releases the due amount to the named destination and attests it once final, once', async () => {
    const { btc, wallet, pmm, requestId, submitted, settler, journal } = setup();
    const start = btc.height;
    const [released] = await settler.release(requestId, [{ chain: 'bitcoin', asset: 'BTC', to: pmm }], journal);
    expect(released).toEqual(expect.objectContaining({ outcome: 'waiting', txId: expect.stringMatching(/^[0-9a-f]{64}$/) }));
    expect(btc.balance(pmm, 'BTC')).toBe(4_000n);
    expect(btc.balance(wallet, 'BTC')).toBe(6_000n);
    expect(btc.transaction(released!.txId)!.memo).toBe(requestId);
    // Asked again (a retry, a second watcher): nothing more leaves the wallet.
    const [again] = await settler.release(requestId, [{ chain: 'bitcoin', asset: 'BTC', to: pmm }], journal);
    expect(again).toEqual(expect.objectContaining({ outcome: 'refused', reason: 'BTC on bitcoin was already released for this request' }));
    expect(btc.balance(wallet, 'BTC')).toBe(6_000n);

    const cursors = new Map([['bitcoin', start]]);
    const cursor = { get: async (c: string) => cursors.get(c) ?? 0n, put: async (c: string, h: bigint) => void cursors.set(c, h) };
    expect((await settler.watch(cursor)).map((s) => s.outcome)).toEqual(['waiting']);
    btc.mine(btc.finality);
    const settled = await settler.watch(cursor);
    expect(settled).toEqual([expect.objectContaining({ outcome: 'attested', requestId, txId: released!.txId, amount: 4_000n, completed: true })]);
    const { leg, signature } = submitted[0]!;
    expect(leg).toEqual(expect.objectContaining({ direction: LegDirection.Released, amount: 4_000n, wallet: nativeKey(wallet), counterparty: nativeKey(pmm), txId: nativeKey(released!.txId) }));
    expect(verifyTypedData(DOMAIN, CUSTODY_LEG_TYPES, leg as unknown as Record<string, unknown>, signature)).toBe(custodianKey.address);
    // Seen again from the start: the used transaction id is not attested twice.
    cursors.set('bitcoin', start);
    expect((await settler.watch(cursor)).map((s) => s.outcome)).toEqual(['refused']);
    expect(submitted).toHaveLength(1);
  });

  it('releases nothing to another destination, for an asset not due, for an unknown request or beyond the wallets', async () => {
    const { btc, wallet, pmm, requestId, settler, journal } = setup();
    const stranger = btc.newAddress();
    const refusals = [
      ...(await settler.release(requestId, [{ chain: 'bitcoin', asset: 'BTC', to: stranger }], journal)),
      ...(await settler.release(requestId, [{ chain: 'solana', asset: 'SOL', to: ledgers.ledgers.solana.newAddress() }], journal)),
      ...(await settler.release(hexlify(randomBytes(32)), [{ chain: 'bitcoin', asset: 'BTC', to: pmm }], journal)),
    ];
    expect(refusals.map((r) => (r.outcome === 'refused' ? r.reason : r.outcome))).toEqual([
      `${stranger} is not the destination the PMM named on acceptance`,
      'nothing of SOL on solana is due',
      'no accepted redeem with this id',
    ]);
    btc.transfer({ from: wallet, to: stranger, asset: 'BTC', amount: 7_000n });
    const [short] = await settler.release(requestId, [{ chain: 'bitcoin', asset: 'BTC', to: pmm }], journal);
    expect(short).toEqual(expect.objectContaining({ outcome: 'refused', reason: 'no registered bitcoin wallet holds 4000 BTC' }));
    expect(btc.balance(pmm, 'BTC')).toBe(0n);
  });

  it('releases what an accepted redeem owes to the whitelisted destination only', async () => {
    const { btc, pmm, requestId, settler, journal } = setup();
    const custodian = new Map([[BTC, { chain: 'bitcoin', assetId: 'BTC' }]]);
    const [unlisted] = await settler.releaseAccepted(requestId, [BTC], custodian, journal);
    expect(unlisted).toEqual(expect.objectContaining({ outcome: 'refused', reason: "the PMM's bitcoin destination is not on the custodian's withdrawal whitelist" }));
    btc.whitelist.add(btc.newAddress());
    btc.whitelist.add(pmm);
    const [released] = await settler.releaseAccepted(requestId, [BTC], custodian, journal);
    expect(released).toEqual(expect.objectContaining({ outcome: 'waiting' }));
    expect(btc.balance(pmm, 'BTC')).toBe(4_000n);
    expect(await settler.releaseAccepted(hexlify(randomBytes(32)), [BTC], custodian, journal)).toEqual([]);
  });
});
