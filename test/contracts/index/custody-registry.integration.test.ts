import hre from 'hardhat';
import type { Contract } from 'ethers';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { expectRevert } from '../../helpers/revert';
import { by, eventArgs, snapshotFixture } from '../../helpers/staking';
import { assetKey, chainKey, nativeKey } from '../../../lambdas/domain/custody/attestation';
import { custodianPlaceholder } from '../../../lambdas/domain/custody/placeholder';

const ONCHAIN = 0;
const CUSTODIAN = 1;
const WETH = hre.ethers.getAddress('0x00000000000000000000000000000000000000e1');
const BTC_WALLET = 'bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh';

interface Fixture {
  admin: HardhatEthersSigner;
  operator: HardhatEthersSigner;
  alice: HardhatEthersSigner;
  registry: Contract;
}

const fixture = snapshotFixture<Fixture>(async () => {
  const [admin, operator, alice] = await hre.ethers.getSigners();
  const registry = (await hre.upgrades.deployProxy(await hre.ethers.getContractFactory('CustodyRegistry'), [admin!.address], {
    kind: 'uups',
  })) as unknown as Contract;
  await (await registry.grantRole(await registry.OPERATOR_ROLE(), operator!.address)).wait();
  return { admin: admin!, operator: operator!, alice: alice!, registry };
});

describe('CustodyRegistry', () => {
  it('derives the custodian placeholder the same way on and off chain', async () => {
    const { registry } = await fixture();
    expect(await registry.placeholderOf(chainKey('bitcoin'), assetKey('BTC'))).toBe(custodianPlaceholder('bitcoin', 'BTC'));
    expect(custodianPlaceholder('bitcoin', 'BTC')).not.toBe(custodianPlaceholder('solana', 'BTC'));
  });

  it('registers a custodian asset under its placeholder and an on-chain asset under its ERC-20, emitting the strings', async () => {
    const { registry, operator } = await fixture();
    const btc = custodianPlaceholder('bitcoin', 'BTC');
    const args = await eventArgs(by(registry, operator).registerAsset('bitcoin', 'BTC', 8, CUSTODIAN, btc), registry, 'AssetRegistered');
    expect(args).toMatchObject({ token: btc, chain: chainKey('bitcoin'), asset: assetKey('BTC'), chainName: 'bitcoin', assetId: 'BTC' });
    await (await by(registry, operator).registerAsset('ethereum', 'ETH', 18, ONCHAIN, WETH)).wait();
    const stored = await registry.assetOf(btc);
    expect([stored.chain, stored.asset, stored.decimals, stored.mode, stored.token]).toEqual([
      chainKey('bitcoin'),
      assetKey('BTC'),
      8n,
      BigInt(CUSTODIAN),
      btc,
    ]);
    expect(await registry.isCustodian(btc)).toBe(true);
    expect(await registry.isCustodian(WETH)).toBe(false);
    expect(await registry.assets()).toEqual([btc, WETH]);
  });

  it('refuses a custodian asset under any address but its placeholder, duplicates, empty names and unknown lookups', async () => {
    const { registry, operator } = await fixture();
    const btc = custodianPlaceholder('bitcoin', 'BTC');
    await expectRevert(by(registry, operator).registerAsset('bitcoin', 'BTC', 8, CUSTODIAN, WETH), registry, 'NotPlaceholder', [WETH, btc]);
    await expectRevert(by(registry, operator).registerAsset('ethereum', 'ETH', 18, ONCHAIN, hre.ethers.ZeroAddress), registry, 'ZeroAddress');
    await expectRevert(by(registry, operator).registerAsset('', 'BTC', 8, CUSTODIAN, btc), registry, 'EmptyName');
    await (await by(registry, operator).registerAsset('bitcoin', 'BTC', 8, CUSTODIAN, btc)).wait();
    await expectRevert(by(registry, operator).registerAsset('bitcoin', 'BTC', 8, CUSTODIAN, btc), registry, 'AssetAlreadyRegistered', [btc]);
    await expectRevert(registry.assetOf(WETH), registry, 'UnknownAsset', [WETH]);
  });

  it('registers and retires custodian wallets by key, with the address string in the event', async () => {
    const { registry, operator } = await fixture();
    const args = await eventArgs(by(registry, operator).setWallet('bitcoin', BTC_WALLET, true), registry, 'WalletSet');
    expect(args).toMatchObject({ chain: chainKey('bitcoin'), walletKey: nativeKey(BTC_WALLET), wallet: BTC_WALLET, active: true });
    expect(await registry.isWallet(chainKey('bitcoin'), nativeKey(BTC_WALLET))).toBe(true);
    expect(await registry.isWallet(chainKey('solana'), nativeKey(BTC_WALLET))).toBe(false);
    await (await by(registry, operator).setWallet('bitcoin', BTC_WALLET, false)).wait();
    expect(await registry.isWallet(chainKey('bitcoin'), nativeKey(BTC_WALLET))).toBe(false);
  });

  it('lets only the admin set custodian signers and only the operator register data', async () => {
    const { registry, admin, operator, alice } = await fixture();
    await expectRevert(by(registry, operator).setSigner(alice.address, true), registry, 'AccessControlUnauthorizedAccount');
    await expectRevert(by(registry, alice).setWallet('bitcoin', BTC_WALLET, true), registry, 'AccessControlUnauthorizedAccount');
    await (await by(registry, admin).setSigner(alice.address, true)).wait();
    expect(await registry.isSigner(alice.address)).toBe(true);
    await (await by(registry, admin).setSigner(alice.address, false)).wait();
    expect(await registry.isSigner(alice.address)).toBe(false);
  });

  it('stops registration while paused', async () => {
    const { registry, admin, operator } = await fixture();
    await (await by(registry, admin).pause()).wait();
    await expectRevert(by(registry, operator).setWallet('bitcoin', BTC_WALLET, true), registry, 'EnforcedPause');
  });
});
