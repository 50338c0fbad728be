import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import type { Contract, Signer } from 'ethers';
import type { GasGroup } from '../gas';
import { as, benchSeed, gasOf } from '../gas-tx';
import { LegDirection, assetKey, chainKey, nativeKey, type CustodyLeg } from '../../../lambdas/domain/custody/attestation';
import { custodianPlaceholder } from '../../../lambdas/domain/custody/placeholder';
import { PRICE_ATTESTATION_TYPES, REBALANCE_ORDER_TYPES, rebalancerDomain, sortedLegs, type RebalanceOrder } from '../../../lambdas/domain/rebalance-orders';
import { CustodyMode, deployAttestedIssuer, deployAttestedRebalancer, deployIndexToken, signLeg } from '../../../test/helpers/custody';
import { deployIndexCore } from '../../deploy/index-protocol';

const ONE = 10n ** 18n;
const MAX = (1n << 256n) - 1n;
const CASH = 1_000n * 10n ** 6n;
/** As the atomic rows: a 0.95%/year management fee accrued by every mint and redeem. */
const FEE_RATE_PPM = 9_500;
const TIMEOUT = 3_600;
/** MAG7.ssi's custodian constituents on their native chains, units per whole index token in native decimals. */
const CUSTODIAN = [
  { chain: 'bitcoin', id: 'BTC', decimals: 8, units: 10_000n, wallet: 'bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh', pmm: 'bc1q9h7garjdlmqyzzu7c6ynfh6xxm8yxnk8c5m3yz' },
  { chain: 'solana', id: 'SOL', decimals: 9, units: 50_000_000n, wallet: '7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV', pmm: '9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM' },
  { chain: 'xrpl', id: 'XRP', decimals: 6, units: 4_000_000n, wallet: 'rPT1Sjq2YGrBMTttX4GZHjKu9dyfzbpAYe?dt=7', pmm: 'rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh' },
  { chain: 'dogecoin', id: 'DOGE', decimals: 8, units: 3_000_000_000n, wallet: 'DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L', pmm: 'DBs4WcRE7eysKwRxHNX88XZVCQ9M6QSUSz' },
  { chain: 'cardano', id: 'ADA', decimals: 6, units: 2_000_000n, wallet: 'addr1vpu5vlrf4xkxv2qpwngf6cjhtw542ayty80v8dyr49rf5eg0yu80w', pmm: 'addr1v8fet8gavv3lh7cjs6y6wtl6t0e5cu7c5m0gdvu2f6cwhyqxyzabc' },
];

/**
 * Gas of MAG7.ssi through AttestedIssuer: BTC, SOL, XRP, DOGE and ADA held by the custodian on their
 * native chains (one attested leg each), ETH and BNB as ERC-20s in CustodyVault (moved atomically when
 * a request completes). Steady state: a first mint and redeem ran before the readings, so balances and
 * custody slots are warm. Runs in an EVM snapshot that is reverted afterwards, so the other gas groups
 * read the same chain as without it.
 */
export async function measure(hre: HardhatRuntimeEnvironment): Promise<GasGroup> {
  const snapshot = (await hre.network.provider.send('evm_snapshot', [])) as string;
  try {
    return await measureMag7(hre);
  } finally {
    await hre.network.provider.send('evm_revert', [snapshot]);
  }
}

async function measureMag7(hre: HardhatRuntimeEnvironment): Promise<GasGroup> {
  const { ethers } = hre;
  const [admin, pmm, wlp, submitter] = await ethers.getSigners();
  const custodian = new ethers.Wallet(benchSeed('custodian signer'));
  const { registry, attested } = await deployAttestedIssuer(hre, admin!, TIMEOUT);
  const attestedAddress = await attested.getAddress();
  const vault = (await hre.upgrades.deployProxy(await ethers.getContractFactory('CustodyVault', admin), [await admin!.getAddress()], {
    kind: 'uups',
  })) as unknown as Contract;
  await (await vault.grantRole(await vault.RELEASER_ROLE(), attestedAddress)).wait();
  await (await attested.setCustodyVault(await vault.getAddress())).wait();
  await (await registry.setSigner(custodian.address, true)).wait();

  const tokenFactory = await ethers.getContractFactory('TestToken', admin);
  const usdc = (await tokenFactory.deploy('USD Coin (test)', 'USDC', 6)) as unknown as Contract;
  const onchain: Contract[] = [];
  for (const [name, symbol] of [['Ether (test)', 'ETH'], ['BNB (test)', 'BNB']] as const) {
    const token = (await tokenFactory.deploy(name, symbol, 18)) as unknown as Contract;
    await (await registry.registerAsset('evm', symbol, 18, CustodyMode.Onchain, await token.getAddress())).wait();
    await (await token.mint(await pmm!.getAddress(), 1_000n * ONE)).wait();
    await (await as(token, pmm!).approve(attestedAddress, MAX)).wait();
    onchain.push(token);
  }
  const constituents = await Promise.all(onchain.map(async (t) => ({ asset: await t.getAddress(), unitAmount: ONE / 100n })));
  for (const c of CUSTODIAN) {
    const placeholder = custodianPlaceholder(c.chain, c.id);
    await (await registry.registerAsset(c.chain, c.id, c.decimals, CustodyMode.Custodian, placeholder)).wait();
    await (await registry.setWallet(c.chain, c.wallet, true)).wait();
    constituents.push({ asset: placeholder, unitAmount: c.units });
  }
  const index = await deployIndexToken(hre, admin!, { name: 'Magnificent 7 (bench)', symbol: 'MAG7.ssi', constituents, feeRatePpm: FEE_RATE_PPM });
  const indexAddress = await index.getAddress();
  await (await index.grantRole(await index.ISSUER_ROLE(), attestedAddress)).wait();
  await (await attested.setIndex(indexAddress, true)).wait();
  await (await attested.setCashToken(await usdc.getAddress(), true)).wait();
  for (const s of [wlp!, pmm!]) {
    await (await usdc.mint(await s.getAddress(), 1_000n * CASH)).wait();
    await (await as(usdc, s).approve(attestedAddress, MAX)).wait();
    await (await as(index, s).approve(attestedAddress, MAX)).wait();
  }

  let txCount = 0;
  const legs = async (requestId: string, direction: LegDirection, indexAmount: bigint): Promise<[CustodyLeg[], string[]]> => {
    const [assets, units, factor] = (await index.baseTokenset()) as [string[], bigint[], bigint];
    const out: CustodyLeg[] = [];
    for (const c of CUSTODIAN) {
      const k = assets.indexOf(custodianPlaceholder(c.chain, c.id));
      const exact = indexAmount * units[k]! * factor;
      const scale = ONE * 10n ** 27n;
      const amount =
        direction === LegDirection.Received ? (exact + scale - 1n) / scale : ((await attested.redeemDue(requestId, assets[k])) as bigint);
      out.push({
        requestId,
        direction,
        chain: chainKey(c.chain),
        asset: assetKey(c.id),
        amount,
        txId: nativeKey(`${c.chain}:${txCount++}`),
        wallet: nativeKey(c.wallet),
        counterparty: nativeKey(c.pmm),
      });
    }
    return [out, await Promise.all(out.map((leg) => signLeg(hre, custodian, attested, leg)))];
  };
  const requestId = async (tx: Promise<unknown>, event: string): Promise<{ id: string; gas: bigint }> => {
    const receipt = await (await (tx as Promise<{ wait(): Promise<{ gasUsed: bigint; logs: Array<{ topics: string[]; data: string }> }> }>)).wait();
    const log = receipt.logs.map((l) => attested.interface.parseLog(l)).find((l) => l?.name === event)!;
    return { id: log.args.requestId as string, gas: receipt.gasUsed };
  };
  const destinations = async (): Promise<string[]> => {
    const [assets] = (await index.baseTokenset()) as [string[]];
    return assets.map((asset) => {
      const c = CUSTODIAN.find((x) => custodianPlaceholder(x.chain, x.id) === asset);
      return c ? nativeKey(c.pmm) : ethers.ZeroHash;
    });
  };

  const cycle = async (): Promise<Record<string, bigint>> => {
    const mint = await requestId(as(attested, wlp!).requestMint(indexAddress, 2n * ONE, await usdc.getAddress(), CASH, await pmm!.getAddress()), 'MintRequested');
    const [mintLegs, mintSignatures] = await legs(mint.id, LegDirection.Received, 2n * ONE);
    // The PMM submits the legs itself: a basket with on-chain legs completes only in its own submission.
    const mintComplete = await gasOf(as(attested, pmm!).attestMint(mint.id, mintLegs, mintSignatures));
    const redeem = await requestId(as(attested, wlp!).requestRedeem(indexAddress, ONE, await usdc.getAddress(), CASH, await pmm!.getAddress()), 'RedeemRequested');
    const accept = await gasOf(as(attested, pmm!).acceptRedeem(redeem.id, await destinations()));
    const [releaseLegs, releaseSignatures] = await legs(redeem.id, LegDirection.Released, ONE);
    const redeemComplete = await gasOf(as(attested, submitter!).attestRedeem(redeem.id, releaseLegs, releaseSignatures));
    return {
      'attested mint request, MAG7 (7 assets)': mint.gas,
      'attested mint completion, MAG7: 5 custodian legs + 2 on-chain legs': mintComplete,
      'attested redeem request, MAG7 (7 assets)': redeem.gas,
      'attested redeem acceptance, MAG7: cash escrow, burn, 7 legs fixed': accept,
      'attested redeem completion, MAG7: 5 custodian releases + 2 on-chain legs': redeemComplete,
    };
  };
  await cycle();
  const steady = await cycle();
  const rebalance = await measureRebalance(hre, { admin: admin!, pmm: pmm!, submitter: submitter!, custodian, attested, index, onchain });
  const rows = Object.entries({ ...steady, ...rebalance }).map(([name, gas]) => ({ case: name, gas }));
  const total = (prefix: string): bigint => rows.filter((r) => r.case.startsWith(prefix)).reduce((sum, r) => sum + r.gas, 0n);
  return {
    rows,
    notes: [
      `Attested MAG7.ssi: BTC, SOL, XRP, DOGE, ADA by custodian attestation (one EIP-712 leg each, all five in one submission, by the PMM on a mint), ` +
        `ETH and BNB as ERC-20s through CustodyVault; steady state after a first mint and redeem. A whole attested mint costs ` +
        `${total('attested mint').toLocaleString('en-US')} gas over two transactions, a whole redeem ` +
        `${total('attested redeem').toLocaleString('en-US')} gas over three.`,
      `Attested rebalance of that MAG7.ssi (AttestedRebalancer): sells 0.005 BTC, 2 XRP (custodian, Released legs) and 0.001 ETH ` +
        `(on-chain, out of CustodyVault) for 0.02 SOL, 10 ADA (custodian, Received legs) and ~0.0067 BNB (on-chain, escrowed on ` +
        `acceptance); steady state after a first rebalance. A whole rebalance costs ${total('attested rebalance').toLocaleString('en-US')} gas ` +
        `over four transactions.`,
    ],
  };
}

const USD = 10n ** 18n;
/** USD per whole unit, 18 decimals, of the MAG7 bench assets by symbol. */
const PRICES: Record<string, bigint> = {
  BTC: 100_000n * USD,
  SOL: 200n * USD,
  XRP: 2n * USD,
  DOGE: USD / 5n,
  ADA: USD / 2n,
  ETH: 4_000n * USD,
  BNB: 600n * USD,
};

/**
 * Gas of an attested rebalance of the MAG7 bench index: open (order and price checks), the PMM's acceptance,
 * the custodian's Received legs of the buys and the Released legs of the sells that complete it.
 */
async function measureRebalance(
  hre: HardhatRuntimeEnvironment,
  ctx: { admin: Signer; pmm: Signer; submitter: Signer; custodian: Signer; attested: Contract; index: Contract; onchain: Contract[] },
): Promise<Record<string, bigint>> {
  const { ethers } = hre;
  const { admin, pmm, submitter, custodian, attested, index } = ctx;
  const { rebalancer } = await deployIndexCore(hre, admin);
  const arb = await deployAttestedRebalancer(hre, admin, rebalancer, attested);
  const arbAddress = await arb.getAddress();
  const indexAddress = await index.getAddress();
  const pmmAddress = await pmm.getAddress();
  await (await index.grantRole(await index.REBALANCER_ROLE(), arbAddress)).wait();
  await (await rebalancer.grantRole(await rebalancer.MAKER_ROLE(), pmmAddress)).wait();
  const [eth, bnb] = await Promise.all(ctx.onchain.map((t) => t.getAddress()));
  const placeholder = (id: string): string => custodianPlaceholder(CUSTODIAN.find((c) => c.id === id)!.chain, id);
  for (const asset of [placeholder('SOL'), placeholder('ADA'), bnb!]) await (await rebalancer.setBuyAssetAllowed(asset, true)).wait();
  await (await as(ctx.onchain[1]!, pmm).approve(arbAddress, MAX)).wait();
  const symbolOf = new Map<string, string>([[eth!, 'ETH'], [bnb!, 'BNB'], ...CUSTODIAN.map((c) => [custodianPlaceholder(c.chain, c.id), c.id] as [string, string])]);
  const domain = rebalancerDomain((await ethers.provider.getNetwork()).chainId, arbAddress);
  const priced = sortedLegs([...symbolOf.entries()].map(([asset, symbol]) => ({ asset, amount: PRICES[symbol]! })));
  let nonce = 0n;
  let txCount = 0;

  const custodyLeg = (id: string, asset: string, direction: LegDirection, amount: bigint): CustodyLeg => {
    const c = CUSTODIAN.find((x) => custodianPlaceholder(x.chain, x.id) === asset)!;
    return {
      requestId: id,
      direction,
      chain: chainKey(c.chain),
      asset: assetKey(c.id),
      amount,
      txId: nativeKey(`${c.chain}:rebalance:${txCount++}`),
      wallet: nativeKey(c.wallet),
      counterparty: nativeKey(c.pmm),
    };
  };
  const submit = async (id: string, order: RebalanceOrder, legs: CustodyLeg[]): Promise<bigint> => {
    const signatures = await Promise.all(legs.map((leg) => signLeg(hre, custodian, attested, leg)));
    return gasOf(as(arb, submitter).attest(id, order, legs, signatures));
  };

  const once = async (): Promise<Record<string, bigint>> => {
    const sells = sortedLegs([
      { asset: placeholder('BTC'), amount: 5_000n },
      { asset: placeholder('XRP'), amount: 2_000_000n },
      { asset: eth!, amount: ONE / 1_000n },
    ]);
    const buys = sortedLegs([
      { asset: placeholder('SOL'), amount: 20_000_000n },
      { asset: placeholder('ADA'), amount: 10_000_000n },
      { asset: bnb!, amount: (4n * ONE) / 600n },
    ]);
    const deadline = BigInt((await ethers.provider.getBlock('latest'))!.timestamp) + 3_600n;
    const order: RebalanceOrder = {
      index: indexAddress,
      sellAssets: sells.assets,
      sellAmounts: sells.amounts,
      buyAssets: buys.assets,
      buyAmounts: buys.amounts,
      maker: pmmAddress,
      deadline,
      nonce: nonce++,
    };
    const prices = { index: indexAddress, assets: priced.assets, prices: priced.amounts, validUntil: deadline, nonce: nonce++ };
    const receipt = await (
      await arb.open(order, await pmm.signTypedData(domain, REBALANCE_ORDER_TYPES, order), prices, await admin.signTypedData(domain, PRICE_ATTESTATION_TYPES, prices))
    ).wait();
    const id = receipt.logs.map((l: never) => arb.interface.parseLog(l)).find((l: { name: string } | null) => l?.name === 'RebalanceOpened')!.args.rebalanceId as string;
    const destinations = order.sellAssets.map((asset) => {
      const c = CUSTODIAN.find((x) => custodianPlaceholder(x.chain, x.id) === asset);
      return c ? nativeKey(c.pmm) : ethers.ZeroHash;
    });
    const accept = await gasOf(as(arb, pmm).accept(id, order, destinations));
    const custodian = (assets: string[], amounts: bigint[], direction: LegDirection): CustodyLeg[] =>
      assets.flatMap((asset, i) => (symbolOf.get(asset) === 'ETH' || symbolOf.get(asset) === 'BNB' ? [] : [custodyLeg(id, asset, direction, amounts[i]!)]));
    const received = await submit(id, order, custodian(order.buyAssets, order.buyAmounts, LegDirection.Received));
    const released = await submit(id, order, custodian(order.sellAssets, order.sellAmounts, LegDirection.Released));
    return {
      'attested rebalance open, MAG7 (7 assets): 3 sells, 3 buys, order and price checks': receipt.gasUsed as bigint,
      'attested rebalance acceptance, MAG7: 2 destinations, 1 on-chain buy escrowed': accept,
      'attested rebalance buys, MAG7: 2 custodian Received legs': received,
      'attested rebalance completion, MAG7: 2 custodian Released legs, tokenset, custody book, 2 on-chain legs': released,
    };
  };
  await once();
  return once();
}
