import { extname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { MakerSignatures, type SignatureCheck } from '../domain/quotes/signature';

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
