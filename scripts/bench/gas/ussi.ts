import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import type { Contract, Signer } from 'ethers';
import type { GasGroup } from '../gas';
import { as, gasOf } from '../gas-tx';
import { USSI_SETTINGS, wireIndexBurner } from '../../deploy/ussi';
import { createIndex, deployIndexCore, testTokenFaucet } from '../../deploy/index-protocol';
import { AssetKind, HEDGE_ORDER_TYPES, HedgeSide, quoteHedgeOrder, ussiDomain, type HedgeOrder } from '../../../lambdas/domain/ussi-orders';

const E18 = 10n ** 18n;
/** Assets in the bench index (MAG7's size). */
const INDEX_ASSETS = 7;
const MAX = (1n << 256n) - 1n;

/**
 * Gas of USSI's request flow behind its UUPS proxy, with USDC (a plain 6-decimal ERC-20) as the
 * stablecoin. Steady state: warm-up cycles ran first and another participant's mint and redeem stay
 * pending, so the requester's USSI balance, the hedge vault's USDC balance, the nonce word and the
 * pending totals (USDC and USSI escrow) are already non-zero; approvals are unlimited. Each application still writes its
 * request from zero (three slots).
 */
export async function measure(hre: HardhatRuntimeEnvironment): Promise<GasGroup> {
  const { ethers } = hre;
  const [admin, operator, wlp, wlp2, vault] = await ethers.getSigners();
  const usdc = (await (await ethers.getContractFactory('TestToken', admin)).deploy('USD Coin (bench)', 'USDC', 6)) as unknown as Contract;
  const ussi = (await hre.upgrades.deployProxy(
    await ethers.getContractFactory('USSI', admin),
    ['USSI', 'USSI', await admin.getAddress(), await operator.getAddress(), await vault.getAddress(), E18, USSI_SETTINGS],
    { kind: 'uups' },
  )) as unknown as Contract;
  const ussiAddress = await ussi.getAddress();
  await (await ussi.grantRole(await ussi.OPERATOR_ROLE(), await operator.getAddress())).wait();
  await (await ussi.setAsset(await usdc.getAddress(), AssetKind.Stablecoin)).wait();
  for (const w of [wlp, wlp2]) {
    await (await ussi.grantRole(await ussi.PARTICIPANT_ROLE(), await w.getAddress())).wait();
    await (await usdc.mint(await w.getAddress(), 10n ** 15n)).wait();
    await (await as(usdc, w).approve(ussiAddress, MAX)).wait();
  }
  await (await usdc.mint(ussiAddress, 10n ** 12n)).wait(); // the redeem float
  const { chainId } = await ethers.provider.getNetwork();
  const domain = ussiDomain(chainId, ussiAddress);
  const asset = { address: await usdc.getAddress(), kind: AssetKind.Stablecoin, decimals: 6 };

  // A real index (issuer, custody, IndexBurner as the deploy wires them) whose tokens the WLPs hold, basket in custody.
  const adminAddress = await admin.getAddress();
  const core = await deployIndexCore(hre, admin);
  const tokenFactory = await ethers.getContractFactory('TestToken', admin);
  const constituents = [];
  for (let i = 0; i < INDEX_ASSETS; i++) {
    const token = await tokenFactory.deploy(`Bench asset ${i}`, `B${i}`, 18);
    constituents.push({ asset: await token.getAddress(), unitAmount: E18 + BigInt(i) * 10n ** 15n });
  }
  const indexAddress = await createIndex(core.indexFactory, {
    name: 'Bench Index',
    symbol: 'BENCH.ssi',
    constituents,
    config: { minAmount: 1n, maxAmount: 10n ** 30n, feeVault: adminAddress, issueFeeBps: 0, redeemFeeBps: 0, requestTimeout: 3600 },
    fundProbe: testTokenFaucet(hre, adminAddress),
  });
  const index = await ethers.getContractAt('IndexToken', indexAddress, admin);
  await (await index.grantRole(await index.ISSUER_ROLE(), adminAddress)).wait();
  const custody = await core.custodyVault.getAddress();
  for (const c of constituents) await (await (await ethers.getContractAt('TestToken', c.asset, admin)).mint(custody, 1_000n * c.unitAmount)).wait();
  for (const w of [wlp, wlp2]) {
    await (await index.mint(await w.getAddress(), 400n * E18)).wait();
    await (await as(index as unknown as Contract, w).approve(ussiAddress, MAX)).wait();
  }
  await (await ussi.setAsset(indexAddress, AssetKind.IndexToken)).wait();
  await wireIndexBurner(hre, admin, { ussi: ussiAddress, issuer: await core.issuer.getAddress(), custody, indexes: [indexAddress] });
  const indexAsset = { address: indexAddress, kind: AssetKind.IndexToken, decimals: 18 };

  let nonce = 0n;
  const order = async (side: HedgeSide, amount: bigint, requester: Signer, byIndex = false): Promise<[HedgeOrder, string]> => {
    const block = await ethers.provider.getBlock('latest');
    const o = quoteHedgeOrder({
      side,
      requester: await requester.getAddress(),
      asset: byIndex ? indexAsset : asset,
      assetPrice: byIndex ? 250n * E18 : undefined,
      amount,
      nav: (await ussi.nav())[0],
      spreadBps: 5,
      toleranceBps: USSI_SETTINGS.toleranceBps,
      deadline: BigInt(block!.timestamp) + 600n,
      nonce: ++nonce,
    });
    return [o, await operator.signTypedData(domain, HEDGE_ORDER_TYPES, o)];
  };
  const lastId = async (): Promise<bigint> => (await ussi.requestCount()) as bigint;

  // Warm-up: a full mint and redeem cycle for each participant, then another participant's mint and
  // redeem left pending (a live system always has some).
  for (const w of [wlp, wlp2]) {
    await (await as(ussi, w).applyMint(...(await order(HedgeSide.Mint, 1_000n * 10n ** 6n, w)))).wait();
    await (await as(ussi, operator).confirmMint(await lastId())).wait();
    await (await as(ussi, w).applyRedeem(...(await order(HedgeSide.Redeem, E18, w)))).wait();
    await (await as(ussi, operator).confirmRedeem(await lastId(), ethers.ZeroHash)).wait();
    await (await as(ussi, w).applyMint(...(await order(HedgeSide.Mint, 10n * E18, w, true)))).wait();
    await (await as(ussi, operator).confirmMint(await lastId())).wait();
  }
  await (await as(ussi, wlp2).applyMint(...(await order(HedgeSide.Mint, 10n * 10n ** 6n, wlp2)))).wait();
  await (await as(ussi, wlp2).applyRedeem(...(await order(HedgeSide.Redeem, E18, wlp2)))).wait();

  const rows: GasGroup['rows'] = [];
  rows.push({ case: 'USSI apply mint (USDC)', gas: await gasOf(as(ussi, wlp).applyMint(...(await order(HedgeSide.Mint, 5_000n * 10n ** 6n, wlp)))) });
  rows.push({ case: 'USSI confirm mint (USSI minted, USDC to the hedge vault)', gas: await gasOf(as(ussi, operator).confirmMint(await lastId())) });
  rows.push({ case: 'USSI apply mint (index token)', gas: await gasOf(as(ussi, wlp).applyMint(...(await order(HedgeSide.Mint, 20n * E18, wlp, true)))) });
  rows.push({
    case: `USSI confirm mint with an index token (burned, ${INDEX_ASSETS}-asset basket released to the hedge vault)`,
    gas: await gasOf(as(ussi, operator).confirmMint(await lastId())),
  });
  rows.push({ case: 'USSI apply redeem (USSI escrowed)', gas: await gasOf(as(ussi, wlp).applyRedeem(...(await order(HedgeSide.Redeem, 100n * E18, wlp)))) });
  rows.push({ case: 'USSI confirm redeem, paid from the float', gas: await gasOf(as(ussi, operator).confirmRedeem(await lastId(), ethers.ZeroHash)) });
  await (await as(ussi, wlp).applyRedeem(...(await order(HedgeSide.Redeem, 100n * E18, wlp)))).wait();
  rows.push({ case: 'USSI confirm redeem, paid off-chain (tx hash recorded)', gas: await gasOf(as(ussi, operator).confirmRedeem(await lastId(), ethers.id('payout'))) });
  await (await as(ussi, wlp).applyRedeem(...(await order(HedgeSide.Redeem, 100n * E18, wlp)))).wait();
  rows.push({ case: 'USSI mark redeem payout-pending (USSI burned)', gas: await gasOf(as(ussi, operator).markPayoutPending(await lastId())) });
  rows.push({ case: 'USSI record a tracked payout', gas: await gasOf(as(ussi, operator).recordPayout(await lastId(), ethers.id('payout'))) });
  await (await as(ussi, wlp).applyMint(...(await order(HedgeSide.Mint, 100n * 10n ** 6n, wlp)))).wait();
  rows.push({ case: 'USSI reject mint (refund)', gas: await gasOf(as(ussi, operator).rejectMint(await lastId())) });
  await (await as(ussi, wlp).applyMint(...(await order(HedgeSide.Mint, 100n * 10n ** 6n, wlp)))).wait();
  await hre.network.provider.send('evm_increaseTime', [USSI_SETTINGS.requestTimeout]);
  rows.push({ case: 'USSI cancel mint after timeout (refund)', gas: await gasOf(as(ussi, wlp).cancel(await lastId())) });
  const [nav] = (await ussi.nav()) as [bigint, bigint];
  rows.push({ case: 'USSI publish NAV', gas: await gasOf(as(ussi, operator).publishNav(nav + nav / 10_000n)) });
  return {
    rows,
    notes: [
      `USSI index-token rows: a ${INDEX_ASSETS}-asset index; the confirmation burns through the IndexBurner (Issuer basket view, IndexToken burn, CustodyVault release of every leg), the hedge vault already holding each asset.`,
      'USSI rows: behind the UUPS proxy, USDC stablecoin, steady state (warm-up cycles done, a mint and a redeem of another participant pending, nonce word in use); each application writes its request (3 slots) from zero.',
    ],
  };
}
