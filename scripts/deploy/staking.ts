import type { Contract } from 'ethers';
import type { DeployStep } from './deployments';

/** Length of a points epoch, the unit AssetLocking attributes locks to (epoch 1 starts at deployment). */
export const LOCK_EPOCH_LENGTH = 7n * 24n * 3600n;
/** Seconds between publication of a reward root and the moment it can be claimed (the window in which a root revoker can revoke it). */
export const REWARDS_ACTIVATION_DELAY = 24n * 3600n;
/** SOSO the deployer funds the RewardsDistributor with on local chains (chain id 31337), so epoch roots can be published and claimed. */
export const LOCAL_REWARDS_FUNDING = 1_000_000n * 10n ** 18n;

/**
 * Staking stage: $SOSO (whole supply to the deployer), the StakeFactory with sSOSO, AssetLocking,
 * the RewardsDistributor (paying SOSO) and the ReserveRegistry, all upgradeable contracts behind UUPS
 * proxies validated by the OpenZeppelin upgrades plugin. The deployer is admin of everything and gets
 * the operator role (to create sTokens, publish reward roots and reserve reports); the rewards
 * signer (`deployment.signers.rewards`) also gets OPERATOR on the RewardsDistributor, and on local
 * chains the deployer funds the distributor with LOCAL_REWARDS_FUNDING SOSO. No token is made lockable yet: the admin lists LP tokens
 * with `AssetLocking.configureToken` once they exist. Index tokens already in `deployment.indexes` get their
 * sToken, recorded as `s<symbol>`, paying fee rewards in USDC when the deployment has it; without indexes the step creates none.
 */
export const deployStaking: DeployStep = async (hre, deployment, log) => {
  const [deployer] = await hre.ethers.getSigners();
  if (deployer === undefined) throw new Error('no deployer account on this network');
  const admin = deployer.address;
  const proxy = async (name: string, args: unknown[]): Promise<Contract> => {
    const contract = await hre.upgrades.deployProxy(await hre.ethers.getContractFactory(name), args, { kind: 'uups' });
    await contract.waitForDeployment();
    return contract as unknown as Contract;
  };
  const grantOperator = async (contract: Contract): Promise<void> => {
    await (await contract.getFunction('grantRole')(await contract.getFunction('OPERATOR_ROLE')(), admin)).wait();
  };

  const soso = await hre.ethers.deployContract('SosoToken', [admin]);
  await soso.waitForDeployment();
  const sosoAddress = await soso.getAddress();

  const implementation = await hre.upgrades.deployImplementation(await hre.ethers.getContractFactory('StakeToken'), { kind: 'uups' });
  const stakeFactory = await proxy('StakeFactory', [admin, implementation]);
  await grantOperator(stakeFactory);
  const createSToken = async (token: string): Promise<string> => {
    await (await stakeFactory.getFunction('createStakeToken')(token)).wait();
    return (await stakeFactory.getFunction('sTokenOf')(token)) as string;
  };
  const sSoso = await createSToken(sosoAddress);

  const latest = await hre.ethers.provider.getBlock('latest');
  if (latest === null) throw new Error('no latest block');
  const assetLocking = await proxy('AssetLocking', [admin, BigInt(latest.timestamp), LOCK_EPOCH_LENGTH]);
  const rewardsDistributor = await proxy('RewardsDistributor', [admin, sosoAddress, REWARDS_ACTIVATION_DELAY]);
  await grantOperator(rewardsDistributor);
  // The rewards signer (the rewards KMS key on the local stack) publishes epoch roots.
  const rewardsSigner = deployment.signers.rewards;
  if (rewardsSigner && rewardsSigner.toLowerCase() !== admin.toLowerCase()) {
    await (await rewardsDistributor.getFunction('grantRole')(await rewardsDistributor.getFunction('OPERATOR_ROLE')(), rewardsSigner)).wait();
  }
  let funded = 0n;
  if ((await hre.ethers.provider.getNetwork()).chainId === 31337n) {
    await (await soso.getFunction('approve')(await rewardsDistributor.getAddress(), LOCAL_REWARDS_FUNDING)).wait();
    await (await rewardsDistributor.getFunction('fund')(LOCAL_REWARDS_FUNDING)).wait();
    funded = LOCAL_REWARDS_FUNDING;
  }
  const reserveRegistry = await proxy('ReserveRegistry', [admin]);
  await grantOperator(reserveRegistry);

  Object.assign(deployment.contracts, {
    soso: sosoAddress,
    stakeFactory: await stakeFactory.getAddress(),
    stakeTokenImplementation: String(implementation),
    sSoso,
    assetLocking: await assetLocking.getAddress(),
    rewardsDistributor: await rewardsDistributor.getAddress(),
    reserveRegistry: await reserveRegistry.getAddress(),
  });

  // Index sTokens pay the stakers' share of fee sales in the cash token (docs/fees.md).
  const cash = deployment.tokens.USDC?.address;
  const indexSymbols = Object.keys(deployment.indexes);
  for (const symbol of indexSymbols) {
    const sToken = await createSToken(deployment.indexes[symbol]!);
    deployment.contracts[`s${symbol}`] = sToken;
    if (cash) await (await (await hre.ethers.getContractAt('StakeToken', sToken)).getFunction('setRewardToken')(cash)).wait();
  }
  log(
    `staking: SOSO, StakeFactory with sSOSO${indexSymbols.length ? ` and ${indexSymbols.map((s) => `s${s}`).join(', ')}` : ''}, ` +
      `AssetLocking, RewardsDistributor${funded ? ` (funded with ${funded / 10n ** 18n} SOSO)` : ''}, ReserveRegistry`,
  );
};
