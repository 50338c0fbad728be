/**
 * A worker thread of `WorkerSignatures`: answers a list of `{ id, digest, signature, maker }` with
 * a list of `{ id, problem }` (null when the signature is the maker's), with its own `MakerSignatures`.
 */
import { parentPort } from 'node:worker_threads';
import { MakerSignatures, type SignatureCheck } from './signature';
import { warmUp } from './secp256k1';

const signatures = new MakerSignatures();
warmUp();

parentPort?.on('message', (checks: Array<SignatureCheck & { id: number }>) => {
  const answers = checks.map((check) => {
    let problem: string | undefined;
    try {
      problem = signatures.problem(check.digest, check.signature, check.maker);
    } catch (error) {
      problem = `the signature could not be checked: ${(error as Error).message}`;
    }
    return { id: check.id, problem: problem ?? null };
  });
  parentPort?.postMessage(answers);
});
