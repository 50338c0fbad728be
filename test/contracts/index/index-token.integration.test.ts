import hre from 'hardhat';
import type { Contract, Signer } from 'ethers';
import { expectRevert } from '../../helpers/revert';
import { ONE, as, send } from '../../helpers/index-protocol';
import { deployStakeFactory, stakeTokenAt } from '../../helpers/staking';

describe('IndexToken', () => {
  let admin: Signer;
  let issuer: Signer;
  let holder: Signer;
  let outsider: Signer;
  let implementation: Contract;
  let assets: string[];
  let snapshot: unknown;

  /** Deploys a token proxy directly (no factory) with `issuer` as minter. */
  async function deployToken(tokenAssets: string[], amounts: bigint[]): Promise<Contract> {
    const proxy = await (await hre.ethers.getContractFactory('ERC1967Proxy', admin)).deploy(
      await implementation.getAddress(),
      implementation.interface.encodeFunctionData('initialize', [
        'Test Index',
        'TEST.ssi',
        { admin: await admin.getAddress(), issuer: await issuer.getAddress(), manager: await admin.getAddress(), rebalancer: hre.ethers.ZeroAddress },
        tokenAssets,
        amounts,
        0,
        0,
      ]),
    );
    return (await hre.ethers.getContractAt('IndexToken', await proxy.getAddress())) as unknown as Contract;
  }

  beforeAll(async () => {
    [admin, issuer, holder, outsider] = await hre.ethers.getSigners();
    implementation = (await (await hre.ethers.getContractFactory('IndexToken', admin)).deploy()) as unknown as Contract;
    // Addresses only need to be distinct and ordered; the token never calls its assets.
    assets = [1, 2, 3].map((i) => hre.ethers.zeroPadValue(hre.ethers.toBeHex(i * 0x1000), 20));
  });
  beforeEach(async () => {
    snapshot = await send(hre, 'evm_snapshot');
  });
  afterEach(async () => {
    await send(hre, 'evm_revert', [snapshot]);
  });

  it('stores the tokenset in ascending order and announces it with BasketUpdated', async () => {
    const amounts = [5n, (1n << 96n) - 1n, 123_456_789n];
    const token = await deployToken(assets, amounts);
    const [tsAssets, tsAmounts] = await token.tokenset();
    expect([...tsAssets]).toEqual(assets.map((a) => hre.ethers.getAddress(a)));
    expect([...tsAmounts]).toEqual(amounts);
    const logs = await token.queryFilter(token.filters.BasketUpdated());
    expect(logs).toHaveLength(1);
    expect([...(logs[0] as unknown as { args: { unitAmounts: bigint[] } }).args.unitAmounts]).toEqual(amounts);
    expect(await token.decimals()).toBe(18n);
    expect(await token.symbol()).toBe('TEST.ssi');
  });

  it('derives the aggregate basket from the supply, rounded up in favour of custody', async () => {
    const token = await deployToken(assets, [3n, 10n ** 8n, 7n]);
    await (await as(token, issuer).mint(await holder.getAddress(), ONE / 3n)).wait();
    const [, owed] = await token.basket();
    // 3 * (1e18/3) / 1e18 = 0.999.. -> 1 ; 1e8 / 3 -> 33333333.3 -> 33333334 ; 7 / 3 -> 3
    expect([...owed]).toEqual([1n, 33_333_334n, 3n]);
  });

  it('lets only the issuer mint and burn', async () => {
    const token = await deployToken(assets, [1n, 2n, 3n]);
    const role = await token.ISSUER_ROLE();
    await expectRevert(async () => as(token, outsider).mint(await outsider.getAddress(), 1n), token, 'AccessControlUnauthorizedAccount', [
      await outsider.getAddress(),
      role,
    ]);
    await (await as(token, issuer).mint(await holder.getAddress(), 10n)).wait();
    await expectRevert(async () => as(token, admin).burn(await holder.getAddress(), 1n), token, 'AccessControlUnauthorizedAccount', [
      await admin.getAddress(),
      role,
    ]);
    await (await as(token, issuer).burn(await holder.getAddress(), 4n)).wait();
    expect(await token.balanceOf(await holder.getAddress())).toBe(6n);
    expect(await token.totalSupply()).toBe(6n);
  });

  it('stops minting and burning while paused but keeps transfers open', async () => {
    const token = await deployToken(assets, [1n, 2n, 3n]);
    await (await as(token, issuer).mint(await holder.getAddress(), 10n)).wait();
    await (await token.pause()).wait();
    await expectRevert(as(token, issuer).mint(await holder.getAddress(), 1n), token, 'EnforcedPause');
    await expectRevert(as(token, issuer).burn(await holder.getAddress(), 1n), token, 'EnforcedPause');
    await (await as(token, holder).transfer(await outsider.getAddress(), 3n)).wait();
    expect(await token.balanceOf(await outsider.getAddress())).toBe(3n);
  });

  it('rejects an empty tokenset', async () => {
    await expectRevert(deployToken([], []), implementation, 'TokensetEmpty');
  });

  it('rejects a tokenset above the asset limit', async () => {
    const many = Array.from({ length: 33 }, (_, i) => hre.ethers.zeroPadValue(hre.ethers.toBeHex(i + 1), 20));
    await expectRevert(deployToken(many, many.map(() => 1n)), implementation, 'TokensetTooLarge', [33, 32]);
  });

  it('rejects asset and amount lists of different lengths', async () => {
    await expectRevert(deployToken(assets, [1n, 2n]), implementation, 'TokensetLengthMismatch', [3, 2]);
  });

  it('rejects unsorted and duplicate assets', async () => {
    await expectRevert(deployToken([assets[1], assets[0], assets[2]], [1n, 1n, 1n]), implementation, 'TokensetNotSorted', [
      1,
      hre.ethers.getAddress(assets[0]),
    ]);
    await expectRevert(deployToken([assets[0], assets[0]], [1n, 1n]), implementation, 'TokensetNotSorted', [
      1,
      hre.ethers.getAddress(assets[0]),
    ]);
  });

  it('rejects the zero address as an asset', async () => {
    await expectRevert(deployToken([hre.ethers.ZeroAddress], [1n]), implementation, 'TokensetNotSorted', [0, hre.ethers.ZeroAddress]);
  });

  it('rejects zero amounts and amounts that do not fit 96 bits', async () => {
    await expectRevert(deployToken(assets, [1n, 0n, 1n]), implementation, 'TokensetAmountInvalid', [1, 0]);
    await expectRevert(deployToken(assets, [1n, 1n, 1n << 96n]), implementation, 'TokensetAmountInvalid', [2, 1n << 96n]);
  });

  it('cannot be initialized twice, nor through its implementation', async () => {
    const token = await deployToken(assets, [1n, 2n, 3n]);
    const roles = { admin: await admin.getAddress(), issuer: await issuer.getAddress(), manager: await admin.getAddress(), rebalancer: hre.ethers.ZeroAddress };
    const args = ['X', 'X', roles, assets, [1n, 2n, 3n], 0, 0];
    await expectRevert(token.initialize(...args), token, 'InvalidInitialization');
    await expectRevert(implementation.initialize(...args), implementation, 'InvalidInitialization');
  });

  it('supports ERC-1363, so a holder stakes into its sToken in one transferAndCall without an approval', async () => {
    const token = await deployToken(assets, [1n, 2n, 3n]);
    await (await as(token, issuer).mint(await holder.getAddress(), 10n * ONE)).wait();
    const factory = await deployStakeFactory(await admin.getAddress(), await admin.getAddress());
    await (await factory.createStakeToken(await token.getAddress())).wait();
    const sToken = await stakeTokenAt(await factory.sTokenOf(await token.getAddress()));

    await (await as(token, holder).getFunction('transferAndCall(address,uint256)')(await sToken.getAddress(), 4n * ONE)).wait();

    expect([await sToken.balanceOf(await holder.getAddress()), await token.balanceOf(await holder.getAddress())]).toEqual([4n * ONE, 6n * ONE]);
    expect(await token.balanceOf(await sToken.getAddress())).toBe(4n * ONE);
  });

  it('reports ERC-1363 and the access-control interfaces through ERC-165', async () => {
    const token = await deployToken(assets, [1n, 2n, 3n]);

    // IERC1363, IAccessControl, IAccessControlDefaultAdminRules, IERC165, and an id nothing has.
    const ids = ['0xb0202a11', '0x7965db0b', '0x31498786', '0x01ffc9a7', '0xffffffff'];
    expect(await Promise.all(ids.map((id) => token.supportsInterface(id)))).toEqual([true, true, true, true, false]);
  });
});
