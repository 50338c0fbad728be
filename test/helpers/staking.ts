import hre from 'hardhat';
import type { Contract, ContractRunner, ContractTransactionResponse, EventLog, Log } from 'ethers';

/** Shared fixtures and chain helpers for the staking, locking, rewards and reserve contract tests. */

export const HOUR = 3600n;
export const DAY = 24n * HOUR;

/** Timestamp of the latest block. */
export async function now(): Promise<bigint> {
  const block = await hre.ethers.provider.getBlock('latest');
  if (block === null) throw new Error('no latest block');
  return BigInt(block.timestamp);
}

/** Mines one block `seconds` later than the latest one. */
export async function increaseTime(seconds: bigint): Promise<void> {
  await hre.network.provider.send('evm_increaseTime', [Number(seconds)]);
  await hre.network.provider.send('evm_mine', []);
}

/** Makes the next block's timestamp exactly `timestamp` (the next transaction runs at it). */
export async function setNextTimestamp(timestamp: bigint): Promise<void> {
  await hre.network.provider.send('evm_setNextBlockTimestamp', [Number(timestamp)]);
}

/**
 * Runs `setup` once and returns a function that rewinds the chain to right after it: call it in
 * beforeEach so every test starts from the same state without redeploying.
 */
export function snapshotFixture<T>(setup: () => Promise<T>): () => Promise<T> {
  let snapshot: string | undefined;
  let value: T | undefined;
  return async () => {
    if (snapshot === undefined) {
      value = await setup();
    } else {
      await hre.network.provider.send('evm_revert', [snapshot]);
    }
    snapshot = (await hre.network.provider.send('evm_snapshot', [])) as string;
    return value as T;
  };
}

/** The arguments, by name, of the single `name` event `contract` emitted in `tx`'s receipt. */
export async function eventArgs(
  tx: Promise<ContractTransactionResponse> | ContractTransactionResponse,
  contract: Contract,
  name: string,
): Promise<Record<string, unknown>> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error('no receipt');
  const address = (await contract.getAddress()).toLowerCase();
  const found = receipt.logs
    .filter((log: Log | EventLog) => log.address.toLowerCase() === address)
    .map((log) => contract.interface.parseLog(log))
    .filter((parsed) => parsed !== null && parsed.name === name);
  if (found.length !== 1) throw new Error(`expected one ${name} event, found ${found.length}`);
  return found[0]!.args.toObject() as Record<string, unknown>;
}

/** A TestToken (faucet ERC-20). */
export async function deployTestToken(name: string, symbol: string, decimals = 18): Promise<Contract> {
  const factory = await hre.ethers.getContractFactory('TestToken');
  const token = await factory.deploy(name, symbol, decimals);
  await token.waitForDeployment();
  return token as unknown as Contract;
}

/** A StakeFactory proxy (admin = `admin`) over a validated StakeToken implementation; `operator` may create sTokens. */
export async function deployStakeFactory(admin: string, operator: string): Promise<Contract> {
  const stakeToken = await hre.ethers.getContractFactory('StakeToken');
  const implementation = await hre.upgrades.deployImplementation(stakeToken, { kind: 'uups' });
  const factory = await hre.upgrades.deployProxy(await hre.ethers.getContractFactory('StakeFactory'), [admin, implementation], {
    kind: 'uups',
  });
  await factory.waitForDeployment();
  await (await factory.getFunction('grantRole')(await factory.getFunction('OPERATOR_ROLE')(), operator)).wait();
  return factory as unknown as Contract;
}

/**
 * A SosoToken (whole supply to `admin`) and a RewardsDistributor proxy paying it, with `operator` as
 * its operator and `funding` SOSO deposited by the admin.
 */
export async function deployFundedDistributor(
  admin: string,
  options: { operator: string; activationDelay: bigint; funding: bigint },
): Promise<{ soso: Contract; distributor: Contract }> {
  const soso = (await hre.ethers.deployContract('SosoToken', [admin])) as unknown as Contract;
  const distributor = (await hre.upgrades.deployProxy(
    await hre.ethers.getContractFactory('RewardsDistributor'),
    [admin, await soso.getAddress(), options.activationDelay],
    { kind: 'uups' },
  )) as unknown as Contract;
  await (await distributor.grantRole(await distributor.OPERATOR_ROLE(), options.operator)).wait();
  await (await soso.approve(await distributor.getAddress(), options.funding)).wait();
  await (await distributor.fund(options.funding)).wait();
  return { soso, distributor };
}

/** The StakeToken at `address`. */
export async function stakeTokenAt(address: string): Promise<Contract> {
  return (await hre.ethers.getContractAt('StakeToken', address)) as unknown as Contract;
}

/** `contract` with transactions sent by `signer`. */
export function by(contract: Contract, signer: ContractRunner): Contract {
  return contract.connect(signer) as Contract;
}
