import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import type { Contract } from 'ethers';
import { getAddress, getBytes, hexlify, keccak256, randomBytes, toBeHex, zeroPadValue } from 'ethers';
import type { GasGroup } from '../gas';
import { as, gasOf } from '../gas-tx';
import { rewardsLeaf } from '../../../lambdas/domain/rewards-leaf';

/**
 * Gas of the staking, locking, rewards and reserve contracts, each behind its UUPS proxy as deployed.
 * Staked/locked tokens are TestTokens (plain OpenZeppelin ERC-20, no proxy), approved for the exact
 * amount (so the allowance is written, as for a typical wallet approval). Claims run against a
 * 100,000-leaf tree with OpenZeppelin StandardMerkleTree leaves, built here as a plain keccak tree
 * with sorted pairs (what MerkleProof verifies); every proof has 17 nodes.
 */

const E18 = 10n ** 18n;
const DAY = 86_400n;
const TREE_LEAVES = 100_000;

/** A layered keccak tree with sorted-pair nodes; an odd node is carried up unchanged. */
class KeccakTree {
  private readonly layers: Uint8Array[][];

  constructor(leaves: Uint8Array[]) {
    let layer = leaves;
    this.layers = [layer];
    const pair = new Uint8Array(64);
    while (layer.length > 1) {
      const next: Uint8Array[] = [];
      for (let i = 0; i < layer.length; i += 2) {
        const a = layer[i]!;
        const b = layer[i + 1];
        if (b === undefined) {
          next.push(a);
          continue;
        }
        const aFirst = Buffer.compare(a, b) <= 0;
        pair.set(aFirst ? a : b, 0);
        pair.set(aFirst ? b : a, 32);
        next.push(getBytes(keccak256(pair)));
      }
      this.layers.push(next);
      layer = next;
    }
  }

  get root(): string {
    return hexlify(this.layers[this.layers.length - 1]![0]!);
  }

  proof(index: number): string[] {
    const proof: string[] = [];
    let i = index;
    for (const layer of this.layers.slice(0, -1)) {
      const sibling = layer[i ^ 1];
      if (sibling !== undefined) proof.push(hexlify(sibling));
      i >>= 1;
    }
    return proof;
  }
}

/**
 * The StandardMerkleTree leaf of (account, amount) as bytes, encoded by hand for speed (100k leaves);
 * `allocations` checks it against the shared `rewardsLeaf` so both stay identical.
 */
function fastLeaf(account: string, amount: bigint): Uint8Array {
  const encoded = new Uint8Array(64);
  encoded.set(getBytes(account), 12);
  encoded.set(getBytes(toBeHex(amount, 32)), 32);
  return getBytes(keccak256(getBytes(keccak256(encoded))));
}

interface Allocations {
  accounts: string[];
  amounts: bigint[];
  tree: KeccakTree;
}

/** One epoch's tree: TREE_LEAVES random accounts, with `claimers` at spread positions. */
function allocations(claimers: string[], epoch: bigint): Allocations {
  const accounts: string[] = [];
  const amounts: bigint[] = [];
  for (let i = 0; i < TREE_LEAVES; i++) {
    accounts.push(hexlify(randomBytes(20)));
    amounts.push(BigInt(i + 1) * epoch * 10n ** 12n);
  }
  claimers.forEach((claimer, k) => {
    const position = Math.floor(((k + 1) * TREE_LEAVES) / (claimers.length + 2));
    accounts[position] = claimer;
    amounts[position] = (10n + BigInt(k)) * epoch * E18;
  });
  const leaves = accounts.map((account, i) => fastLeaf(account, amounts[i]!));
  for (const i of [0, TREE_LEAVES - 1]) {
    if (hexlify(leaves[i]!) !== rewardsLeaf(accounts[i]!, amounts[i]!)) throw new Error('bench leaf encoding differs from rewardsLeaf');
  }
  return { accounts, amounts, tree: new KeccakTree(leaves) };
}

async function stakingRows(hre: HardhatRuntimeEnvironment, rows: GasGroup['rows']): Promise<void> {
  const [admin, alice, bob] = await hre.ethers.getSigners();
  const token = (await hre.ethers.deployContract('TestToken', ['MAG7 Index', 'MAG7.ssi', 18])) as unknown as Contract;
  const implementation = await hre.upgrades.deployImplementation(await hre.ethers.getContractFactory('StakeToken'), { kind: 'uups' });
  const factory = (await hre.upgrades.deployProxy(await hre.ethers.getContractFactory('StakeFactory'), [admin!.address, implementation], {
    kind: 'uups',
  })) as unknown as Contract;
  await (await factory.grantRole(await factory.OPERATOR_ROLE(), admin!.address)).wait();
  await (await factory.createStakeToken(await token.getAddress())).wait();
  const sToken = (await hre.ethers.getContractAt('StakeToken', await factory.sTokenOf(await token.getAddress()))) as unknown as Contract;
  const sAddress = await sToken.getAddress();
  for (const user of [alice!, bob!]) await (await token.mint(user.address, 1_000n * E18)).wait();

  // Bob opens the pool and has a request cooling, so Alice's numbers are those of a user joining a
  // live sToken (the very first unstake of an sToken also turns totalCooling from zero: +17k once).
  await (await as(token, bob!).approve(sAddress, 100n * E18)).wait();
  await (await as(sToken, bob!).stake(100n * E18)).wait();
  await (await as(sToken, bob!).unstake(1n * E18)).wait();

  await (await as(token, alice!).approve(sAddress, 100n * E18)).wait();
  rows.push({ case: 'sToken stake (first stake of a holder)', gas: await gasOf(as(sToken, alice!).stake(60n * E18)) });
  rows.push({ case: 'sToken stake (adding to a position)', gas: await gasOf(as(sToken, alice!).stake(40n * E18)) });
  rows.push({ case: 'sToken unstake (first request of a user)', gas: await gasOf(as(sToken, alice!).unstake(10n * E18)) });
  await hre.network.provider.send('evm_increaseTime', [Number(DAY)]);
  rows.push({ case: 'sToken unstake (second, overlapping request)', gas: await gasOf(as(sToken, alice!).unstake(10n * E18)) });
  await (await as(sToken, alice!).unstake(10n * E18)).wait();
  await hre.network.provider.send('evm_increaseTime', [Number(13n * DAY)]);
  rows.push({ case: 'sToken withdraw (1 matured request)', gas: await gasOf(as(sToken, alice!).withdraw()) });
  await hre.network.provider.send('evm_increaseTime', [Number(DAY)]);
  rows.push({ case: 'sToken withdraw (2 matured requests)', gas: await gasOf(as(sToken, alice!).withdraw()) });
}

async function lockingRows(hre: HardhatRuntimeEnvironment, rows: GasGroup['rows']): Promise<void> {
  const [admin, alice, bob] = await hre.ethers.getSigners();
  const lp = (await hre.ethers.deployContract('TestToken', ['MAG7.ssi/USDC LP', 'LP', 18])) as unknown as Contract;
  const now = BigInt((await hre.ethers.provider.getBlock('latest'))!.timestamp);
  const locking = (await hre.upgrades.deployProxy(await hre.ethers.getContractFactory('AssetLocking'), [admin!.address, now, 7n * DAY], {
    kind: 'uups',
  })) as unknown as Contract;
  const lAddress = await locking.getAddress();
  await (await locking.configureToken(await lp.getAddress(), 1_000_000n * E18, 7n * DAY)).wait();
  for (const user of [alice!, bob!]) await (await lp.mint(user.address, 1_000n * E18)).wait();
  await (await as(lp, bob!).approve(lAddress, 100n * E18)).wait();
  await (await as(locking, bob!).lock(await lp.getAddress(), 100n * E18)).wait();
  await (await as(locking, bob!).unlock(await lp.getAddress(), 1n * E18)).wait();

  await (await as(lp, alice!).approve(lAddress, 100n * E18)).wait();
  rows.push({ case: 'lock (first lock of a user)', gas: await gasOf(as(locking, alice!).lock(await lp.getAddress(), 60n * E18)) });
  rows.push({ case: 'lock (adding to a lock)', gas: await gasOf(as(locking, alice!).lock(await lp.getAddress(), 40n * E18)) });
  rows.push({ case: 'unlock (first request)', gas: await gasOf(as(locking, alice!).unlock(await lp.getAddress(), 30n * E18)) });
  await hre.network.provider.send('evm_increaseTime', [Number(7n * DAY)]);
  rows.push({ case: 'withdraw unlocked (1 matured request)', gas: await gasOf(as(locking, alice!).withdraw(await lp.getAddress())) });
}

async function rewardsRows(hre: HardhatRuntimeEnvironment, rows: GasGroup['rows'], notes: string[]): Promise<void> {
  const signers = await hre.ethers.getSigners();
  const [admin, fresh, holder, relayer] = [signers[0]!, signers[5]!, signers[6]!, signers[7]!];
  const soso = (await hre.ethers.deployContract('SosoToken', [admin.address])) as unknown as Contract;
  const distributor = (await hre.upgrades.deployProxy(
    await hre.ethers.getContractFactory('RewardsDistributor'),
    [admin.address, await soso.getAddress(), DAY],
    { kind: 'uups' },
  )) as unknown as Contract;
  await (await distributor.grantRole(await distributor.OPERATOR_ROLE(), admin.address)).wait();
  await (await soso.approve(await distributor.getAddress(), hre.ethers.MaxUint256)).wait();
  await (await distributor.fund(100_000_000n * E18)).wait();
  // `holder` already holds SOSO, as most claimers of a live reward token do; `fresh` holds none.
  await (await soso.transfer(holder.address, 1n * E18)).wait();
  await (await as(distributor, fresh).setClaimer(relayer.address, true)).wait();

  const claimers = [fresh.address, holder.address];
  const started = Date.now();
  const one = allocations(claimers, 1n);
  const two = allocations(claimers, 2n);
  const built = Date.now() - started;
  const total = (amounts: bigint[]) => amounts.reduce((s, a) => s + a, 0n);
  const claim = (data: Allocations, account: string, signer = account) => {
    const index = data.accounts.indexOf(account);
    const proof = data.tree.proof(index);
    return { proof, tx: () => as(distributor, signers.find((s) => s.address === signer)!).claim(account, data.amounts[index]!, proof) };
  };

  rows.push({ case: 'rewards publishRoot (first epoch)', gas: await gasOf(distributor.publishRoot(1, one.tree.root, total(one.amounts))) });
  await hre.network.provider.send('evm_increaseTime', [Number(DAY)]);
  const holderFirst = claim(one, holder.address);
  rows.push({ case: 'rewards claim, first (recipient already holds SOSO)', gas: await gasOf(holderFirst.tx()) });
  const freshFirst = claim(one, fresh.address);
  rows.push({ case: 'rewards claim, first (recipient holds no SOSO)', gas: await gasOf(freshFirst.tx()) });
  rows.push({ case: 'rewards publishRoot (later epoch, promotes the previous)', gas: await gasOf(distributor.publishRoot(2, two.tree.root, total(two.amounts))) });
  await hre.network.provider.send('evm_increaseTime', [Number(DAY)]);
  const holderLater = claim(two, holder.address);
  rows.push({ case: 'rewards claim, later epoch (pays the increase)', gas: await gasOf(holderLater.tx()) });
  const relayed = claim(two, fresh.address, relayer.address);
  rows.push({ case: 'rewards claim, later epoch, by an approved claimer', gas: await gasOf(relayed.tx()) });
  notes.push(
    `Claims use a ${TREE_LEAVES.toLocaleString('en-US')}-leaf tree per epoch (StandardMerkleTree leaves, sorted-pair keccak nodes, proofs of ${holderFirst.proof.length} nodes; both trees built in ${(built / 1000).toFixed(1)} s).`,
  );
}

async function reserveRows(hre: HardhatRuntimeEnvironment, rows: GasGroup['rows']): Promise<void> {
  const [admin] = await hre.ethers.getSigners();
  const registry = (await hre.upgrades.deployProxy(await hre.ethers.getContractFactory('ReserveRegistry'), [admin!.address], {
    kind: 'uups',
  })) as unknown as Contract;
  await (await registry.grantRole(await registry.OPERATOR_ROLE(), admin!.address)).wait();
  const assets = Array.from({ length: 7 }, (_, i) => zeroPadValue(toBeHex(0xa0 + i), 20));
  const blockNumber = BigInt(await hre.ethers.provider.getBlockNumber());
  const report = (day: number) => ({
    index: getAddress('0x9e6a46f294bb67c20f1d1e7afb0bbef614403b55'),
    day,
    reportHash: keccak256(toBeHex(day)),
    liabilitiesRoot: keccak256(toBeHex(day + 1)),
    blockNumber,
    assets: assets.map((a) => getAddress(a)),
    reserves: assets.map((_, i) => BigInt(i + 1) * 10n ** 20n),
    liabilities: assets.map((_, i) => BigInt(i + 1) * 10n ** 20n - 1n),
  });
  await (await registry.publish(report(20250130))).wait();
  rows.push({ case: 'reserve publish (7 assets, daily report)', gas: await gasOf(registry.publish(report(20250131))) });
}

export async function measure(hre: HardhatRuntimeEnvironment): Promise<GasGroup> {
  const rows: GasGroup['rows'] = [];
  const notes: string[] = [];
  await stakingRows(hre, rows);
  await lockingRows(hre, rows);
  await rewardsRows(hre, rows, notes);
  await reserveRows(hre, rows);
  const gas = (name: string) => Number(rows.find((r) => r.case === name)!.gas);
  const verdict = (name: string, target: number) => `${gas(name).toLocaleString('en-US')} ${gas(name) <= target ? '<=' : '>'} ${target.toLocaleString('en-US')} target`;
  notes.push(
    'Staking/locking/rewards rows run behind UUPS proxies (about 4.7k gas of proxy overhead per call) against plain TestToken ERC-20s; approvals are exact amounts.',
    `Targets: stake <= 80k (${verdict('sToken stake (first stake of a holder)', 80_000)}; adding ${verdict('sToken stake (adding to a position)', 80_000)}), ` +
      `unstake <= 110k (${verdict('sToken unstake (first request of a user)', 110_000)}; second ${verdict('sToken unstake (second, overlapping request)', 110_000)}), withdraw <= 70k (${verdict('sToken withdraw (1 matured request)', 70_000)}), ` +
      `claim <= 90k (first, recipient holding SOSO: ${verdict('rewards claim, first (recipient already holds SOSO)', 90_000)}; ` +
      `later: ${verdict('rewards claim, later epoch (pays the increase)', 90_000)}).`,
    'A first stake of a holder writes its sToken balance from zero (20k) besides pulling the tokens; by our count about 82k is the floor behind a proxy with a pause check, ' +
      'so the 80k stake target holds for stakes into an existing position, not for first stakes. The first unstake ever made on an sToken also turns totalCooling from zero (+17k, once).',
    "Reference: Uniswap's MerkleDistributor averages about 79k per claim on a 100k-leaf tree (immutable root/token, no proxy, claimed-bitmap words shared by 256 leaves). " +
      'A first claim to an address holding no SOSO pays two zero-to-nonzero writes (its claimed total and its token balance, 2 x 20k), which no per-account design avoids.',
  );
  return { rows, notes };
}
