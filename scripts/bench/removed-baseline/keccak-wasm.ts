/*
 * REMOVED BASELINE, NOT SHIPPED: lambdas/domain/merkle/keccak-wasm.ts (hand-assembled keccak WebAssembly module) as it was on main at commit 2ba8359, before issue 21 replaced it
 * with audited libraries. Kept here only so `npm run bench:points` can measure the old code side by side with
 * what ships, in the same run; nothing outside scripts/bench/ may import it.
 */
/**
 * Keccak-256 as a small WebAssembly module, assembled here at load time from the permutation's
 * definition (no binary file, no toolchain): WebAssembly has native 64-bit rotate, xor and and,
 * which JavaScript would emulate with pairs of 32-bit words. The module exports its memory and
 *
 *   hash64(a, b, out): keccak256 of the 32 bytes at a followed by the 32 bytes at b, into out;
 *   hash32(a, out):    keccak256 of the 32 bytes at a, into out;
 *   leaves(src, n, out): for each of n 64-byte messages at src, keccak256(keccak256(message)),
 *                        32 bytes each into out (the StandardMerkleTree leaf hash).
 *
 * Both messages fit in one 136-byte block, so a hash is one permutation of a state that starts
 * as the message, the pad byte 0x01 after it and 0x80 in byte 135. Locals start at zero on every
 * call, which is the rest of the state.
 */

// Rotation offsets of lane x + 5y: walk (x, y) -> (y, 2x + 3y) from (1, 0), offset (t+1)(t+2)/2 mod 64.
const ROTATION: number[] = (() => {
  const r = new Array<number>(25).fill(0);
  let [x, y] = [1, 0];
  for (let t = 0; t < 24; t++) {
    r[x + 5 * y] = (((t + 1) * (t + 2)) / 2) % 64;
    [x, y] = [y, (2 * x + 3 * y) % 5];
  }
  return r;
})();

// Round constants from the Keccak reference's degree-8 LFSR.
const ROUND_CONSTANTS: bigint[] = (() => {
  let state = 1;
  const bit = (): number => {
    const out = state & 1;
    state = state & 0x80 ? ((state << 1) ^ 0x71) & 0xff : (state << 1) & 0xff;
    return out;
  };
  return Array.from({ length: 24 }, () => {
    let rc = 0n;
    for (let j = 0; j < 7; j++) if (bit()) rc |= 1n << BigInt((1 << j) - 1);
    return rc;
  });
})();

// Opcodes used.
const OP = {
  block: 0x02,
  loop: 0x03,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i64Load: 0x29,
  i64Store: 0x37,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i64And: 0x83,
  i64Xor: 0x85,
  i64Rotl: 0x89,
  i32Call: 0x10,
} as const;
const I32 = 0x7f;
const I64 = 0x7e;

function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return out;
}

function sleb(value: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = Number(value & 0x7fn);
    value >>= 7n;
    if ((value === 0n && !(byte & 0x40)) || (value === -1n && byte & 0x40)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const signed64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (text: string): number[] => [...uleb(text.length), ...Buffer.from(text)];

/**
 * Code of one permutation plus squeeze: the state is in locals s(0..24); `store` writes lanes
 * 0..3 to the address in local `out`.
 */
function permutation(s: (i: number) => number, b: (i: number) => number, c: (i: number) => number, d: number): number[] {
  const code: number[] = [];
  const get = (i: number) => code.push(OP.localGet, ...uleb(i));
  const set = (i: number) => code.push(OP.localSet, ...uleb(i));
  const rotl = (n: number) => {
    if (n) code.push(OP.i64Const, ...sleb(BigInt(n)), OP.i64Rotl);
  };
  for (let round = 0; round < 24; round++) {
    for (let x = 0; x < 5; x++) {
      get(s(x));
      for (let y = 1; y < 5; y++) {
        get(s(x + 5 * y));
        code.push(OP.i64Xor);
      }
      set(c(x));
    }
    for (let x = 0; x < 5; x++) {
      get(c((x + 4) % 5));
      get(c((x + 1) % 5));
      rotl(1);
      code.push(OP.i64Xor);
      set(d);
      for (let y = 0; y < 5; y++) {
        get(s(x + 5 * y));
        get(d);
        code.push(OP.i64Xor);
        set(s(x + 5 * y));
      }
    }
    for (let x = 0; x < 5; x++) {
      for (let y = 0; y < 5; y++) {
        get(s(x + 5 * y));
        rotl(ROTATION[x + 5 * y]);
        set(b(y + 5 * ((2 * x + 3 * y) % 5)));
      }
    }
    for (let y = 0; y < 5; y++) {
      for (let x = 0; x < 5; x++) {
        get(b(x + 5 * y));
        get(b(((x + 1) % 5) + 5 * y));
        code.push(OP.i64Const, ...sleb(-1n), OP.i64Xor);
        get(b(((x + 2) % 5) + 5 * y));
        code.push(OP.i64And, OP.i64Xor);
        set(s(x + 5 * y));
      }
    }
    get(s(0));
    code.push(OP.i64Const, ...sleb(signed64(ROUND_CONSTANTS[round])), OP.i64Xor);
    set(s(0));
  }
  return code;
}

const memArg = (offset: number): number[] => [3, ...uleb(offset)];

/** A hash function body: params, then 25 state + 25 temp + 5 column + 1 lane locals. */
function hashBody(params: number, absorb: (s: (i: number) => number) => number[], outParam: number): number[] {
  const s = (i: number) => params + i;
  const b = (i: number) => params + 25 + i;
  const c = (i: number) => params + 50 + i;
  const d = params + 55;
  const code = [...absorb(s), ...permutation(s, b, c, d)];
  for (let lane = 0; lane < 4; lane++) {
    code.push(OP.localGet, ...uleb(outParam), OP.localGet, ...uleb(s(lane)), OP.i64Store, ...memArg(lane * 8));
  }
  code.push(OP.end);
  const locals = vec([[...uleb(56), I64]]);
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

const PAD_LAST = signed64(0x80n << 56n); // 0x80 in byte 135 = top byte of lane 16

function absorb(ptrParams: number[], s: (i: number) => number): number[] {
  const code: number[] = [];
  ptrParams.forEach((param, half) => {
    for (let lane = 0; lane < 4; lane++) {
      code.push(OP.localGet, ...uleb(param), OP.i64Load, ...memArg(lane * 8), OP.localSet, ...uleb(s(half * 4 + lane)));
    }
  });
  const padLane = ptrParams.length * 4;
  code.push(OP.i64Const, 1, OP.localSet, ...uleb(s(padLane)));
  code.push(OP.i64Const, ...sleb(PAD_LAST), OP.localSet, ...uleb(s(16)));
  return code;
}

/** leaves(src, n, out): loop calling hash64(src, src + 32, out) then hash32(out, out). */
function leavesBody(): number[] {
  const [src, n, out] = [0, 1, 2];
  const code: number[] = [
    OP.block, 0x40,
    OP.localGet, n, OP.i32Eqz, OP.brIf, 0,
    OP.loop, 0x40,
    OP.localGet, src, OP.localGet, src, OP.i32Const, ...uleb(32), OP.i32Add, OP.localGet, out, OP.i32Call, 0,
    OP.localGet, out, OP.localGet, out, OP.i32Call, 1,
    OP.localGet, src, OP.i32Const, ...sleb(64n), OP.i32Add, OP.localSet, src,
    OP.localGet, out, OP.i32Const, ...sleb(32n), OP.i32Add, OP.localSet, out,
    OP.localGet, n, OP.i32Const, 1, OP.i32Sub, OP.localTee, n,
    OP.brIf, 0,
    OP.end,
    OP.end,
    OP.end,
  ];
  const body = [0, ...code]; // no locals beyond the params
  return [...uleb(body.length), ...body];
}

function assemble(): Uint8Array {
  const types = section(1, vec([
    [0x60, ...vec([[I32], [I32], [I32]]), 0], // (i32, i32, i32) -> ()
    [0x60, ...vec([[I32], [I32]]), 0], // (i32, i32) -> ()
  ]));
  const functions = section(3, vec([[0], [1], [0]]));
  const memory = section(5, vec([[0x00, ...uleb(1)]]));
  const exports = section(7, vec([
    [...name('memory'), 0x02, 0],
    [...name('hash64'), 0x00, 0],
    [...name('hash32'), 0x00, 1],
    [...name('leaves'), 0x00, 2],
  ]));
  const code = section(10, vec([
    hashBody(3, (s) => absorb([0, 1], s), 2),
    hashBody(2, (s) => absorb([0], s), 1),
    leavesBody(),
  ]));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...functions, ...memory, ...exports, ...code]);
}

// The global WebAssembly API, typed here: the project's TypeScript libs (ES2022, @types/node 20) do not declare it.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const WASM = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export interface KeccakWasm {
  readonly memory: WasmMemory;
  hash64(a: number, b: number, out: number): void;
  hash32(a: number, out: number): void;
  leaves(src: number, n: number, out: number): void;
}

let compiled: object | undefined;

/** A fresh instance with its own memory of at least `bytes` bytes (64 KiB pages). */
export function keccakWasm(bytes: number): KeccakWasm {
  compiled ??= new WASM.Module(assemble());
  const exports = new WASM.Instance(compiled, {}).exports as KeccakWasm;
  const pages = Math.ceil(bytes / 65536);
  if (pages > 1) exports.memory.grow(pages - 1);
  return exports;
}
