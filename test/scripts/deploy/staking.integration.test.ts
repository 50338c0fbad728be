import hre from 'hardhat';
import type { Deployment } from '../../../scripts/deploy/deployments';
import { deployStaking } from '../../../scripts/deploy/staking';
import { deployTestToken, stakeTokenAt } from '../../helpers/staking';

function emptyDeployment(): Deployment {
  return { network: 'hardhat', chainId: 31337, deployedAt: new Date(0).toISOString(), contracts: {}, tokens: {}, indexes: {}, signers: {} };
}

describe('staking deploy step', () => {
  it('deploys SOSO, sSOSO, locking, rewards and the reserve registry when no index exists yet', async () => {
    const deployment = emptyDeployment();
    const lines: string[] = [];

    await deployStaking(hre, deployment, (line) => lines.push(line));

    const { soso, sSoso, stakeFactory, assetLocking, rewardsDistributor, reserveRegistry } = deployment.contracts;
    for (const address of [soso, sSoso, stakeFactory, assetLocking, rewardsDistributor, reserveRegistry]) {
      expect(hre.ethers.isAddress(address)).toBe(true);
    }
    const factory = await hre.ethers.getContractAt('StakeFactory', stakeFactory!);
    const distributor = await hre.ethers.getContractAt('RewardsDistributor', rewardsDistributor!);
    expect(await factory.sTokenOf(soso!)).toBe(sSoso);
    expect(await (await stakeTokenAt(sSoso!)).symbol()).toBe('sSOSO');
    expect(await distributor.rewardToken()).toBe(soso);
    expect(Object.keys(deployment.contracts).sort()).toEqual(
      ['assetLocking', 'reserveRegistry', 'rewardsDistributor', 'sSoso', 'soso', 'stakeFactory', 'stakeTokenImplementation'].sort(),
    );
    expect(lines).toHaveLength(1);
  });

  it('creates and records an sToken for every index token already deployed', async () => {
    const deployment = emptyDeployment();
    const mag7 = await deployTestToken('MAG7 Index', 'MAG7.ssi');
    const meme = await deployTestToken('MEME Index', 'MEME.ssi');
    deployment.indexes['MAG7.ssi'] = await mag7.getAddress();
    deployment.indexes['MEME.ssi'] = await meme.getAddress();

    await deployStaking(hre, deployment, () => undefined);

    const factory = await hre.ethers.getContractAt('StakeFactory', deployment.contracts.stakeFactory!);
    for (const [symbol, address] of Object.entries(deployment.indexes)) {
      const sToken = deployment.contracts[`s${symbol}`]!;
      expect(await factory.sTokenOf(address)).toBe(sToken);
      expect(await (await stakeTokenAt(sToken)).symbol()).toBe(`s${symbol}`);
    }
  });
});
