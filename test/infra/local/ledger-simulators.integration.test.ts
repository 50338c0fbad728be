import { base58 } from '@scure/base';
import { checkAddress } from '../../../lambdas/domain/custody/addresses';
import { SimulatorCustodianAdapter } from '../../../lambdas/custody/simulator-adapter';
import { createLedgerSimulators, startLedgerSimulators, LedgerError, type RunningLedgers, type SimulatedChain } from '../../../infra/local/ledger-simulators';

const TXID_FORMAT: Record<SimulatedChain, (txId: string) => boolean> = {
  bitcoin: (t) => /^[0-9a-f]{64}$/.test(t),
  dogecoin: (t) => /^[0-9a-f]{64}$/.test(t),
  solana: (t) => base58.decode(t).length === 64,
  xrpl: (t) => /^[0-9A-F]{64}$/.test(t),
  cardano: (t) => /^[0-9a-f]{64}$/.test(t),
};

describe('native-chain ledger simulators', () => {
  const ledgers = createLedgerSimulators();

  it.each(Object.keys(TXID_FORMAT) as SimulatedChain[])('%s: addresses and transaction ids in the chain format', (chain) => {
    const ledger = ledgers[chain];
    const [asset] = Object.keys(ledger.assets);
    const a = ledger.newAddress();
    const b = ledger.newAddress();
    expect(checkAddress(chain, a)).toEqual({ ok: true, address: a });
    expect(a).not.toBe(b);
    ledger.mint(a, asset!, 1_000n);
    const sent = ledger.transfer({ from: a, to: b, asset: asset!, amount: 400n, memo: 'request-1' });
    expect(TXID_FORMAT[chain](sent.txId)).toBe(true);
    expect(ledger.balance(a, asset!)).toBe(600n);
    expect(ledger.balance(b, asset!)).toBe(400n);
    expect(ledger.transaction(sent.txId)).toEqual(sent);
    expect(ledger.transfersOf([b], 0n)).toEqual([sent]);
  });

  it('refuses overdrafts, unknown assets and malformed addresses, and counts finality in blocks', () => {
    const btc = ledgers.bitcoin;
    const a = btc.newAddress();
    btc.mint(a, 'BTC', 10n);
    expect(() => btc.transfer({ from: a, to: btc.newAddress(), asset: 'BTC', amount: 11n })).toThrow(LedgerError);
    expect(() => btc.transfer({ from: a, to: btc.newAddress(), asset: 'SOL', amount: 1n })).toThrow(/carries BTC/);
    expect(() => btc.transfer({ from: a, to: 'bc1qnotanaddress', asset: 'BTC', amount: 1n })).toThrow(/not a bitcoin address/);
    const sent = btc.transfer({ from: a, to: btc.newAddress(), asset: 'BTC', amount: 5n });
    expect(btc.isFinal(sent)).toBe(false);
    btc.mine(5n);
    expect(btc.isFinal(sent)).toBe(false);
    btc.mine(1n);
    expect(btc.isFinal(sent)).toBe(true);
  });

  it('XRP: a destination-tagged custodian wallet is its own balance', () => {
    const xrp = ledgers.xrpl as import('../../../infra/local/ledger-simulators').XrpLedgerSimulator;
    const pmm = xrp.newAddress();
    const wallet = xrp.taggedAddress(xrp.newAddress(), 77);
    xrp.mint(pmm, 'XRP', 100n);
    xrp.transfer({ from: pmm, to: wallet, asset: 'XRP', amount: 60n });
    expect(xrp.balance(wallet, 'XRP')).toBe(60n);
  });
});

describe('the simulator custodian adapter over HTTP', () => {
  let running: RunningLedgers;
  let adapter: SimulatorCustodianAdapter;
  beforeAll(async () => {
    running = await startLedgerSimulators();
    adapter = new SimulatorCustodianAdapter(running.url);
  });
  afterAll(() => running?.close());

  it('watches deliveries into a wallet with their memo and finality, releases out of it, reads balances at one height', async () => {
    const sol = running.ledgers.solana;
    const wallet = sol.newAddress();
    const pmm = sol.newAddress();
    sol.mint(pmm, 'SOL', 5_000_000_000n);
    const start = sol.height;
    const delivered = sol.transfer({ from: pmm, to: wallet, asset: 'SOL', amount: 2_000_000_000n, memo: '0xabc' });
    let seen = await adapter.watch('solana', [wallet], start);
    expect(seen.transfers).toEqual([
      expect.objectContaining({ txId: delivered.txId, wallet, counterparty: pmm, direction: 'in', amount: 2_000_000_000n, final: false, reference: '0xabc' }),
    ]);
    sol.mine(sol.finality);
    seen = await adapter.watch('solana', [wallet], start);
    expect(seen.transfers[0]!.final).toBe(true);
    expect(seen.cursor).toBe(sol.height);

    const released = await adapter.release({ chain: 'solana', asset: 'SOL', wallet, to: pmm, amount: 500_000_000n, reference: '0xdef' });
    expect(sol.transaction(released.txId)).toEqual(expect.objectContaining({ from: wallet, to: pmm, memo: '0xdef' }));
    const out = (await adapter.watch('solana', [wallet], seen.cursor)).transfers;
    expect(out).toEqual([expect.objectContaining({ direction: 'out', counterparty: pmm, amount: 500_000_000n })]);

    const balances = await adapter.balances('solana', [wallet]);
    expect(balances).toEqual({ chain: 'solana', height: sol.height, balances: [{ wallet, asset: 'SOL', amount: 1_500_000_000n }] });
  });

  it('answers a refused transfer with 400 and its reason', async () => {
    const btc = running.ledgers.bitcoin;
    await expect(adapter.release({ chain: 'bitcoin', asset: 'BTC', wallet: btc.newAddress(), to: btc.newAddress(), amount: 1n, reference: 'x' })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('cannot send 1'),
    });
    const response = await fetch(`${running.url}/chains/ethereum`);
    expect(response.status).toBe(404);
    await expect(adapter.transaction('bitcoin', 'ab'.repeat(32), [btc.newAddress()])).resolves.toBeUndefined();
  });
});
