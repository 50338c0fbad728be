import hre from 'hardhat';
import { Wallet, type Contract } from 'ethers';
import { expectRevert } from '../../helpers/revert';
import { eventArgs } from '../../helpers/staking';
import { deployUssiVectorSystem, loadUssiHedgeOrderVector } from '../../helpers/ussi-vector';
import { deployedInSnapshot } from '../../helpers/vector-system';

describe('Shared USSI hedge-order signing vector against the USSI contract', () => {
  const vector = loadUssiHedgeOrderVector();
  const system = deployedInSnapshot(hre, deployUssiVectorSystem);

  it('deploys USSI and the stablecoin at the addresses the vector was made for', async () => {
    expect(await system().ussi.getAddress()).toBe(vector.domain.verifyingContract);
    expect(system().usdc.address).toBe(vector.order.asset);
    expect((await hre.ethers.provider.getNetwork()).chainId).toBe(vector.domain.chainId);
    expect((await system().ussi.nav())[0]).toBe(vector.nav);
    expect((await system().ussi.settings()).toleranceBps).toBe(BigInt(vector.toleranceBps));
  });

  it("the contract's hashOrder equals the vector's digest", async () => {
    expect(await system().ussi.hashOrder(vector.order)).toBe(vector.digest);
  });

  it("the vector's signature passes every on-chain check", async () => {
    expect(await system().ussi.verifyOrder(vector.order, vector.signature)).toBe(vector.digest);
  });

  it('the same signature fails for an order that differs in one field', async () => {
    await expectRevert(system().ussi.verifyOrder({ ...vector.order, nonce: vector.order.nonce + 1n }, vector.signature), system().ussi, 'InvalidSigner');
  });

  it('the requester applies the vector order and the request carries its digest', async () => {
    const requester = new Wallet(vector.keys.requester, hre.ethers.provider);
    await hre.network.provider.send('hardhat_setBalance', [requester.address, '0x56BC75E2D63100000']);
    const usdc = (await hre.ethers.getContractAt('TestToken', vector.order.asset, requester)) as unknown as Contract;
    await (await usdc.mint(requester.address, vector.order.assetAmount)).wait();
    await (await usdc.approve(vector.domain.verifyingContract, vector.order.assetAmount)).wait();

    const ussi = system().ussi.connect(requester) as Contract;
    const event = await eventArgs(ussi.applyMint(vector.order, vector.signature), system().ussi, 'MintApplied');

    expect(event.orderHash).toBe(vector.digest);
    expect(event.ussiAmount).toBe(vector.order.ussiAmount);
  });
});
