import hre from 'hardhat';
import type { Contract } from 'ethers';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { expectRevert } from '../../helpers/revert';
import { DAY, by, deployStakeFactory, eventArgs, increaseTime, snapshotFixture, stakeTokenAt } from '../../helpers/staking';

const E18 = 10n ** 18n;

interface Fixture {
  admin: HardhatEthersSigner;
  holder: HardhatEthersSigner;
  alice: HardhatEthersSigner;
  bob: HardhatEthersSigner;
  soso: Contract;
  sSoso: Contract;
}

const fixture = snapshotFixture<Fixture>(async () => {
  const [admin, holder, alice, bob] = await hre.ethers.getSigners();
  const soso = (await hre.ethers.deployContract('SosoToken', [holder.address])) as unknown as Contract;
  await soso.waitForDeployment();
  const factory = await deployStakeFactory(admin.address, admin.address);
  await (await factory.createStakeToken(await soso.getAddress())).wait();
  const sSoso = await stakeTokenAt(await factory.sTokenOf(await soso.getAddress()));
  return { admin, holder, alice, bob, soso, sSoso };
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

describe('sSOSO one-transaction stake (ERC-1363)', () => {
  /** SOSO.transferAndCall(to, amount) sent by `signer` (the overload without data). */
  function transferAndCall(soso: Contract, signer: HardhatEthersSigner, to: string, amount: bigint) {
    return by(soso, signer).getFunction('transferAndCall(address,uint256)')(to, amount);
  }

  it('stakes for the sender in one transferAndCall, without any approval, and pays back like any stake', async () => {
    const { holder, alice, soso, sSoso } = await fixture();
    const sAddress = await sSoso.getAddress();
    await (await by(soso, holder).transfer(alice.address, 100n * E18)).wait();

    const minted = await eventArgs(transferAndCall(soso, alice, sAddress, 40n * E18), sSoso, 'Transfer');

    expect([minted.from, minted.to, minted.value]).toEqual([hre.ethers.ZeroAddress, alice.address, 40n * E18]);
    expect([await sSoso.balanceOf(alice.address), await sSoso.totalSupply(), await soso.balanceOf(sAddress)]).toEqual([40n * E18, 40n * E18, 40n * E18]);
    expect([await soso.balanceOf(alice.address), await soso.allowance(alice.address, sAddress)]).toEqual([60n * E18, 0n]);
    await (await by(sSoso, alice).unstake(40n * E18)).wait();
    await increaseTime(14n * DAY);
    await (await by(sSoso, alice).withdraw()).wait();
    expect([await soso.balanceOf(alice.address), await soso.balanceOf(sAddress), await sSoso.totalSupply()]).toEqual([100n * E18, 0n, 0n]);
  });

  it('stakes for the owner, not the spender, when an approved spender calls transferFromAndCall', async () => {
    const { holder, alice, bob, soso, sSoso } = await fixture();
    await (await by(soso, holder).transfer(alice.address, 100n * E18)).wait();
    await (await by(soso, alice).approve(bob.address, 30n * E18)).wait();

    await (await by(soso, bob).getFunction('transferFromAndCall(address,address,uint256)')(alice.address, await sSoso.getAddress(), 30n * E18)).wait();

    expect([await sSoso.balanceOf(alice.address), await sSoso.balanceOf(bob.address), await soso.balanceOf(alice.address)]).toEqual([
      30n * E18,
      0n,
      70n * E18,
    ]);
  });

  it('accepts onTransferReceived only from the staked token: a direct call or another token mints nothing', async () => {
    const { holder, alice, soso, sSoso } = await fixture();
    const other = (await hre.ethers.deployContract('SosoToken', [alice.address])) as unknown as Contract;
    const sAddress = await sSoso.getAddress();

    await expectRevert(by(sSoso, alice).onTransferReceived(alice.address, alice.address, 1n, '0x'), sSoso, 'NotStakedToken', [
      alice.address,
      await soso.getAddress(),
    ]);
    await expectRevert(transferAndCall(other, alice, sAddress, 5n * E18), sSoso, 'NotStakedToken', [await other.getAddress(), await soso.getAddress()]);

    expect([await sSoso.totalSupply(), await other.balanceOf(sAddress), await soso.balanceOf(holder.address)]).toEqual([0n, 0n, 1_000_000_000n * E18]);
  });

  it('refuses a zero amount, and stakes nothing while sSOSO is paused', async () => {
    const { admin, holder, soso, sSoso } = await fixture();
    const sAddress = await sSoso.getAddress();

    await expectRevert(transferAndCall(soso, holder, sAddress, 0n), sSoso, 'ZeroAmount');
    await (await by(sSoso, admin).pause()).wait();
    await expectRevert(transferAndCall(soso, holder, sAddress, 1n * E18), sSoso, 'EnforcedPause');

    expect([await soso.balanceOf(sAddress), await sSoso.balanceOf(holder.address)]).toEqual([0n, 0n]);
  });

  it('reports ERC-1363 support through ERC-165', async () => {
    const { soso } = await fixture();

    // IERC1363 and IERC165 interface ids.
    expect([await soso.supportsInterface('0xb0202a11'), await soso.supportsInterface('0x01ffc9a7'), await soso.supportsInterface('0xffffffff')]).toEqual([
      true,
      true,
      false,
    ]);
  });
});
