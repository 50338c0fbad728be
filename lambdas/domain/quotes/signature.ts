/**
 * The maker signature check the Issuer runs for an EOA maker (OpenZeppelin ECDSA.tryRecover):
 * 65 bytes r || s || v, s in the lower half of the curve order, v 27 or 28, and the recovered
 * signer equal to the maker. Run before a quote leaves the API so a WLP never gets an order the
 * contract would refuse for its signature.
 */
import { extname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { recoverAddress, SigningKey } from 'ethers';
import { FixedBaseTable, publicKeyPoint, verifyManyWithTables, verifyWithTable } from './secp256k1';
import { checksum } from '../address';

/** secp256k1 group order / 2: OpenZeppelin rejects s above it (malleable signatures). */
const HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/** Why `signature` over `digest` is not `maker`'s, or undefined when it is. */
export function makerSignatureProblem(digest: string, signature: string, maker: string): string | undefined {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return 'signature is not 65 bytes of hex';
  const r = BigInt(`0x${signature.slice(2, 66)}`);
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = parseInt(signature.slice(130, 132), 16);
  if (v !== 27 && v !== 28) return `signature v is ${v}, not 27 or 28`;
  if (r === 0n || s === 0n) return 'signature r or s is zero';
  if (s > HALF_ORDER) return 'signature s is in the upper half of the curve order (malleable)';
  let signer: string;
  try {
    signer = recoverAddress(digest, signature);
  } catch {
    return 'signature does not recover to any address';
  }
  return signer === checksum(maker) ? undefined : `signature recovers to ${signer}, not the maker ${checksum(maker)}`;
}

/** One maker signature to check: `signature` over the EIP-712 `digest`, expected from `maker`. */
export interface SignatureCheck {
  digest: string;
  signature: string;
  maker: string;
}

/** Why a signature is not the maker's (undefined when it is), answered now or later. */
export type SignatureProblem = (digest: string, signature: string, maker: string) => string | undefined | Promise<string | undefined>;

/**
 * The same check, fast once a maker is known: its first good signature is recovered with ethers,
 * which gives the maker's public key; a precomputed window table for it is then built after the
 * current request (a macrotask later) and later signatures are verified against it
 * (lambdas/domain/quotes/secp256k1.ts, @noble/curves), cheaper than recovery.
 */
export class MakerSignatures {
  private readonly tables = new Map<string, FixedBaseTable>();
  private readonly building = new Set<string>();

  problem = (digest: string, signature: string, maker: string): string | undefined => {
    const address = checksum(maker);
    const table = this.tables.get(address);
    if (!table) {
      const problem = makerSignatureProblem(digest, signature, address);
      if (!problem && !this.building.has(address)) {
        this.building.add(address);
        void FixedBaseTable.buildInBackground(publicKeyPoint(SigningKey.recoverPublicKey(digest, signature)))
          .then((built) => this.tables.set(address, built))
          .finally(() => this.building.delete(address));
      }
      return problem;
    }
    if (verifyWithTable(table, digest, signature)) return undefined;
    // Rare: say precisely why, with the full recovery.
    return makerSignatureProblem(digest, signature, address) ?? `signature is not ${address}'s over this order`;
  };

  /** `problem` for many checks at once: those of makers with a table are verified as one batch. */
  problems(checks: readonly SignatureCheck[]): Array<string | undefined> {
    const batched = checks.flatMap((check, at) => {
      const table = this.tables.get(checksum(check.maker));
      return table ? [{ at, table, digest: check.digest, signature: check.signature }] : [];
    });
    const good = verifyManyWithTables(batched);
    const answers: Array<string | undefined | null> = checks.map(() => null);
    batched.forEach(({ at }, i) => {
      if (good[i]) answers[at] = undefined;
    });
    // Makers without a table yet, and the rare failures (for their precise reason), one at a time.
    return answers.map((answer, at) => (answer === null ? this.problem(checks[at].digest, checks[at].signature, checks[at].maker) : answer));
  }

  /** Resolves once every table being built is ready (for tests). */
  async settled(): Promise<void> {
    while (this.building.size > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * `MakerSignatures` on worker threads, for a process that serves many quotes at once: the local
 * stack's API, where one Node process stands in for all the Lambda containers a busy API would
 * run. The check is the costliest CPU step of a quote (about 0.25 ms); on the event loop it would
 * hold every quote to one core. The checks asked in one turn of the event loop go to a worker in
 * one message (turns go round robin), so a busy turn costs one hand-over, not one per quote; each
 * worker keeps its own key tables. If a worker dies, its checks and all later ones run inline
 * instead, so a quote never fails for it.
 * A Lambda container serves one request at a time and has no use for this (0 workers there).
 */
export class WorkerSignatures {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, { worker?: Worker; check: SignatureCheck; resolve(problem: string | undefined): void }>();
  private readonly unanswered = new Map<Worker, number>();
  private readonly inline = new MakerSignatures();
  /** Checks asked in this turn of the event loop: they go to one worker in one message. */
  private gathered: Array<SignatureCheck & { id: number }> = [];
  private nextId = 0;
  private turn = 0;

  constructor(size: number) {
    // Under tsx (the local stack) this module is TypeScript, and so is the worker's entry.
    const entry = resolve(__dirname, `signature-worker${extname(__filename)}`);
    const execArgv = entry.endsWith('.ts') ? ['--require', require.resolve('tsx/cjs')] : undefined;
    for (let i = 0; i < size; i++) {
      const worker = new Worker(entry, { execArgv });
      worker.on('message', (answers: Array<{ id: number; problem: string | null }>) => {
        for (const { id, problem } of answers) {
          const waiter = this.waiting.get(id);
          if (!waiter) continue;
          this.waiting.delete(id);
          this.hold(worker, -1);
          waiter.resolve(problem ?? undefined);
        }
      });
      worker.on('error', () => this.retire(worker));
      worker.on('exit', () => this.retire(worker));
      // An idle worker does not keep the process alive (unref after the listeners: adding one refs it again).
      worker.unref();
      this.workers.push(worker);
    }
  }

  problem = (digest: string, signature: string, maker: string): string | undefined | Promise<string | undefined> => {
    if (this.workers.length === 0) return this.inline.problem(digest, signature, maker);
    const id = this.nextId++;
    const check: SignatureCheck = { digest, signature, maker };
    if (this.gathered.length === 0) setImmediate(() => this.send());
    this.gathered.push({ id, ...check });
    return new Promise<string | undefined>((resolve) => this.waiting.set(id, { check, resolve }));
  };

  /** Hands this turn's checks to the next worker in one message (inline if none is left). */
  private send(): void {
    const checks = this.gathered;
    this.gathered = [];
    if (this.workers.length === 0) {
      for (const { id } of checks) this.answerInline(id);
      return;
    }
    const worker = this.workers[this.turn++ % this.workers.length];
    for (const { id } of checks) {
      this.waiting.get(id)!.worker = worker;
      this.hold(worker, 1);
    }
    worker.postMessage(checks);
  }

  /** Live workers (for tests and health). */
  get size(): number {
    return this.workers.length;
  }

  /** Stops the workers; later checks run inline. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  /** Counts a worker's unanswered checks; it keeps the process alive only while it has some. */
  private hold(worker: Worker, change: 1 | -1): void {
    const count = (this.unanswered.get(worker) ?? 0) + change;
    this.unanswered.set(worker, count);
    if (count === 0) worker.unref();
    else if (count === 1 && change === 1) worker.ref();
  }

  /** Takes a dead worker out of the rotation and answers its unanswered checks inline. */
  private retire(worker: Worker): void {
    const index = this.workers.indexOf(worker);
    if (index >= 0) this.workers.splice(index, 1);
    this.unanswered.delete(worker);
    for (const [id, waiter] of this.waiting) if (waiter.worker === worker) this.answerInline(id);
  }

  private answerInline(id: number): void {
    const waiter = this.waiting.get(id)!;
    this.waiting.delete(id);
    waiter.resolve(this.inline.problem(waiter.check.digest, waiter.check.signature, waiter.check.maker));
  }
}
