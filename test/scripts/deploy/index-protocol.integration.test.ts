import hre from 'hardhat';
import type { Contract } from 'ethers';
import type { Deployment } from '../../../scripts/deploy/deployments';
import { DEPLOY_STEPS } from '../../../scripts/deploy/steps';
import { LOCAL_INDEXES as ALL_LOCAL_INDEXES, LOCAL_MAX_FEE_RATE_PPM } from '../../../scripts/deploy/index-protocol';
import { basketFor, issuerDomain, QUOTE_ORDER_TYPES, Side, type QuoteOrder } from '../../../lambdas/domain/orders';
import { MAX_UINT256, ONE, as, now, send } from '../../helpers/index-protocol';

/** The quote-order indexes; the attested MAG7.ssi needs a custodian (the custody step, covered by test/infra/local/mag7-custody.integration.test.ts). */
const LOCAL_INDEXES = ALL_LOCAL_INDEXES.filter((i) => i.issuance !== 'attested');

describe('Deploy steps: index protocol', () => {
  let deployment: Deployment;
  let snapshot: unknown;
  const lines: string[] = [];

  beforeAll(async () => {
    snapshot = await send(hre, 'evm_snapshot');
    // The operator signer stands for the KMS operator of the local stack: an account other than the deployer.
    const operator = (await hre.ethers.getSigners())[7];
    deployment = {
      network: 'hardhat',
      chainId: 31337,
      deployedAt: new Date().toISOString(),
      contracts: {},
      tokens: {},
      indexes: {},
      signers: { operator: await operator.getAddress(), price: await (await hre.ethers.getSigners())[8].getAddress() },
    };
    for (const step of DEPLOY_STEPS) await step(hre, deployment, (line) => lines.push(line));
  });
  afterAll(async () => {
    await send(hre, 'evm_revert', [snapshot]);
  });

  const contract = async (name: string, key: string): Promise<Contract> =>
    (await hre.ethers.getContractAt(name, deployment.contracts[key])) as unknown as Contract;

  it('records the vault, issuer, factory, token implementation and fee vault, all but the fee vault with code', async () => {
    for (const key of ['custodyVault', 'issuer', 'indexFactory', 'rebalancer', 'indexTokenImplementation']) {
      expect(await hre.ethers.provider.getCode(deployment.contracts[key])).not.toBe('0x');
    }
    // The fee vault is the operator's account, so the fee-sale saga can pay the stakers' share from it.
    expect(deployment.contracts.feeVault).toBe(deployment.signers.operator);
    const issuer = await contract('Issuer', 'issuer');
    for (const index of Object.values(deployment.indexes)) expect((await issuer.indexConfig(index)).feeVault).toBe(deployment.signers.operator);
    expect(lines.some((l) => l.startsWith('index protocol:'))).toBe(true);
  });

  it('wires the roles: issuer releases from custody, factory registers, deployer is admin and operator, USDC is cash', async () => {
    const [deployer] = await hre.ethers.getSigners();
    const vault = await contract('CustodyVault', 'custodyVault');
    const issuer = await contract('Issuer', 'issuer');
    const factory = await contract('IndexFactory', 'indexFactory');
    expect(await vault.hasRole(await vault.RELEASER_ROLE(), deployment.contracts.issuer)).toBe(true);
    expect(await issuer.hasRole(await issuer.REGISTRAR_ROLE(), deployment.contracts.indexFactory)).toBe(true);
    for (const c of [vault, issuer, factory]) expect(await c.defaultAdmin()).toBe(await deployer.getAddress());
    expect(await issuer.hasRole(await issuer.OPERATOR_ROLE(), await deployer.getAddress())).toBe(true);
    expect(await factory.hasRole(await factory.OPERATOR_ROLE(), await deployer.getAddress())).toBe(true);
    expect(await issuer.custody()).toBe(deployment.contracts.custodyVault);
    expect(await issuer.isCashToken(deployment.tokens.USDC.address)).toBe(true);
    expect(await factory.implementation()).toBe(deployment.contracts.indexTokenImplementation);
  });

  it('wires the rebalancer: releases from custody, switches rebalancing, rebalances every index; the operator signer operates it', async () => {
    const [deployer] = await hre.ethers.getSigners();
    const vault = await contract('CustodyVault', 'custodyVault');
    const issuer = await contract('Issuer', 'issuer');
    const factory = await contract('IndexFactory', 'indexFactory');
    const rebalancer = await contract('Rebalancer', 'rebalancer');
    const address = deployment.contracts.rebalancer;
    expect(await vault.hasRole(await vault.RELEASER_ROLE(), address)).toBe(true);
    expect(await issuer.hasRole(await issuer.REBALANCER_ROLE(), address)).toBe(true);
    expect(await issuer.hasRole(await issuer.REBALANCER_ROLE(), await deployer.getAddress())).toBe(false);
    expect(await factory.rebalancer()).toBe(address);
    expect(await rebalancer.issuer()).toBe(deployment.contracts.issuer);
    expect(await rebalancer.custody()).toBe(deployment.contracts.custodyVault);
    for (const account of [await deployer.getAddress(), deployment.signers.operator]) {
      expect(await rebalancer.hasRole(await rebalancer.OPERATOR_ROLE(), account)).toBe(true);
      expect(await issuer.hasRole(await issuer.OPERATOR_ROLE(), account)).toBe(true);
    }
    for (const symbol of Object.keys(deployment.indexes)) {
      const token = await hre.ethers.getContractAt('IndexToken', deployment.indexes[symbol]);
      expect(await token.hasRole(await token.REBALANCER_ROLE(), address)).toBe(true);
    }
    // Prices come from the price signer's own key; the operator signer alone cannot attest them.
    expect(await rebalancer.hasRole(await rebalancer.PRICE_ATTESTER_ROLE(), deployment.signers.price)).toBe(true);
    expect(await rebalancer.hasRole(await rebalancer.PRICE_ATTESTER_ROLE(), deployment.signers.operator)).toBe(false);
    for (const token of Object.values(deployment.tokens)) expect(await rebalancer.isBuyAssetAllowed(token.address)).toBe(true);
  });

  it('gives every local index its management fee under a 2% maximum', async () => {
    for (const spec of LOCAL_INDEXES) {
      const token = await hre.ethers.getContractAt('IndexToken', deployment.indexes[spec.symbol]);
      const state = await token.feeState();
      expect(state.ratePpm).toBe(BigInt(spec.feeRatePpm));
      expect(state.maxRatePpm).toBe(BigInt(LOCAL_MAX_FEE_RATE_PPM));
    }
    expect(ALL_LOCAL_INDEXES.find((i) => i.symbol === 'MAG7.ssi')!.feeRatePpm).toBe(9_500);
  });

  it('creates DEFI.ssi and MEME.ssi over the recorded tokens, worth about 1,000 USD each at the illustrative prices; no MAG7.ssi without a custodian', async () => {
    const factory = await contract('IndexFactory', 'indexFactory');
    expect(Object.keys(deployment.indexes).sort()).toEqual(['DEFI.ssi', 'MEME.ssi']);
    expect(lines).toContain('custody: SSI_CUSTODIAN_SIGNER_ADDRESS or SSI_CUSTODIAN_WALLETS unset, no custodian: attested indexes not deployed');
    for (const spec of LOCAL_INDEXES) {
      const address = deployment.indexes[spec.symbol];
      expect(await factory.indexBySymbol(spec.symbol)).toBe(address);
      const token = await hre.ethers.getContractAt('IndexToken', address);
      expect(await token.symbol()).toBe(spec.symbol);
      const [assets, units] = await token.tokenset();
      expect(assets).toHaveLength(spec.constituents.length);
      const bySymbol = new Map(Object.entries(deployment.tokens).map(([symbol, t]) => [t.address, { symbol, ...t }]));
      let nav = 0;
      assets.forEach((asset: string, i: number) => {
        const token = bySymbol.get(asset)!;
        const constituent = spec.constituents.find((c) => c.symbol === token.symbol)!;
        expect(constituent).toBeDefined();
        nav += (Number(units[i]) / 10 ** token.decimals) * constituent.priceUsd;
      });
      expect(Math.abs(nav - 1000)).toBeLessThan(1);
    }
  });

  it('lets a PMM and a WLP mint 1 DEFI.ssi atomically against the deployed system', async () => {
    const [, pmm, wlp] = await hre.ethers.getSigners();
    const issuer = await contract('Issuer', 'issuer');
    const index = await hre.ethers.getContractAt('IndexToken', deployment.indexes['DEFI.ssi']);
    await (await issuer.grantRole(await issuer.MAKER_ROLE(), await pmm.getAddress())).wait();
    await (await issuer.grantRole(await issuer.PARTICIPANT_ROLE(), await wlp.getAddress())).wait();
    // Mint legs at the fee factor of the quote time stay valid later: the factor only falls.
    const [assets, baseUnitAmounts, factor] = await index.baseTokenset();
    const legs = basketFor({ assets: [...assets], unitAmounts: [...baseUnitAmounts], factor }, ONE, Side.Mint);
    for (let i = 0; i < legs.assets.length; i++) {
      const token = (await hre.ethers.getContractAt('TestToken', legs.assets[i])) as unknown as Contract;
      await (await token.mint(await pmm.getAddress(), legs.amounts[i])).wait();
      await (await as(token, pmm).approve(deployment.contracts.issuer, MAX_UINT256)).wait();
    }
    const usdc = (await hre.ethers.getContractAt('TestToken', deployment.tokens.USDC.address)) as unknown as Contract;
    await (await usdc.mint(await wlp.getAddress(), 2_000n * 10n ** 6n)).wait();
    await (await as(usdc, wlp).approve(deployment.contracts.issuer, MAX_UINT256)).wait();
    const order: QuoteOrder = {
      index: deployment.indexes['DEFI.ssi'],
      side: Side.Mint,
      indexAmount: ONE,
      assets: legs.assets,
      amounts: legs.amounts,
      cashToken: deployment.tokens.USDC.address,
      cashAmount: 1_000n * 10n ** 6n,
      maker: await pmm.getAddress(),
      requester: await wlp.getAddress(),
      deadline: (await now(hre)) + 600n,
      nonce: 1n,
    };
    const signature = await pmm.signTypedData(issuerDomain(31337, deployment.contracts.issuer), QUOTE_ORDER_TYPES, order);
    await (await as(issuer, wlp).mint(order, signature, 10)).wait();
    expect(await index.balanceOf(await wlp.getAddress())).toBe(ONE);
    const vault = await contract('CustodyVault', 'custodyVault');
    expect([...(await vault.balancesOf(legs.assets))]).toEqual(legs.amounts);
  });
});
