import hre from 'hardhat';
import type { Contract } from 'ethers';
import { expectRevert } from '../../helpers/revert';
import { ONE, as, deployIndexFixture, useSnapshots, type IndexFixture } from '../../helpers/index-protocol';

describe('IndexFactory and index registration', () => {
  let fx: IndexFixture;
  let factory: Contract;
  let issuer: Contract;
  let params: {
    name: string;
    symbol: string;
    assets: string[];
    unitAmounts: bigint[];
    maxFeeRatePpm: number;
    feeRatePpm: number;
    config: IndexFixture['config'];
  };

  beforeAll(async () => {
    fx = await deployIndexFixture(hre, { assetCount: 2 });
    factory = fx.indexFactory;
    issuer = fx.issuer;
    params = { name: 'Second Index', symbol: 'TWO.ssi', assets: fx.tokenset.assets, unitAmounts: [7n, 9n], maxFeeRatePpm: 20_000, feeRatePpm: 9_500, config: fx.config };
  });
  useSnapshots(hre);

  it('fee-on-transfer asset: refused at listing, so no index can hold it, while a plain asset lists with its probe returned', async () => {
    const fot = (await (await hre.ethers.getContractFactory('FeeOnTransferToken')).deploy()) as unknown as Contract;
    const plain = (await (await hre.ethers.getContractFactory('TestToken')).deploy('Plain', 'PLN', 18)) as unknown as Contract;
    const admin = await fx.admin.getAddress();
    for (const token of [fot, plain]) {
      await (await token.mint(admin, 10n * ONE)).wait();
      await (await token.approve(await factory.getAddress(), ONE)).wait();
    }

    // A 1% transfer fee: the factory receives 0.99 of the 1-token probe.
    await expectRevert(factory.listAsset(await fot.getAddress(), ONE), factory, 'AssetTransferShortfall', [await fot.getAddress(), ONE, (ONE * 99n) / 100n]);
    const assets = [fx.tokenset.assets[0], await fot.getAddress()].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    await expectRevert(factory.createIndex({ ...params, assets, unitAmounts: [7n, 9n] }), factory, 'AssetNotListed', [await fot.getAddress()]);

    const receipt = await (await factory.listAsset(await plain.getAddress(), ONE)).wait();
    const listed = receipt.logs.map((l: { topics: string[]; data: string }) => factory.interface.parseLog(l)).find((e: { name: string } | null) => e?.name === 'AssetListed');
    expect([listed.args.asset, listed.args.probeAmount]).toEqual([await plain.getAddress(), ONE]);
    expect([await factory.isAssetListed(await plain.getAddress()), await factory.isAssetListed(await fot.getAddress())]).toEqual([true, false]);
    expect(await plain.balanceOf(admin)).toBe(10n * ONE);
    await (await factory.delistAsset(await plain.getAddress())).wait();
    expect(await factory.isAssetListed(await plain.getAddress())).toBe(false);
    await expectRevert(async () => as(factory, fx.outsider).listAsset(await plain.getAddress(), ONE), factory, 'AccessControlUnauthorizedAccount', [
      await fx.outsider.getAddress(),
      await factory.OPERATOR_ROLE(),
    ]);
  });

  it('creates a proxy with the tokenset, lists it, registers it with the issuer and wires its roles', async () => {
    const receipt = await (await factory.createIndex(params)).wait();
    const created = receipt.logs.map((l: { topics: string[]; data: string }) => factory.interface.parseLog(l)).find((e: { name: string } | null) => e?.name === 'IndexCreated');
    const address: string = created.args.index;
    expect(created.args.params.symbol).toBe('TWO.ssi');
    expect(await factory.indexBySymbol('TWO.ssi')).toBe(address);
    expect(await factory.isIndex(address)).toBe(true);
    expect([...(await factory.indexes())]).toEqual([await fx.index.getAddress(), address]);

    const token = (await hre.ethers.getContractAt('IndexToken', address)) as unknown as Contract;
    expect(await token.name()).toBe('Second Index');
    expect([...(await token.tokenset())[1]]).toEqual([7n, 9n]);
    expect(await token.defaultAdmin()).toBe(await fx.admin.getAddress());
    expect(await token.hasRole(await token.ISSUER_ROLE(), await issuer.getAddress())).toBe(true);
    expect(await token.hasRole(await token.UPGRADER_ROLE(), await factory.getAddress())).toBe(true);
    expect(await hre.upgrades.erc1967.getImplementationAddress(address)).toBe(await factory.implementation());

    const config = await issuer.indexConfig(address);
    expect(config.feeVault).toBe(fx.config.feeVault);
    expect(config.minAmount).toBe(fx.config.minAmount);
    expect(config.requestTimeout).toBe(BigInt(fx.config.requestTimeout));
  });

  it('refuses a symbol that is already taken', async () => {
    await expectRevert(async () => factory.createIndex({ ...params, symbol: 'TEST.ssi' }), factory, 'SymbolTaken', [
      'TEST.ssi',
      await fx.index.getAddress(),
    ]);
  });

  it('lets only an operator create indexes, and not while paused', async () => {
    const operatorRole = await factory.OPERATOR_ROLE();
    await expectRevert(async () => as(factory, fx.outsider).createIndex(params), factory, 'AccessControlUnauthorizedAccount', [
      await fx.outsider.getAddress(),
      operatorRole,
    ]);
    await (await factory.pause()).wait();
    await expectRevert(factory.createIndex(params), factory, 'EnforcedPause');
  });

  it('fails the whole creation when the issuer rejects the settings', async () => {
    await expectRevert(factory.createIndex({ ...params, config: { ...fx.config, issueFeeBps: 1_001 } }), issuer, 'FeeBpsTooHigh', [
      1_001,
      1_000,
    ]);
    expect(await factory.indexBySymbol('TWO.ssi')).toBe(hre.ethers.ZeroAddress);
  });

  it('propagates an invalid tokenset from the token initializer', async () => {
    const token = await hre.ethers.getContractAt('IndexToken', await fx.index.getAddress());
    await expectRevert(factory.createIndex({ ...params, assets: [...params.assets].reverse() }), token, 'TokensetNotSorted');
  });

  it('rejects an implementation without code and upgrades only indexes it created', async () => {
    await expectRevert(async () => factory.setImplementation(await fx.outsider.getAddress()), factory, 'NotAContract', [await fx.outsider.getAddress()]);
    await expectRevert(async () => factory.upgradeIndex(await fx.usdc.getAddress(), '0x'), factory, 'UnknownIndex', [await fx.usdc.getAddress()]);
    await expectRevert(as(factory, fx.outsider).upgradeIndex(await fx.index.getAddress(), '0x'), factory, 'AccessControlUnauthorizedAccount');
  });

  describe('issuer settings', () => {
    it('registers an index only through the registrar role, and only once', async () => {
      const registrarRole = await issuer.REGISTRAR_ROLE();
      await expectRevert(async () => issuer.registerIndex(await fx.usdc.getAddress(), fx.config), issuer, 'AccessControlUnauthorizedAccount', [
        await fx.admin.getAddress(),
        registrarRole,
      ]);
      await (await issuer.grantRole(await issuer.REGISTRAR_ROLE(), await fx.admin.getAddress())).wait();
      await expectRevert(async () => issuer.registerIndex(await fx.index.getAddress(), fx.config), issuer, 'IndexAlreadyRegistered', [
        await fx.index.getAddress(),
      ]);
    });

    it('validates every setting', async () => {
      const index = await fx.index.getAddress();
      const c = fx.config;
      await expectRevert(issuer.setIndexConfig(index, { ...c, feeVault: hre.ethers.ZeroAddress }), issuer, 'ZeroAddress');
      await expectRevert(issuer.setIndexConfig(index, { ...c, minAmount: 0n }), issuer, 'InvalidAmountRange', [0n, c.maxAmount]);
      await expectRevert(issuer.setIndexConfig(index, { ...c, minAmount: ONE, maxAmount: ONE - 1n }), issuer, 'InvalidAmountRange', [
        ONE,
        ONE - 1n,
      ]);
      await expectRevert(issuer.setIndexConfig(index, { ...c, redeemFeeBps: 1_001 }), issuer, 'FeeBpsTooHigh', [1_001, 1_000]);
      await expectRevert(issuer.setIndexConfig(index, { ...c, requestTimeout: 0 }), issuer, 'InvalidRequestTimeout', [0, 7 * 86400]);
      await expectRevert(issuer.setIndexConfig(index, { ...c, requestTimeout: 7 * 86400 + 1 }), issuer, 'InvalidRequestTimeout', [
        7 * 86400 + 1,
        7 * 86400,
      ]);
      await expectRevert(async () => issuer.setIndexConfig(await fx.usdc.getAddress(), c), issuer, 'UnknownIndex', [await fx.usdc.getAddress()]);
    });

    it('lets an operator change settings and emits them in full', async () => {
      const index = await fx.index.getAddress();
      await expectRevert(as(issuer, fx.outsider).setIndexConfig(index, fx.config), issuer, 'AccessControlUnauthorizedAccount');
      const receipt = await (await issuer.setIndexConfig(index, { ...fx.config, issueFeeBps: 5 })).wait();
      const event = issuer.interface.parseLog(receipt.logs[0]);
      expect(event?.name).toBe('IndexConfigUpdated');
      expect(event?.args.config.issueFeeBps).toBe(5n);
      expect((await issuer.indexConfig(index)).issueFeeBps).toBe(5n);
    });

    it('lets an operator allow and disallow cash tokens', async () => {
      const usdc = await fx.usdc.getAddress();
      await expectRevert(as(issuer, fx.outsider).setCashToken(usdc, false), issuer, 'AccessControlUnauthorizedAccount');
      await (await issuer.setCashToken(usdc, false)).wait();
      expect(await issuer.isCashToken(usdc)).toBe(false);
      await expectRevert(issuer.setCashToken(hre.ethers.ZeroAddress, true), issuer, 'ZeroAddress');
    });

    it('lets only the admin recover excess tokens', async () => {
      await expectRevert(
        as(issuer, fx.outsider).recoverExcess(await fx.usdc.getAddress(), await fx.outsider.getAddress()),
        issuer,
        'AccessControlUnauthorizedAccount',
      );
    });

    it('exposes its EIP-712 domain (ERC-5267) as the TypeScript domain builder describes it', async () => {
      const domain = await issuer.eip712Domain();
      expect(domain.name).toBe(fx.domain.name);
      expect(domain.version).toBe(fx.domain.version);
      expect(domain.chainId).toBe(fx.domain.chainId);
      expect(domain.verifyingContract).toBe(fx.domain.verifyingContract);
    });
  });
});
