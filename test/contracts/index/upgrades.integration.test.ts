import hre from 'hardhat';
import type { Contract } from 'ethers';
import { expectRevert } from '../../helpers/revert';
import { ONE, as, deployIndexFixture, quote, sign, useSnapshots, type IndexFixture } from '../../helpers/index-protocol';
import { Side } from '../../../lambdas/domain/orders';

describe('Upgrades', () => {
  let fx: IndexFixture;

  beforeAll(async () => {
    fx = await deployIndexFixture(hre, { assetCount: 2 });
    const order = await quote(fx, { side: Side.Mint, indexAmount: 10n * ONE });
    await (await as(fx.issuer, fx.wlp).mint(order, await sign(fx.pmm, order, fx.domain), 30)).wait();
  });
  useSnapshots(hre);

  it('upgrades the issuer to a V2 that keeps nonces, requests, escrow, settings and roles', async () => {
    const used = await quote(fx, { side: Side.Mint, indexAmount: ONE });
    await (await as(fx.issuer, fx.wlp).mint(used, await sign(fx.pmm, used, fx.domain), 30)).wait();
    const pending = await quote(fx, { side: Side.Mint, indexAmount: 2n * ONE });
    await (await as(fx.issuer, fx.wlp).requestMint(pending, await sign(fx.pmm, pending, fx.domain), 30)).wait();
    const pendingHash = await fx.issuer.hashOrder(pending);
    const escrow = await fx.issuer.escrowed(pending.cashToken);
    const index = await fx.index.getAddress();

    const upgraded = (await hre.upgrades.upgradeProxy(await fx.issuer.getAddress(), await hre.ethers.getContractFactory('IssuerV2', fx.admin), {
      kind: 'uups',
    })) as unknown as Contract;

    expect(await upgraded.version()).toBe(2n);
    expect(await upgraded.isNonceUsed(used.maker, used.nonce)).toBe(true);
    expect((await upgraded.getRequest(pendingHash)).status).toBe(1n);
    expect(await upgraded.escrowed(pending.cashToken)).toBe(escrow);
    expect(await upgraded.pendingRequests(index)).toBe(1n);
    expect((await upgraded.indexConfig(index)).feeVault).toBe(fx.config.feeVault);
    expect(await upgraded.hasRole(await upgraded.MAKER_ROLE(), pending.maker)).toBe(true);
    expect(await upgraded.hashOrder(pending)).toBe(pendingHash);
    await (await as(upgraded, fx.pmm).fillMint(pending)).wait();
    expect(await fx.index.balanceOf(pending.requester)).toBe(13n * ONE);
  });

  it('lets only the upgrader upgrade the issuer', async () => {
    const v2 = await (await hre.ethers.getContractFactory('IssuerV2', fx.admin)).deploy();
    const upgraderRole = await fx.issuer.UPGRADER_ROLE();
    await expectRevert(async () => as(fx.issuer, fx.outsider).upgradeToAndCall(await v2.getAddress(), '0x'), fx.issuer, 'AccessControlUnauthorizedAccount', [
      await fx.outsider.getAddress(),
      upgraderRole,
    ]);
  });

  it('upgrades index tokens through the factory to a V2 that keeps balances and the tokenset', async () => {
    const v1 = await hre.ethers.getContractFactory('IndexToken', fx.admin);
    const v2 = await hre.ethers.getContractFactory('IndexTokenV2', fx.admin);
    await hre.upgrades.validateUpgrade(v1, v2, { kind: 'uups' });
    const implementation = (await hre.upgrades.deployImplementation(v2, { kind: 'uups' })) as string;
    const index = await fx.index.getAddress();
    const supply = await fx.index.totalSupply();
    const tokenset = await fx.index.tokenset();

    await (await fx.indexFactory.setImplementation(implementation)).wait();
    const data = v2.interface.encodeFunctionData('initializeV2', ['kept']);
    await (await fx.indexFactory.upgradeIndex(index, data)).wait();

    const token = (await hre.ethers.getContractAt('IndexTokenV2', index)) as unknown as Contract;
    expect(await token.version()).toBe(2n);
    expect(await token.note()).toBe('kept');
    expect(await token.totalSupply()).toBe(supply);
    expect(await token.balanceOf(await fx.wlp.getAddress())).toBe(supply);
    expect([...(await token.tokenset())[1]]).toEqual([...tokenset[1]]);
    expect(await hre.upgrades.erc1967.getImplementationAddress(index)).toBe(implementation);
    await expectRevert(fx.indexFactory.upgradeIndex(index, data), token, 'InvalidInitialization');

    const order = await quote(fx, { side: Side.Redeem, indexAmount: ONE });
    await (await as(fx.issuer, fx.wlp).redeem(order, await sign(fx.pmm, order, fx.domain), 20)).wait();
    expect(await token.totalSupply()).toBe(supply - ONE);
  });

  it('the upgrades plugin refuses a token version that shifts the tokenset in storage', async () => {
    const v1 = await hre.ethers.getContractFactory('IndexToken');
    const bad = await hre.ethers.getContractFactory('IndexTokenBadLayout');
    await expect(hre.upgrades.validateUpgrade(v1, bad, { kind: 'uups' })).rejects.toThrow(/Inserted `inserted`/);
  });

  it('the index token and the factory of issue 4 only append to the storage of their first versions', async () => {
    await hre.upgrades.validateUpgrade(await hre.ethers.getContractFactory('IndexTokenPreFeeLayout'), await hre.ethers.getContractFactory('IndexToken'), {
      kind: 'uups',
    });
    await hre.upgrades.validateUpgrade(
      await hre.ethers.getContractFactory('IndexFactoryPreRebalancerLayout'),
      await hre.ethers.getContractFactory('IndexFactory'),
      { kind: 'uups' },
    );
  });

  it('the sToken with fee rewards (issue 20) only appends to the storage of the sToken before them', async () => {
    await hre.upgrades.validateUpgrade(
      await hre.ethers.getContractFactory('StakeTokenPreRewardsLayout'),
      await hre.ethers.getContractFactory('StakeToken'),
      { kind: 'uups' },
    );
  });

  it('the custody vault, the factory and the rebalancer validate as upgrades of themselves', async () => {
    for (const [name, proxy] of [
      ['CustodyVault', fx.custodyVault],
      ['IndexFactory', fx.indexFactory],
      ['Rebalancer', fx.rebalancer],
    ] as const) {
      await hre.upgrades.validateUpgrade(await proxy.getAddress(), await hre.ethers.getContractFactory(name), { kind: 'uups' });
    }
  });
});
