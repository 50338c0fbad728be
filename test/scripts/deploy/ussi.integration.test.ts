import hre from 'hardhat';
import type { Contract, Signer } from 'ethers';
import type { Deployment } from '../../../scripts/deploy/deployments';
import { DEPLOY_STEPS } from '../../../scripts/deploy/steps';
import { USSI_INITIAL_NAV, USSI_SETTINGS } from '../../../scripts/deploy/ussi';
import { AssetKind, HEDGE_ORDER_TYPES, HedgeSide, quoteHedgeOrder, ussiDomain } from '../../../lambdas/domain/ussi-orders';
import { hedgeBookSource, runNavUpdate } from '../../../lambdas/domain/ussi-nav';
import { MAX_UINT256, as, increaseTime, now } from '../../helpers/ussi';

describe('Deploy steps: USSI and sUSSI', () => {
  let deployment: Deployment;
  let snapshot: unknown;
  let operator: Signer;
  let orderSigner: Signer;
  let ussi: Contract;
  const lines: string[] = [];

  beforeAll(async () => {
    snapshot = await hre.network.provider.send('evm_snapshot', []);
    operator = (await hre.ethers.getSigners())[8]!;
    orderSigner = (await hre.ethers.getSigners())[9]!;
    deployment = {
      network: 'hardhat',
      chainId: 31337,
      deployedAt: new Date().toISOString(),
      contracts: {},
      tokens: {},
      indexes: {},
      signers: { operator: await operator.getAddress(), ussiOrders: await orderSigner.getAddress() },
    };
    for (const step of DEPLOY_STEPS) await step(hre, deployment, (line) => lines.push(line));
    ussi = (await hre.ethers.getContractAt('USSI', deployment.contracts.ussi!)) as unknown as Contract;
  });
  afterAll(async () => {
    await hre.network.provider.send('evm_revert', [snapshot]);
  });

  it('records USSI, sUSSI and the hedge vault, and logs the step', async () => {
    expect(await hre.ethers.provider.getCode(deployment.contracts.ussi!)).not.toBe('0x');
    expect(await hre.ethers.provider.getCode(deployment.contracts.sUSSI!)).not.toBe('0x');
    const [deployer] = await hre.ethers.getSigners();
    expect(deployment.contracts.ussiHedgeVault).toBe(await deployer!.getAddress());
    expect(await ussi.hedgeVault()).toBe(deployment.contracts.ussiHedgeVault);
    expect(lines.some((l) => l.startsWith('ussi:'))).toBe(true);
  });

  it('makes the ussi-orders signer the order signer with no role, the operator signer operator, the deployer admin, with the deployed limits and NAV', async () => {
    const [deployer] = await hre.ethers.getSigners();
    expect(await ussi.orderSigner()).toBe(deployment.signers.ussiOrders);
    expect(await ussi.hasRole(await ussi.OPERATOR_ROLE(), deployment.signers.operator)).toBe(true);
    // The key an internet-facing function signs with can sign orders and nothing else.
    for (const role of [await ussi.OPERATOR_ROLE(), await ussi.DEFAULT_ADMIN_ROLE()]) expect(await ussi.hasRole(role, deployment.signers.ussiOrders)).toBe(false);
    expect(await ussi.defaultAdmin()).toBe(await deployer!.getAddress());
    const settings = await ussi.settings();
    expect(Number(settings.toleranceBps)).toBe(USSI_SETTINGS.toleranceBps);
    expect(Number(settings.maxNavAge)).toBe(USSI_SETTINGS.maxNavAge);
    expect((await ussi.nav())[0]).toBe(USSI_INITIAL_NAV);
  });

  it('supports USDC as a stablecoin and every local index token as an index-token asset', async () => {
    expect([...(await ussi.assetConfig(deployment.tokens.USDC!.address))]).toEqual([BigInt(AssetKind.Stablecoin), 6n]);
    expect(Object.keys(deployment.indexes).length).toBeGreaterThan(0);
    for (const index of Object.values(deployment.indexes)) {
      expect([...(await ussi.assetConfig(index))]).toEqual([BigInt(AssetKind.IndexToken), 18n]);
    }
  });

  it('creates sUSSI through the stake factory', async () => {
    const factory = await hre.ethers.getContractAt('StakeFactory', deployment.contracts.stakeFactory!);
    expect(await factory.sTokenOf(deployment.contracts.ussi!)).toBe(deployment.contracts.sUSSI);
    const sUSSI = await hre.ethers.getContractAt('StakeToken', deployment.contracts.sUSSI!);
    expect(await sUSSI.symbol()).toBe('sUSSI');
    expect(await sUSSI.name()).toBe('Staked USSI');
    expect(await sUSSI.stakedToken()).toBe(deployment.contracts.ussi);
  });

  it('runs a quote -> mint with USDC -> NAV update -> stake -> redeem cycle on the deployed contracts', async () => {
    const [admin, wlp] = await hre.ethers.getSigners();
    const wlpAddress = await wlp!.getAddress();
    const usdc = (await hre.ethers.getContractAt('TestToken', deployment.tokens.USDC!.address)) as unknown as Contract;
    const domain = ussiDomain(31337, deployment.contracts.ussi!);
    const asset = { address: deployment.tokens.USDC!.address, kind: AssetKind.Stablecoin, decimals: 6 };
    await (await as(ussi, admin!).grantRole(await ussi.PARTICIPANT_ROLE(), wlpAddress)).wait();
    await (await usdc.mint(wlpAddress, 10_000n * 10n ** 6n)).wait();
    await (await as(usdc, wlp!).approve(deployment.contracts.ussi!, MAX_UINT256)).wait();

    // Quote and mint 5,000 USDC at the initial NAV.
    const quote = async (side: HedgeSide, amount: bigint, nonce: bigint) =>
      quoteHedgeOrder({
        side,
        requester: wlpAddress,
        asset,
        amount,
        nav: (await ussi.nav())[0],
        spreadBps: 5,
        toleranceBps: USSI_SETTINGS.toleranceBps,
        deadline: (await now(hre)) + 300n,
        nonce,
      });
    const mint = await quote(HedgeSide.Mint, 5_000n * 10n ** 6n, 1n);
    await (await as(ussi, wlp!).applyMint(mint, await orderSigner.signTypedData(domain, HEDGE_ORDER_TYPES, mint))).wait();
    await (await as(ussi, operator).confirmMint(1n)).wait();
    expect(await ussi.balanceOf(wlpAddress)).toBe(mint.ussiAmount);
    expect(await usdc.balanceOf(deployment.contracts.ussiHedgeVault!)).toBe(mint.assetAmount);

    // Almost a day later the hedge book has earned 0.2% in funding, read and published as the scheduled run will.
    await increaseTime(hre, 86_000);
    const update = await runNavUpdate(
      {
        readOnChain: async () => {
          const [nav, updatedAt] = await ussi.nav();
          return { onChain: { nav, updatedAt, ...USSI_SETTINGS }, supply: await ussi.totalSupply(), now: await now(hre) };
        },
        source: hedgeBookSource(async ({ supply, now: at }) => ({
          book: { collateralUsd: supply, unrealizedPnlUsd: 0n, fundingUsd: supply / 500n, feesUsd: 0n },
          asOf: at,
        })),
        publish: async (nav) => (await (await as(ussi, operator).publishNav(nav)).wait()).hash,
      },
      { clamp: false },
    );
    if (update.action !== 'publish') throw new Error(`expected a publication, got ${update.action}`);
    expect(update.nav).toBeGreaterThan(USSI_INITIAL_NAV);
    expect((await ussi.nav())[0]).toBe(update.nav);

    // Stake a tenth in sUSSI, then redeem half of what is left, paid from a float the hedge desk returned.
    const sUSSI = (await hre.ethers.getContractAt('StakeToken', deployment.contracts.sUSSI!)) as unknown as Contract;
    const staked = mint.ussiAmount / 10n;
    await (await as(ussi, wlp!).approve(deployment.contracts.sUSSI!, staked)).wait();
    await (await as(sUSSI, wlp!).stake(staked)).wait();
    expect(await sUSSI.balanceOf(wlpAddress)).toBe(staked);
    const redeem = await quote(HedgeSide.Redeem, (mint.ussiAmount - staked) / 2n, 2n);
    await (await as(usdc, admin!).transfer(deployment.contracts.ussi!, redeem.assetAmount)).wait();
    await (await as(ussi, wlp!).applyRedeem(redeem, await orderSigner.signTypedData(domain, HEDGE_ORDER_TYPES, redeem))).wait();
    const cash = await usdc.balanceOf(wlpAddress);
    await (await as(ussi, operator).confirmRedeem(2n, hre.ethers.ZeroHash)).wait();

    expect(await usdc.balanceOf(wlpAddress)).toBe(cash + redeem.assetAmount);
    expect(await ussi.totalSupply()).toBe(mint.ussiAmount - redeem.ussiAmount);
    // Priced at the published NAV: the same USSI would have paid less at the initial NAV.
    const atInitialNav = quoteHedgeOrder({ ...redeem, asset, amount: redeem.ussiAmount, nav: USSI_INITIAL_NAV, spreadBps: 5, toleranceBps: 50 });
    expect(redeem.assetAmount).toBeGreaterThan(atInitialNav.assetAmount);
  });
});
