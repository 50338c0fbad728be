/**
 * Native-chain ledger simulators for the local stack: Bitcoin, Dogecoin, Solana, XRP Ledger and
 * Cardano. None of these chains has a node that installs from the package registries reachable
 * here, so each is simulated: a ledger of balances per address and asset, where every transfer is
 * one transaction in its own block (slot, ledger index) and carries the chain's real transaction-id
 * and address formats, built with the chains' own libraries (bitcoinjs-lib for Bitcoin and
 * Dogecoin transactions and addresses, ripple-address-codec for XRP classic addresses, @scure/base
 * for base58 and bech32, node's Ed25519 for Solana signatures, BLAKE2b for Cardano hashes).
 * A simulator is not a chain: there are no fees, scripts, mempools or reorgs; a transfer is final
 * after the simulator's confirmation depth (`finality`).
 *
 * `startLedgerSimulators` serves all five over HTTP on 127.0.0.1 so the custodian adapter reaches
 * them the way an adapter reaches a custodian's API (routes below). With `blockIntervalMs` it makes
 * empty blocks over time as a chain does; with `stateFile` it keeps every ledger (tip, transfer log,
 * whitelist, labels and the keys it holds) across a restart.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign as ed25519Sign, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { z } from 'zod';
import { address as btcAddress, payments, Transaction, networks, type Network } from 'bitcoinjs-lib';
import { encodeAccountID } from 'ripple-address-codec';
import { base58, bech32 } from '@scure/base';
import { blake2b } from '@noble/hashes/blake2b';
import { checkAddress, type NativeChain } from '../../lambdas/domain/custody/addresses';
import { listen, StackError } from './net';
import { writeFileAtomically } from './files';

/** One confirmed transfer on a simulated ledger. */
export interface LedgerTransfer {
  txId: string;
  asset: string;
  from: string;
  to: string;
  amount: bigint;
  height: bigint;
  /** What the sender attached (Bitcoin/Dogecoin OP_RETURN, Solana memo, XRP memo, Cardano metadata): a PMM names the request it delivers for. */
  memo?: string;
}

export class LedgerError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'LedgerError';
  }
}

const sha256 = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();
const hash160 = (data: Uint8Array): Buffer => createHash('ripemd160').update(sha256(data)).digest();

/** A set that reports each change, so a whitelist edited in place (`whitelist.add`) is still saved. */
class ObservedSet extends Set<string> {
  constructor(private readonly changed: () => void) {
    super();
  }
  override add(value: string): this {
    const added = !this.has(value);
    super.add(value);
    if (added) this.changed();
    return this;
  }
  override delete(value: string): boolean {
    const deleted = super.delete(value);
    if (deleted) this.changed();
    return deleted;
  }
  override clear(): void {
    const had = this.size > 0;
    super.clear();
    if (had) this.changed();
  }
}

const decimalString = z.string().regex(/^\d{1,78}$/, 'a decimal string');

/** One ledger as the state file keeps it; balances are not stored but summed from the log on load. */
const ledgerStateSchema = z
  .object({
    tip: decimalString,
    transfers: z.array(
      z
        .object({
          txId: z.string().min(1),
          asset: z.string().min(1),
          from: z.string(),
          to: z.string().min(1),
          amount: decimalString,
          height: decimalString,
          memo: z.string().min(1).max(80).optional(),
        })
        .strict(),
    ),
    whitelist: z.array(z.string().min(1)),
    labels: z.record(z.string(), z.string().min(1)),
    /** Private keys the simulator holds for addresses it made (PKCS#8 DER, base64), by address: Solana's. */
    keys: z.record(z.string(), z.string().min(1)),
  })
  .strict();

export type LedgerState = z.infer<typeof ledgerStateSchema>;

/**
 * The ledger every simulator shares: balances keyed by (address, asset), one block per transfer,
 * a genesis faucet (`mint`) standing in for coins mined or bought elsewhere.
 */
export abstract class LedgerSimulator {
  abstract readonly chain: Exclude<NativeChain, 'evm'>;
  /** The assets this ledger carries and their decimals (the native coin first). */
  abstract readonly assets: Readonly<Record<string, number>>;
  /** Blocks on top of a transfer's before it counts as final. */
  abstract readonly finality: bigint;
  /** Called after every change of state (a block, a transfer, a new key or label, a whitelist edit): the server saves then. */
  onChange?: () => void;
  private tip = 0n;
  private readonly balancesByKey = new Map<string, bigint>();
  private readonly transfersById = new Map<string, LedgerTransfer>();
  private readonly log: LedgerTransfer[] = [];
  /** Addresses this simulator made under a name, as a node's wallet labels them (the PMM finds its own again after a restart). */
  private readonly labels = new Map<string, string>();
  /** The custodian's withdrawal whitelist on this chain (what an operator approves at Cobo or Ceffu). */
  readonly whitelist: Set<string> = new ObservedSet(() => this.changed());

  /** A fresh address of this chain's format. */
  abstract newAddress(): string;
  /** The transaction id this chain would give `transfer` (its format, from its bytes). */
  protected abstract txIdOf(transfer: Omit<LedgerTransfer, 'txId'>, nonce: Uint8Array): string;

  get height(): bigint {
    return this.tip;
  }

  protected changed(): void {
    this.onChange?.();
  }

  /** The address made under `label`, made now if there is none yet. */
  addressFor(label: string): string {
    let address = this.labels.get(label);
    if (address === undefined) {
      address = this.newAddress();
      this.labels.set(label, address);
      this.changed();
    }
    return address;
  }

  /** Private keys this simulator holds, by address (PKCS#8 DER, base64); none for a chain whose addresses are bare hashes. */
  protected exportKeys(): Record<string, string> {
    return {};
  }

  protected importKeys(keys: Record<string, string>): void {
    if (Object.keys(keys).length > 0) throw new Error(`the ${this.chain} simulator holds no keys, but the state lists ${Object.keys(keys).length}`);
  }

  /** Everything that must survive a restart (amounts and heights as decimal strings). */
  snapshot(): LedgerState {
    return {
      tip: this.tip.toString(),
      transfers: this.log.map((t) => ({ ...t, amount: t.amount.toString(), height: t.height.toString() })),
      whitelist: [...this.whitelist],
      labels: Object.fromEntries(this.labels),
      keys: this.exportKeys(),
    };
  }

  /**
   * Loads `state` into this fresh simulator. Balances are the log replayed, with every transfer
   * checked as when it was made, so a state file edited into an overdraft is refused, not believed.
   */
  restore(input: unknown): void {
    if (this.log.length > 0 || this.tip > 0n) throw new Error(`the ${this.chain} simulator already has blocks`);
    const state = ledgerStateSchema.parse(input);
    this.importKeys(state.keys);
    for (const stored of state.transfers) {
      const height = BigInt(stored.height);
      if (height <= this.tip) throw new Error(`transfer ${stored.txId} at height ${height} is not above the one before it`);
      if (this.transfersById.has(stored.txId)) throw new Error(`transfer ${stored.txId} appears twice`);
      this.check(stored.from, stored.to, stored.asset, BigInt(stored.amount));
      this.apply({ ...stored, amount: BigInt(stored.amount), height });
      this.tip = height;
    }
    const tip = BigInt(state.tip);
    if (tip < this.tip) throw new Error(`tip ${tip} is below the last transfer's height ${this.tip}`);
    this.tip = tip;
    for (const address of [...state.whitelist, ...Object.values(state.labels)]) {
      const check = checkAddress(this.chain, address);
      if (!check.ok) throw new Error(`${address} is not a ${this.chain} address: ${check.reason}`);
    }
    for (const address of state.whitelist) this.whitelist.add(address);
    for (const [label, address] of Object.entries(state.labels)) this.labels.set(label, address);
  }

  balance(address: string, asset: string): bigint {
    return this.balancesByKey.get(`${address}|${asset}`) ?? 0n;
  }

  /** Creates `amount` units at `to` out of nothing (the genesis faucet of a simulator). */
  mint(to: string, asset: string, amount: bigint): LedgerTransfer {
    return this.record('', to, asset, amount);
  }

  /** Moves `amount` of `asset` from `from` to `to` in a new block; refuses malformed addresses and overdrafts. */
  transfer(request: { from: string; to: string; asset: string; amount: bigint; memo?: string }): LedgerTransfer {
    const { from, to, asset, amount } = request;
    if (request.memo !== undefined && (request.memo.length === 0 || request.memo.length > 80)) throw new LedgerError('a memo is 1 to 80 characters');
    return this.record(from, to, asset, amount, request.memo);
  }

  /** Adds `blocks` empty blocks (time passing). */
  mine(blocks = 1n): bigint {
    this.tip += blocks;
    this.changed();
    return this.tip;
  }

  transaction(txId: string): LedgerTransfer | undefined {
    return this.transfersById.get(txId);
  }

  /** Transfers from or to any of `addresses` at heights above `fromHeight`, oldest first. */
  transfersOf(addresses: readonly string[], fromHeight: bigint): LedgerTransfer[] {
    const watched = new Set(addresses);
    return this.log.filter((t) => t.height > fromHeight && (watched.has(t.from) || watched.has(t.to)));
  }

  isFinal(transfer: LedgerTransfer): boolean {
    return this.tip - transfer.height >= this.finality;
  }

  private record(from: string, to: string, asset: string, amount: bigint, memo?: string): LedgerTransfer {
    this.check(from, to, asset, amount);
    const body = { asset, from, to, amount, height: this.tip + 1n, ...(memo === undefined ? {} : { memo }) };
    const transfer: LedgerTransfer = { txId: this.txIdOf(body, randomBytes(32)), ...body };
    this.apply(transfer);
    this.tip = transfer.height;
    this.changed();
    return transfer;
  }

  /** Refuses an unknown asset, a non-positive amount, a malformed address or an overdraft. */
  private check(from: string, to: string, asset: string, amount: bigint): void {
    if (!(asset in this.assets)) throw new LedgerError(`${this.chain} carries ${Object.keys(this.assets).join(', ')}, not ${asset}`);
    if (amount <= 0n) throw new LedgerError('a transfer moves a positive amount');
    for (const address of from ? [from, to] : [to]) {
      const check = checkAddress(this.chain, address);
      if (!check.ok) throw new LedgerError(`${address} is not a ${this.chain} address: ${check.reason}`);
    }
    const held = this.balance(from, asset);
    if (from && held < amount) throw new LedgerError(`${from} holds ${held} ${asset}, cannot send ${amount}`);
  }

  /** Books a checked transfer: balances, the id index and the log. */
  private apply(transfer: LedgerTransfer): void {
    const { from, to, asset, amount } = transfer;
    if (from) this.balancesByKey.set(`${from}|${asset}`, this.balance(from, asset) - amount);
    this.balancesByKey.set(`${to}|${asset}`, this.balance(to, asset) + amount);
    this.transfersById.set(transfer.txId, transfer);
    this.log.push(transfer);
  }
}

/** Dogecoin mainnet parameters (bitcoinjs-lib ships Bitcoin's only): base58 version bytes 0x1e / 0x16. */
const DOGECOIN: Network = {
  messagePrefix: '\x19Dogecoin Signed Message:\n',
  bech32: 'doge',
  bip32: { public: 0x02facafd, private: 0x02fac398 },
  pubKeyHash: 0x1e,
  scriptHash: 0x16,
  wif: 0x9e,
};

/** Bitcoin-family txid: the id bitcoinjs-lib computes for a one-input transaction paying `to` (double SHA-256, reversed). */
function utxoTxId(network: Network, transfer: Omit<LedgerTransfer, 'txId'>, nonce: Uint8Array): string {
  const tx = new Transaction();
  tx.addInput(nonce, 0);
  tx.addOutput(btcAddress.toOutputScript(transfer.to, network), transfer.amount);
  if (transfer.memo !== undefined) tx.addOutput(payments.embed({ data: [Buffer.from(transfer.memo)] }).output!, 0n);
  return tx.getId();
}

export class BitcoinLedgerSimulator extends LedgerSimulator {
  readonly chain = 'bitcoin' as const;
  readonly assets = { BTC: 8 };
  readonly finality = 6n;
  /** P2WPKH (bech32 bc1q...) addresses. */
  newAddress(): string {
    return payments.p2wpkh({ hash: hash160(randomBytes(33)), network: networks.bitcoin }).address!;
  }
  protected txIdOf(transfer: Omit<LedgerTransfer, 'txId'>, nonce: Uint8Array): string {
    return utxoTxId(networks.bitcoin, transfer, nonce);
  }
}

export class DogecoinLedgerSimulator extends LedgerSimulator {
  readonly chain = 'dogecoin' as const;
  readonly assets = { DOGE: 8 };
  readonly finality = 6n;
  /** P2PKH (base58 D...) addresses. */
  newAddress(): string {
    return payments.p2pkh({ hash: hash160(randomBytes(33)), network: DOGECOIN }).address!;
  }
  protected txIdOf(transfer: Omit<LedgerTransfer, 'txId'>, nonce: Uint8Array): string {
    return utxoTxId(DOGECOIN, transfer, nonce);
  }
}

/** The base58 Solana address of an Ed25519 key. */
const solanaAddressOf = (key: KeyObject): string => base58.encode(Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x!, 'base64url'));

/**
 * What a Solana simulator's transaction id signs: the transfer with its slot, unique per transfer
 * (one per block), so the id can be checked against the sender's address as a signature is.
 */
export const solanaSignedMessage = (transfer: Omit<LedgerTransfer, 'txId'>): Buffer =>
  Buffer.from(`${transfer.height}:${transfer.from}>${transfer.to}:${transfer.asset}:${transfer.amount}:${transfer.memo ?? ''}`);

/**
 * Solana: an address is an Ed25519 public key in base58; a transaction id is its first signature in
 * base58 (64 bytes): the sender's when the simulator made the sender's address, else its fee payer's.
 */
export class SolanaLedgerSimulator extends LedgerSimulator {
  readonly chain = 'solana' as const;
  readonly assets = { SOL: 9 };
  readonly finality = 32n;
  private readonly keys = new Map<string, KeyObject>();
  newAddress(): string {
    const { privateKey } = generateKeyPairSync('ed25519');
    const address = solanaAddressOf(privateKey);
    this.keys.set(address, privateKey);
    this.changed();
    return address;
  }
  protected txIdOf(transfer: Omit<LedgerTransfer, 'txId'>): string {
    const signer = this.keys.get(transfer.from) ?? this.keys.get(this.addressFor('fee payer'))!;
    return base58.encode(ed25519Sign(null, solanaSignedMessage(transfer), signer));
  }
  protected override exportKeys(): Record<string, string> {
    return Object.fromEntries([...this.keys].map(([address, key]) => [address, key.export({ format: 'der', type: 'pkcs8' }).toString('base64')]));
  }
  protected override importKeys(keys: Record<string, string>): void {
    for (const [address, der] of Object.entries(keys)) {
      const key = createPrivateKey({ key: Buffer.from(der, 'base64'), format: 'der', type: 'pkcs8' });
      if (key.asymmetricKeyType !== 'ed25519' || solanaAddressOf(key) !== address) throw new Error(`the key held for ${address} is not its Ed25519 key`);
      this.keys.set(address, key);
    }
  }
}

/** XRP Ledger: classic r-addresses (account id = RIPEMD-160 of SHA-256 of a public key); a hash is 64 upper-case hex (SHA-512Half). */
export class XrpLedgerSimulator extends LedgerSimulator {
  readonly chain = 'xrpl' as const;
  readonly assets = { XRP: 6 };
  /** Validated ledgers are final. */
  readonly finality = 1n;
  newAddress(): string {
    return encodeAccountID(hash160(randomBytes(33)));
  }
  /** A custodian's shared account with a destination tag: `address?dt=<tag>`. */
  taggedAddress(classic: string, tag: number): string {
    return `${classic}?dt=${tag}`;
  }
  protected txIdOf(transfer: Omit<LedgerTransfer, 'txId'>, nonce: Uint8Array): string {
    const blob = Buffer.concat([Buffer.from('TXN\0'), nonce, Buffer.from(`${transfer.from}>${transfer.to}:${transfer.amount}:${transfer.memo ?? ''}`)]);
    return createHash('sha512').update(blob).digest().subarray(0, 32).toString('hex').toUpperCase();
  }
}

/** Cardano: Shelley enterprise addresses (CIP-19 type 6) in bech32 addr_test; a transaction id is BLAKE2b-256 hex of the body. */
export class CardanoLedgerSimulator extends LedgerSimulator {
  readonly chain = 'cardano' as const;
  readonly assets = { ADA: 6 };
  readonly finality = 10n;
  newAddress(): string {
    const keyHash = blake2b(randomBytes(32), { dkLen: 28 });
    const bytes = new Uint8Array([0x60, ...keyHash]); // type 6 (enterprise, key hash), network 0 (testnet)
    return bech32.encode('addr_test', bech32.toWords(bytes), 200);
  }
  protected txIdOf(transfer: Omit<LedgerTransfer, 'txId'>, nonce: Uint8Array): string {
    const body = Buffer.concat([nonce, Buffer.from(`${transfer.from}>${transfer.to}:${transfer.amount}:${transfer.memo ?? ''}`)]);
    return Buffer.from(blake2b(body, { dkLen: 32 })).toString('hex');
  }
}

export type SimulatedChain = LedgerSimulator['chain'];

/** One simulator per chain, keyed by chain name. */
export function createLedgerSimulators(): Record<SimulatedChain, LedgerSimulator> {
  return {
    bitcoin: new BitcoinLedgerSimulator(),
    dogecoin: new DogecoinLedgerSimulator(),
    solana: new SolanaLedgerSimulator(),
    xrpl: new XrpLedgerSimulator(),
    cardano: new CardanoLedgerSimulator(),
  };
}

/**
 * The HTTP surface (JSON, amounts and heights as decimal strings):
 *   GET  /chains/{chain}                              -> { chain, height, finality, assets }
 *   GET  /chains/{chain}/balances?address=A[&address=B] -> { height, balances: [{ wallet, asset, amount }] } (every asset, one height)
 *   GET  /chains/{chain}/tx/{txId}                    -> transfer with `final`
 *   GET  /chains/{chain}/transfers?address=A[&address=B]&fromHeight=N -> { height, transfers: [...with final] }
 *   POST /chains/{chain}/addresses [{label}]          -> { address } (with a label: the address made under it, made once)
 *   POST /chains/{chain}/transfers {from,to,asset,amount[,memo]} -> the transfer
 *   POST /chains/{chain}/mint {to,asset,amount}       -> the transfer (genesis faucet)
 *   POST /chains/{chain}/mine {blocks}                -> { height }
 *   GET  /chains/{chain}/whitelist                    -> { addresses } (the custodian's withdrawal whitelist)
 *   POST /chains/{chain}/whitelist {address}          -> { addresses }
 */
export interface RunningLedgers {
  url: string;
  ledgers: Record<SimulatedChain, LedgerSimulator>;
  close(): Promise<void>;
}

export const wireTransfer = (ledger: LedgerSimulator, t: LedgerTransfer) => ({
  txId: t.txId,
  asset: t.asset,
  from: t.from,
  to: t.to,
  amount: t.amount.toString(),
  height: t.height.toString(),
  ...(t.memo === undefined ? {} : { memo: t.memo }),
  final: ledger.isFinal(t),
});

const MAX_BODY = 64 * 1024;

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new LedgerError('request body too large', 413);
    chunks.push(chunk as Buffer);
  }
  try {
    const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as unknown;
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new LedgerError(`body is not a JSON object: ${(error as Error).message}`);
  }
}

function amountOf(value: unknown, what: string): bigint {
  if (typeof value !== 'string' || !/^\d{1,78}$/.test(value)) throw new LedgerError(`${what} is a decimal string of units`);
  return BigInt(value);
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new LedgerError(`${what} is required`);
  return value;
}

function route(ledgers: Record<SimulatedChain, LedgerSimulator>, method: string, url: URL, body: Record<string, unknown>): unknown {
  const [, root, chain, resource, id] = url.pathname.split('/');
  if (root !== 'chains' || !chain) throw new LedgerError('not found', 404);
  const ledger = ledgers[chain as SimulatedChain];
  if (!ledger) throw new LedgerError(`no simulator for chain "${chain}"`, 404);
  const key = `${method} ${resource ?? ''}${id !== undefined ? '/:id' : ''}`;
  switch (key) {
    case 'GET ':
      return { chain: ledger.chain, height: ledger.height.toString(), finality: ledger.finality.toString(), assets: ledger.assets };
    case 'GET balances': {
      const addresses = url.searchParams.getAll('address');
      if (addresses.length === 0) throw new LedgerError('at least one address is required');
      const balances = addresses.flatMap((wallet) => Object.keys(ledger.assets).map((asset) => ({ wallet, asset, amount: ledger.balance(wallet, asset).toString() })));
      return { height: ledger.height.toString(), balances };
    }
    case 'GET tx/:id': {
      const transfer = ledger.transaction(decodeURIComponent(id!));
      if (!transfer) throw new LedgerError(`no transaction ${id} on ${ledger.chain}`, 404);
      return wireTransfer(ledger, transfer);
    }
    case 'GET transfers': {
      const addresses = url.searchParams.getAll('address');
      if (addresses.length === 0) throw new LedgerError('at least one address is required');
      const fromHeight = amountOf(url.searchParams.get('fromHeight') ?? '0', 'fromHeight');
      return { height: ledger.height.toString(), transfers: ledger.transfersOf(addresses, fromHeight).map((t) => wireTransfer(ledger, t)) };
    }
    case 'POST addresses':
      return { address: body.label === undefined ? ledger.newAddress() : ledger.addressFor(text(body.label, 'label')) };
    case 'POST transfers':
      return wireTransfer(
        ledger,
        ledger.transfer({
          from: text(body.from, 'from'),
          to: text(body.to, 'to'),
          asset: text(body.asset, 'asset'),
          amount: amountOf(body.amount, 'amount'),
          ...(body.memo === undefined ? {} : { memo: text(body.memo, 'memo') }),
        }),
      );
    case 'POST mint':
      return wireTransfer(ledger, ledger.mint(text(body.to, 'to'), text(body.asset, 'asset'), amountOf(body.amount, 'amount')));
    case 'GET whitelist':
      return { addresses: [...ledger.whitelist] };
    case 'POST whitelist': {
      const address = text(body.address, 'address');
      const check = checkAddress(ledger.chain, address);
      if (!check.ok) throw new LedgerError(`${address} is not a ${ledger.chain} address: ${check.reason}`);
      ledger.whitelist.add(address);
      return { addresses: [...ledger.whitelist] };
    }
    case 'POST mine':
      return { height: ledger.mine(amountOf(body.blocks ?? '1', 'blocks')).toString() };
    default:
      throw new LedgerError(`no route ${method} ${url.pathname}`, 404);
  }
}

/**
 * Block intervals for the local stack. This is a simulator speed-up, not the chains' block times
 * (about 600 s on Bitcoin, 60 s on Dogecoin, 20 s on Cardano, 4 s on the XRP Ledger and 0.4 s on
 * Solana). Each chain reaches its confirmation depth (`finality`) in about 12 s, so a PMM delivery
 * on `npm start` becomes final within seconds and not after an hour of Bitcoin blocks.
 */
export const LOCAL_BLOCK_INTERVAL_MS: Readonly<Record<SimulatedChain, number>> = { bitcoin: 2_000, dogecoin: 2_000, solana: 400, xrpl: 4_000, cardano: 1_200 };

/** How long after a change the state file is written (at most one write per interval; `close` writes what is left). */
const SAVE_DELAY_MS = 1_000;

const stateFileSchema = z.object({ version: z.literal(1), chains: z.record(z.string(), z.unknown()) }).strict();

export interface LedgerSimulatorOptions {
  /** Port on 127.0.0.1; 0 picks a free one (default). */
  port?: number;
  /**
   * Makes one empty block every so many milliseconds, per chain or one value for all, as time passes
   * on a chain. Without it a block is made only per transfer and by `POST /chains/{chain}/mine`.
   */
  blockIntervalMs?: number | Partial<Record<SimulatedChain, number>>;
  /**
   * Keeps every ledger in this JSON file: loaded on start (a corrupt or unreadable file fails the
   * start with a StackError naming it), written atomically (temporary file, then rename) after changes
   * and on close. Without it the ledgers live in memory only.
   */
  stateFile?: string;
  /** Where a failed background save is reported (the next change or `close` tries again). */
  log?: (line: string) => void;
}

const reasonOf = (error: unknown): string =>
  error instanceof z.ZodError ? error.issues.map((i) => `${i.path.join('.') || 'file'}: ${i.message}`).join('; ') : (error as Error).message;

/** Loads `path` into `ledgers`; any failure is a StackError naming the file. */
function loadState(path: string, ledgers: Record<SimulatedChain, LedgerSimulator>): void {
  try {
    const file = stateFileSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
    for (const [chain, state] of Object.entries(file.chains)) {
      const ledger = ledgers[chain as SimulatedChain];
      if (!ledger) throw new Error(`it lists chain "${chain}", which has no simulator`);
      try {
        ledger.restore(state);
      } catch (error) {
        throw new Error(`${chain}: ${reasonOf(error)}`);
      }
    }
  } catch (error) {
    throw new StackError(`the ledger simulators' state file ${path} is unreadable or corrupt (${reasonOf(error)}): move it away to start the ledgers empty, or start the stack with --reset`);
  }
}

function saveState(path: string, ledgers: Record<SimulatedChain, LedgerSimulator>): void {
  const chains = Object.fromEntries(Object.entries(ledgers).map(([chain, ledger]) => [chain, ledger.snapshot()]));
  // It holds the private keys of the addresses the simulators made: readable by this user only.
  writeFileAtomically(path, JSON.stringify({ version: 1, chains }), 0o600);
}

/** Serves one simulator per chain on 127.0.0.1:`port` (0 picks a free port). */
export async function startLedgerSimulators(options: LedgerSimulatorOptions = {}): Promise<RunningLedgers> {
  const ledgers = createLedgerSimulators();
  const { stateFile } = options;
  const intervals = Object.values(ledgers).flatMap((ledger): Array<[LedgerSimulator, number]> => {
    const interval = typeof options.blockIntervalMs === 'object' ? options.blockIntervalMs[ledger.chain] : options.blockIntervalMs;
    if (interval === undefined) return [];
    if (!Number.isFinite(interval) || interval <= 0) throw new StackError(`blockIntervalMs for ${ledger.chain} must be a positive number of milliseconds, not ${interval}`);
    return [[ledger, interval]];
  });
  let saveTimer: NodeJS.Timeout | undefined;
  let dirty = false;
  const save = (): void => {
    saveTimer = undefined;
    if (!stateFile || !dirty) return;
    dirty = false;
    try {
      saveState(stateFile, ledgers);
    } catch (error) {
      dirty = true;
      options.log?.(`ledger simulators: could not write ${stateFile}: ${(error as Error).message}`);
    }
  };
  if (stateFile) {
    if (existsSync(stateFile)) loadState(stateFile, ledgers);
    else mkdirSync(dirname(stateFile), { recursive: true });
    for (const ledger of Object.values(ledgers)) {
      ledger.onChange = () => {
        dirty = true;
        saveTimer ??= setTimeout(save, SAVE_DELAY_MS);
      };
    }
  }
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      let status = 200;
      let payload: unknown;
      try {
        const url = new URL(request.url ?? '/', 'http://127.0.0.1');
        const body = request.method === 'POST' ? await readJson(request) : {};
        payload = route(ledgers, request.method ?? 'GET', url, body);
      } catch (error) {
        status = error instanceof LedgerError ? error.status : 500;
        payload = { message: (error as Error).message };
      }
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    })();
  });
  await listen(server, options.port ?? 0, 'ledger simulators');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const blockTimers = intervals.map(([ledger, interval]) => setInterval(() => ledger.mine(1n), interval));
  return {
    url: `http://127.0.0.1:${port}`,
    ledgers,
    close: async () => {
      for (const timer of blockTimers) clearInterval(timer);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      clearTimeout(saveTimer);
      if (stateFile && dirty) {
        dirty = false;
        saveState(stateFile, ledgers);
      }
    },
  };
}
