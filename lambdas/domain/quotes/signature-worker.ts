/**
 * A worker thread of `WorkerSignatures`: answers `{ id, digest, signature, maker }` with
 * `{ id, problem }` (null when the signature is the maker's), with its own `MakerSignatures`.
 */
import { parentPort } from 'node:worker_threads';
import { MakerSignatures, type SignatureCheck } from './signature';
import { warmUp } from './secp256k1';

const signatures = new MakerSignatures();
warmUp();

parentPort?.on('message', (check: SignatureCheck & { id: number }) => {
  let problem: string | undefined;
  try {
    problem = signatures.problem(check.digest, check.signature, check.maker);
  } catch (error) {
    problem = `the signature could not be checked: ${(error as Error).message}`;
  }
  parentPort?.postMessage({ id: check.id, problem: problem ?? null });
});
