import { randomBytes } from 'node:crypto';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { AbiCoder, keccak256, concat } from 'ethers';
import { keccak256 as keccakBytes, keccak256Hex } from '../../../../lambdas/domain/crypto/keccak';
import { LEAF_ENCODING, RewardMerkleTree, sortedOrder } from '../../../../lambdas/domain/merkle/reward-tree';

const ENCODING = [...LEAF_ENCODING];

function randomLeaves(n: number, options: { duplicateAmounts?: boolean } = {}): { accounts: string[]; amounts: bigint[] } {
  const accounts: string[] = [];
  const amounts: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const hex = randomBytes(20).toString('hex');
    // Mixed case on some accounts: the encoding must not depend on it.
    accounts.push(`0x${i % 4 === 1 ? hex.toUpperCase() : hex}`);
    amounts.push(options.duplicateAmounts ? 10n ** 18n : BigInt(`0x${randomBytes(1 + (i % 32)).toString('hex')}`));
  }
  return { accounts, amounts };
}

function openZeppelinTree(accounts: string[], amounts: bigint[]) {
  return StandardMerkleTree.of(
    accounts.map((a, i) => [a, amounts[i].toString()]),
    ENCODING,
  );
}

describe('keccak256 (hash-wasm) against ethers', () => {
  test('equal digests for messages of every length from 0 to 300 bytes (one and several 136-byte blocks)', () => {
    for (let length = 0; length <= 300; length++) {
      const message = randomBytes(length);
      expect(keccak256Hex(message)).toBe(keccak256(message));
      expect(Buffer.from(keccakBytes(message)).toString('hex')).toBe(keccak256(message).slice(2));
    }
  });

  test('a hash reads only the view it is given, not the rest of its buffer', () => {
    const buffer = randomBytes(256);
    expect(keccak256Hex(buffer.subarray(64, 128))).toBe(keccak256(buffer.subarray(64, 128)));
  });
});

describe('RewardMerkleTree is StandardMerkleTree for (address, uint256) leaves', () => {
  test.each([1, 2, 3, 4, 5, 7, 8, 9, 31, 64, 101, 257])('%i leaves: same root, same dump, same proof for every leaf', (n) => {
    const { accounts, amounts } = randomLeaves(n);

    const ours = RewardMerkleTree.fromArrays(accounts, amounts);
    const theirs = openZeppelinTree(accounts, amounts);

    expect(ours.root).toBe(theirs.root);
    expect(ours.dump()).toEqual(theirs.dump());
    for (let i = 0; i < n; i++) expect(ours.getProof(i)).toEqual(theirs.getProof(i));
  });

  test('many accounts with the same amount build the same tree as OpenZeppelin', () => {
    const { accounts, amounts } = randomLeaves(50, { duplicateAmounts: true });

    expect(RewardMerkleTree.fromArrays(accounts, amounts).dump()).toEqual(openZeppelinTree(accounts, amounts).dump());
  });

  test('duplicate leaves keep their input order, as OpenZeppelin stable sort does', () => {
    const { accounts, amounts } = randomLeaves(6);
    accounts.push(accounts[2], accounts[2]);
    amounts.push(amounts[2], amounts[2]);

    expect(RewardMerkleTree.fromArrays(accounts, amounts).dump()).toEqual(openZeppelinTree(accounts, amounts).dump());
  });

  test('zero and maximal uint256 amounts encode like abi.encode', () => {
    const accounts = ['0x0000000000000000000000000000000000000000', '0xffffffffffffffffffffffffffffffffffffffff', `0x${'ab'.repeat(20)}`];
    const amounts = [0n, (1n << 256n) - 1n, 1n << 64n];

    expect(RewardMerkleTree.fromArrays(accounts, amounts).dump()).toEqual(openZeppelinTree(accounts, amounts).dump());
  });

  test('a leaf hash is the double keccak of abi.encode(account, amount) a contract computes', () => {
    const account = `0x${randomBytes(20).toString('hex')}`;
    const amount = 123456789n * 10n ** 18n;
    const expected = keccak256(concat([keccak256(AbiCoder.defaultAbiCoder().encode(['address', 'uint256'], [account, amount]))]));

    const tree = RewardMerkleTree.fromArrays([account], [amount]);

    expect(tree.leafHash(0)).toBe(expected);
    expect(tree.root).toBe(expected);
  });

  test('proofs verify with StandardMerkleTree.verify and with our verify, and fail for a wrong amount', () => {
    const { accounts, amounts } = randomLeaves(40);
    const tree = RewardMerkleTree.of(accounts.map((a, i) => [a, amounts[i]] as const));

    for (let i = 0; i < accounts.length; i++) {
      const proof = tree.getProof(i);
      expect(StandardMerkleTree.verify(tree.root, ENCODING, [accounts[i], amounts[i].toString()], proof)).toBe(true);
      expect(RewardMerkleTree.verify(tree.root, accounts[i], amounts[i], proof)).toBe(true);
      expect(RewardMerkleTree.verify(tree.root, accounts[i], amounts[i] + 1n, proof)).toBe(false);
    }
  });

  test('claimOf finds an account whatever its case and returns its amount and proof', () => {
    const { accounts, amounts } = randomLeaves(10);
    const tree = RewardMerkleTree.fromArrays(accounts, amounts);

    const claim = tree.claimOf(accounts[3].toUpperCase().replace('0X', '0x'));

    expect(claim).toEqual({ account: accounts[3], amount: amounts[3], proof: tree.getProof(3) });
    expect(tree.claimOf(`0x${'00'.repeat(19)}01`)).toBeUndefined();
  });

  test('the dump loads with StandardMerkleTree.load and gives the same proofs', () => {
    const { accounts, amounts } = randomLeaves(23);
    const tree = RewardMerkleTree.fromArrays(accounts, amounts);

    const loaded = StandardMerkleTree.load(JSON.parse(JSON.stringify(tree.dump())));

    expect(loaded.root).toBe(tree.root);
    for (let i = 0; i < accounts.length; i++) expect(loaded.getProof(i)).toEqual(tree.getProof(i));
  });

  test('the streamed JSON is exactly JSON.stringify of the dump', () => {
    const { accounts, amounts } = randomLeaves(37);
    const tree = RewardMerkleTree.fromArrays(accounts, amounts);

    expect([...tree.dumpJson(100)].join('')).toBe(JSON.stringify(tree.dump()));
  });

  test('load rebuilds a dumped tree and refuses a tampered one', () => {
    const { accounts, amounts } = randomLeaves(9);
    const dump = RewardMerkleTree.fromArrays(accounts, amounts).dump();

    expect(RewardMerkleTree.load(dump).root).toBe(dump.tree[0]);
    const tampered = { ...dump, values: dump.values.map((v, i) => (i === 4 ? { ...v, value: [v.value[0], '1'] as [string, string] } : v)) };
    expect(() => RewardMerkleTree.load(tampered)).toThrow('not the tree of its values');
  });

  test('bad leaves are refused: no leaves, a malformed address, a negative or oversized amount', () => {
    expect(() => RewardMerkleTree.fromArrays([], [])).toThrow('at least one leaf');
    expect(() => RewardMerkleTree.fromArrays(['0x1234'], [1n])).toThrow('not an address');
    expect(() => RewardMerkleTree.fromArrays([`0X${'11'.repeat(20)}`], [1n])).toThrow('not an address');
    expect(() => RewardMerkleTree.fromArrays([`0x${'zz'.repeat(20)}`], [1n])).toThrow('not an address');
    expect(() => RewardMerkleTree.fromArrays([`0x${'11'.repeat(20)}`], [-1n])).toThrow('not a uint256');
    expect(() => RewardMerkleTree.fromArrays([`0x${'11'.repeat(20)}`], [1n << 256n])).toThrow('not a uint256');
  });
});

describe('leaf order', () => {
  test('hashes sharing their first 32 bits are ordered by the rest, equal hashes by input position', () => {
    const hex = [
      'ffffffff00000000000000000000000000000000000000000000000000000002',
      'aaaaaaaa00000000000000000000000000000000000000000000000000000009',
      'aaaaaaaa00000000000000000000000000000000000000000000000000000001',
      '0000000100000000000000000000000000000000000000000000000000000000',
      'aaaaaaaa00000000000000000000000000000000000000000000000000000001',
      'aaaaaaab00000000000000000000000000000000000000000000000000000000',
    ];
    const hashes = new Int32Array(hex.length * 8);
    hex.forEach((h, i) => Buffer.from(hashes.buffer).write(h, i * 32, 'hex'));

    const order = Array.from(sortedOrder(hashes, hex.length));

    expect(order).toEqual([3, 2, 4, 1, 5, 0]);
    expect(order.map((i) => hex[i])).toEqual([...hex].sort());
  });
});
