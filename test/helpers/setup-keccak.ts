// The hot-path keccak (hash-wasm) instantiates asynchronously; handlers await it, tests here.
import { keccakReady } from '../../lambdas/domain/crypto/keccak';

beforeAll(() => keccakReady);
