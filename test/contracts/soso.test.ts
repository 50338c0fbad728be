import hre from 'hardhat';
import type { Contract } from 'ethers';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { expectRevert } from '../helpers/revert';
import { DAY, by, deployStakeFactory, eventArgs, increaseTime, snapshotFixture, stakeTokenAt } from '../helpers/staking';

const E18 = 10n ** 18n;

interface Fixture {
  holder: HardhatEthersSigner;
  alice: HardhatEthersSigner;
  soso: Contract;
  sSoso: Contract;
}

const fixture = snapshotFixture<Fixture>(async () => {
  const [admin, holder, alice] = await hre.ethers.getSigners();
  const soso = (await hre.ethers.deployContract('SosoToken', [holder.address])) as unknown as Contract;
  await soso.waitForDeployment();
  const factory = await deployStakeFactory(admin.address, admin.address);
  await (await factory.createStakeToken(await soso.getAddress())).wait();
  const sSoso = await stakeTokenAt(await factory.sTokenOf(await soso.getAddress()));
  return { holder, alice, soso, sSoso };
});

describe('SosoToken', () => {
  it('mints its whole fixed supply of one billion SOSO to the holder', async () => {
    const { holder, soso } = await fixture();

    expect([await soso.name(), await soso.symbol(), await soso.decimals()]).toEqual(['SoSoValue', 'SOSO', 18n]);
    expect(await soso.totalSupply()).toBe(1_000_000_000n * E18);
    expect(await soso.TOTAL_SUPPLY()).toBe(1_000_000_000n * E18);
    expect(await soso.balanceOf(holder.address)).toBe(1_000_000_000n * E18);
  });

  it('has no way to mint more', async () => {
    const { soso } = await fixture();

    expect(soso.interface.getFunction('mint')).toBeNull();
  });

  it('refuses a zero holder', async () => {
    const sosoFactory = await hre.ethers.getContractFactory('SosoToken');

    await expectRevert(sosoFactory.deploy(hre.ethers.ZeroAddress), sosoFactory.interface, 'ERC20InvalidReceiver', [hre.ethers.ZeroAddress]);
  });
});

describe('sSOSO', () => {
  it('is the stake factory sToken of SOSO', async () => {
    const { soso, sSoso } = await fixture();

    expect([await sSoso.name(), await sSoso.symbol(), await sSoso.decimals()]).toEqual(['Staked SoSoValue', 'sSOSO', 18n]);
    expect(await sSoso.stakedToken()).toBe(await soso.getAddress());
  });

  it('stakes SOSO 1:1 and returns it after the 14-day cooldown, one clock per request', async () => {
    const { holder, alice, soso, sSoso } = await fixture();
    await (await by(soso, holder).transfer(alice.address, 100n * E18)).wait();
    await (await by(soso, alice).approve(await sSoso.getAddress(), 100n * E18)).wait();
    await (await by(sSoso, alice).stake(100n * E18)).wait();
    await (await by(sSoso, alice).unstake(60n * E18)).wait();
    await increaseTime(3n * DAY);
    await (await by(sSoso, alice).unstake(40n * E18)).wait();

    await increaseTime(11n * DAY);
    await expectRevert(by(sSoso, alice).transfer(holder.address, 1n), sSoso, 'ERC20InsufficientBalance', [alice.address, 0n, 1n]);
    const paid = await eventArgs(by(sSoso, alice).withdraw(), sSoso, 'Withdrawn');

    expect(paid.amount).toBe(60n * E18);
    expect(await soso.balanceOf(alice.address)).toBe(60n * E18);
    expect(await sSoso.coolingBalanceOf(alice.address)).toBe(40n * E18);
    await increaseTime(3n * DAY);
    await (await by(sSoso, alice).withdraw()).wait();
    expect(await soso.balanceOf(alice.address)).toBe(100n * E18);
  });
});
