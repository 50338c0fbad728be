import { createPublicKey, verify } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base58 } from '@scure/base';
import { checkAddress } from '../../../lambdas/domain/custody/addresses';
import { SimulatorCustodianAdapter } from '../../../lambdas/custody/simulator-adapter';
import { StackError } from '../../../infra/local/net';
import {
  createLedgerSimulators,
  solanaSignedMessage,
  startLedgerSimulators,
  wireTransfer,
  LedgerError,
  type RunningLedgers,
  type SimulatedChain,
} from '../../../infra/local/ledger-simulators';

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

/** A transfer as the simulators answer it over HTTP. */
type WireTransfer = ReturnType<typeof wireTransfer>;

async function call<T>(url: string, body?: unknown): Promise<T> {
  const response = await fetch(url, body === undefined ? undefined : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const reply = (await response.json()) as T & { message?: string };
  if (!response.ok) throw new Error(`${url}: ${response.status} ${reply.message}`);
  return reply;
}

async function eventually(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whether `txId` is the Ed25519 signature of `signer` (a Solana address) over the transfer, as a Solana transaction id is. */
function signedBy(signer: string, transfer: WireTransfer): boolean {
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(base58.decode(signer)).toString('base64url') }, format: 'jwk' });
  const message = solanaSignedMessage({ ...transfer, amount: BigInt(transfer.amount), height: BigInt(transfer.height) });
  return verify(null, message, publicKey, base58.decode(transfer.txId));
}

describe('blocks over time (blockIntervalMs)', () => {
  it('makes empty blocks at each chain\'s interval, so a delivery becomes final without mining by hand; POST mine still works', async () => {
    const running = await startLedgerSimulators({ blockIntervalMs: { bitcoin: 25 } });
    const btc = running.ledgers.bitcoin;
    try {
      const pmm = btc.newAddress();
      const wallet = btc.newAddress();
      btc.mint(pmm, 'BTC', 100n);
      const sent = await call<WireTransfer>(`${running.url}/chains/bitcoin/transfers`, { from: pmm, to: wallet, asset: 'BTC', amount: '60', memo: '0xfeed' });
      expect(sent.final).toBe(false);
      await eventually(async () => (await call<WireTransfer>(`${running.url}/chains/bitcoin/tx/${sent.txId}`)).final, 'the delivery final');
      expect(btc.height - BigInt(sent.height)).toBeGreaterThanOrEqual(btc.finality);

      // A chain without an interval makes blocks only per transfer and by hand, as before.
      expect(running.ledgers.solana.height).toBe(0n);
      expect(await call<{ height: string }>(`${running.url}/chains/solana/mine`, { blocks: '3' })).toEqual({ height: '3' });
      const before = btc.height;
      expect(await call<{ height: string }>(`${running.url}/chains/bitcoin/mine`, { blocks: '100' })).toEqual({ height: expect.any(String) });
      expect(btc.height).toBeGreaterThanOrEqual(before + 100n);
    } finally {
      await running.close();
    }
    // Closing stops the blocks.
    const stopped = btc.height;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(btc.height).toBe(stopped);
  });

  it('takes one interval for every chain, and refuses one that is not a positive number', async () => {
    const running = await startLedgerSimulators({ blockIntervalMs: 10 });
    try {
      await eventually(async () => Object.values(running.ledgers).every((ledger) => ledger.height >= 3n), 'three blocks on every chain');
    } finally {
      await running.close();
    }
    await expect(startLedgerSimulators({ blockIntervalMs: { xrpl: 0 } })).rejects.toThrow(/blockIntervalMs for xrpl must be a positive number/);
  });
});

describe('the ledgers kept in a state file (stateFile)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssi-ledgers-'));
  const stateFile = join(dir, 'custody', 'ledgers.json');

  it('keeps balances, transfers with memo and finality, the whitelist, labels and the keys of the addresses it made across a restart', async () => {
    const first = await startLedgerSimulators({ stateFile });
    let pmm: string, wallet: string, btcWallet: string, delivery: WireTransfer, btcDelivery: WireTransfer, height: string;
    try {
      const url = first.url;
      pmm = (await call<{ address: string }>(`${url}/chains/solana/addresses`, { label: 'pmm' })).address;
      expect((await call<{ address: string }>(`${url}/chains/solana/addresses`, { label: 'pmm' })).address).toBe(pmm);
      wallet = (await call<{ address: string }>(`${url}/chains/solana/addresses`, {})).address;
      await call(`${url}/chains/solana/mint`, { to: pmm, asset: 'SOL', amount: '10000' });
      delivery = await call<WireTransfer>(`${url}/chains/solana/transfers`, { from: pmm, to: wallet, asset: 'SOL', amount: '4000', memo: '0xrequest' });
      expect(signedBy(pmm, delivery)).toBe(true);
      await call(`${url}/chains/solana/mine`, { blocks: '32' });
      await call(`${url}/chains/solana/whitelist`, { address: pmm });
      const btc = first.ledgers.bitcoin;
      btcWallet = btc.newAddress();
      btc.mint(btcWallet, 'BTC', 5n);
      btcDelivery = await call<WireTransfer>(`${url}/chains/bitcoin/transfers`, { from: btcWallet, to: btc.newAddress(), asset: 'BTC', amount: '2', memo: 'm' });
      // Edited in place, as the stack whitelists the PMM: saved all the same.
      btc.whitelist.add(btcDelivery.to);
      height = (await call<{ height: string }>(`${url}/chains/solana`)).height;
      // Written after changes, not only on close (a killed stack loses at most the last second).
      await eventually(async () => existsSync(stateFile) && readFileSync(stateFile, 'utf8').includes(btcDelivery.to), 'the state file written');
    } finally {
      await first.close();
    }
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);

    const second = await startLedgerSimulators({ stateFile });
    try {
      const url = second.url;
      expect((await call<{ height: string }>(`${url}/chains/solana`)).height).toBe(height);
      const balances = await call<{ balances: Array<{ wallet: string; amount: string }> }>(`${url}/chains/solana/balances?address=${pmm}&address=${wallet}`);
      expect(balances.balances.map((b) => [b.wallet, b.amount])).toEqual([
        [pmm, '6000'],
        [wallet, '4000'],
      ]);
      expect(await call<WireTransfer>(`${url}/chains/solana/tx/${delivery.txId}`)).toEqual({ ...delivery, final: true });
      expect(await call<WireTransfer>(`${url}/chains/bitcoin/tx/${btcDelivery.txId}`)).toEqual(expect.objectContaining({ memo: 'm', amount: '2' }));
      expect(second.ledgers.bitcoin.balance(btcWallet, 'BTC')).toBe(3n);
      expect(await call<{ addresses: string[] }>(`${url}/chains/solana/whitelist`)).toEqual({ addresses: [pmm] });
      expect(await call<{ addresses: string[] }>(`${url}/chains/bitcoin/whitelist`)).toEqual({ addresses: [btcDelivery.to] });
      expect((await call<{ address: string }>(`${url}/chains/solana/addresses`, { label: 'pmm' })).address).toBe(pmm);

      // The wallet the simulator made still sends, signed with its own key (kept in the file).
      const release = await call<WireTransfer>(`${url}/chains/solana/transfers`, { from: wallet, to: pmm, asset: 'SOL', amount: '1000', memo: '0xrelease' });
      expect(BigInt(release.height)).toBe(BigInt(height) + 1n);
      expect(signedBy(wallet, release)).toBe(true);
      expect(second.ledgers.solana.balance(wallet, 'SOL')).toBe(3000n);
    } finally {
      await second.close();
    }
    // Flushed on close: a third start sees the release.
    const third = await startLedgerSimulators({ stateFile });
    expect(third.ledgers.solana.balance(pmm, 'SOL')).toBe(7000n);
    await third.close();
  });

  it('refuses to start from a corrupt or unreadable state file, naming it', async () => {
    const corrupt = join(dir, 'corrupt.json');
    writeFileSync(corrupt, '{ not json');
    await expect(startLedgerSimulators({ stateFile: corrupt })).rejects.toThrow(StackError);
    await expect(startLedgerSimulators({ stateFile: corrupt })).rejects.toThrow(`the ledger simulators' state file ${corrupt} is unreadable or corrupt`);

    // Well-formed JSON whose log overdraws a wallet: refused, not believed.
    const ledgers = createLedgerSimulators();
    const a = ledgers.bitcoin.newAddress();
    ledgers.bitcoin.mint(a, 'BTC', 5n);
    ledgers.bitcoin.transfer({ from: a, to: ledgers.bitcoin.newAddress(), asset: 'BTC', amount: 5n });
    const state = ledgers.bitcoin.snapshot();
    state.transfers[0]!.amount = '4';
    writeFileSync(corrupt, JSON.stringify({ version: 1, chains: { bitcoin: state } }));
    await expect(startLedgerSimulators({ stateFile: corrupt })).rejects.toThrow(new RegExp(`${corrupt}.*bitcoin: .* holds 4 BTC, cannot send 5`));

    const folder = join(dir, 'a-folder.json');
    mkdirSync(folder);
    await expect(startLedgerSimulators({ stateFile: folder })).rejects.toThrow(`state file ${folder} is unreadable or corrupt (EISDIR`);
  });
});
