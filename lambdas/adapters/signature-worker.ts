/**
 * A worker thread of `WorkerSignatures`: answers a list of `{ id, digest, signature, maker }` with
 * a list of `{ id, problem }` (null when the signature is the maker's), with its own `MakerSignatures`.
 */
import { parentPort } from 'node:worker_threads';
import { MakerSignatures, type SignatureCheck } from '../domain/quotes/signature';
import { warmUp } from '../domain/quotes/secp256k1';

const signatures = new MakerSignatures();
warmUp();

/** One check on its own, its failure its own answer. */
const checkAlone = (check: SignatureCheck): string | undefined => {
  try {
    return signatures.problem(check.digest, check.signature, check.maker);
  } catch (error) {
    return `the signature could not be checked: ${(error as Error).message}`;
  }
};

parentPort?.on('message', (checks: Array<SignatureCheck & { id: number }>) => {
  let problems: Array<string | undefined>;
  try {
    problems = signatures.problems(checks);
  } catch {
    // One bad check must not spoil the others: answer each alone.
    problems = checks.map(checkAlone);
  }
  parentPort?.postMessage(checks.map((check, i) => ({ id: check.id, problem: problems[i] ?? null })));
});
