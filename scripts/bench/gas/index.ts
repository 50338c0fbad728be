import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import type { Contract, ContractTransactionResponse, Signer } from 'ethers';
import type { GasGroup } from '../gas';
import { deployIndexCore } from '../../deploy/index-protocol';
import { basketFor, issuerDomain, QUOTE_ORDER_TYPES, Side, type QuoteOrder, type Tokenset } from '../../../lambdas/domain/orders';

const BASKET_SIZES = [1, 3, 7, 10];
const ONE = 10n ** 18n;
const MAX = (1n << 256n) - 1n;
const DECIMALS = [8, 18, 6, 18, 9, 8, 6, 18, 18, 5];
/** What the incumbent SSI contracts spend on one mint (three transactions), per the protocol's brief. */
const INCUMBENT_MINT_GAS = { low: 2_200_000, high: 2_500_000 };
const TARGET_GAS = 300_000;

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error('transaction was not mined');
  return receipt.gasUsed;
}

function as(contract: Contract, signer: Signer): Contract {
  return contract.connect(signer) as Contract;
}

/**
 * Gas per index operation for baskets of 1, 3, 7 and 10 assets. Readings are steady state: every
 * balance involved is already non-zero, the maker's nonce word is in use and approvals are
 * unlimited (what a PMM and a WLP running continuously see). The first mint into an empty
 * custody is reported separately.
 */
export async function measure(hre: HardhatRuntimeEnvironment): Promise<GasGroup> {
  const { ethers } = hre;
  const [admin, pmm, wlp, feeVault] = await ethers.getSigners();
  const core = await deployIndexCore(hre, admin);
  const { issuer, indexFactory } = core;
  const issuerAddress = await issuer.getAddress();
  const tokenFactory = await ethers.getContractFactory('TestToken', admin);
  const usdc = (await tokenFactory.deploy('USD Coin (bench)', 'USDC', 6)) as unknown as Contract;
  await (await issuer.setCashToken(await usdc.getAddress(), true)).wait();
  await (await issuer.grantRole(await issuer.MAKER_ROLE(), await pmm.getAddress())).wait();
  await (await issuer.grantRole(await issuer.PARTICIPANT_ROLE(), await wlp.getAddress())).wait();
  for (const s of [wlp, pmm]) {
    await (await usdc.mint(await s.getAddress(), 10n ** 15n)).wait();
    await (await as(usdc, s).approve(issuerAddress, MAX)).wait();
  }
  const { chainId } = await ethers.provider.getNetwork();
  const domain = issuerDomain(chainId, issuerAddress);
  let nonce = 0n;

  const rows: GasGroup['rows'] = [];
  const perSize = new Map<number, Record<string, bigint>>();
  for (const size of BASKET_SIZES) {
    const assets: Contract[] = [];
    for (let i = 0; i < size; i++) {
      assets.push((await tokenFactory.deploy(`Bench ${size}-${i}`, `B${size}${i}`, DECIMALS[i])) as unknown as Contract);
    }
    const constituents = await Promise.all(
      assets.map(async (a, i) => ({ asset: await a.getAddress(), unitAmount: 10n ** BigInt(DECIMALS[i]) / BigInt(size * 7 + i) + 1n })),
    );
    const config = {
      minAmount: ONE / 100n,
      maxAmount: 10n ** 24n,
      feeVault: await feeVault.getAddress(),
      issueFeeBps: 10,
      redeemFeeBps: 10,
      requestTimeout: 3600,
    };
    constituents.sort((a, b) => (BigInt(a.asset) < BigInt(b.asset) ? -1 : 1));
    const symbol = `BENCH${size}.ssi`;
    const createGas = await gasOf(
      indexFactory.createIndex({
        name: `Bench ${size}`,
        symbol,
        assets: constituents.map((c) => c.asset),
        unitAmounts: constituents.map((c) => c.unitAmount),
        maxFeeRatePpm: 20_000,
        feeRatePpm: 9_500,
        config,
      }),
    );
    const indexAddress = (await indexFactory.indexBySymbol(symbol)) as string;
    const index = (await ethers.getContractAt('IndexToken', indexAddress)) as unknown as Contract;
    const [tsAssets, tsUnits] = (await index.tokenset()) as [string[], bigint[]];
    const tokenset: Tokenset = { assets: [...tsAssets], unitAmounts: [...tsUnits] };
    for (const a of assets) {
      await (await a.mint(await pmm.getAddress(), 10n ** 40n)).wait();
      await (await as(a, pmm).approve(issuerAddress, MAX)).wait();
    }
    await (await as(index, wlp).approve(issuerAddress, MAX)).wait();

    const order = async (side: Side, indexAmount: bigint): Promise<{ order: QuoteOrder; signature: string }> => {
      const legs = basketFor(tokenset, indexAmount, side);
      const block = await ethers.provider.getBlock('latest');
      const o: QuoteOrder = {
        index: indexAddress,
        side,
        indexAmount,
        assets: legs.assets,
        amounts: legs.amounts,
        cashToken: await usdc.getAddress(),
        cashAmount: 1_000n * 10n ** 6n,
        maker: await pmm.getAddress(),
        requester: await wlp.getAddress(),
        deadline: BigInt(block!.timestamp) + 600n,
        nonce: nonce++,
      };
      return { order: o, signature: await pmm.signTypedData(domain, QUOTE_ORDER_TYPES, o) };
    };
    const W = as(issuer, wlp);
    const P = as(issuer, pmm);
    const g: Record<string, bigint> = { 'create index': createGas };

    let q = await order(Side.Mint, 10n * ONE + 1n);
    g['mint atomic, first into empty custody'] = await gasOf(W.mint(q.order, q.signature, 10));
    q = await order(Side.Mint, 3n * ONE + 7n);
    g['mint atomic'] = await gasOf(W.mint(q.order, q.signature, 10));
    q = await order(Side.Redeem, 2n * ONE + 3n);
    g['redeem atomic'] = await gasOf(W.redeem(q.order, q.signature, 10));
    q = await order(Side.Mint, ONE);
    g['mint request'] = await gasOf(W.requestMint(q.order, q.signature, 10));
    g['mint fill'] = await gasOf(P.fillMint(q.order));
    q = await order(Side.Redeem, ONE);
    g['redeem request'] = await gasOf(W.requestRedeem(q.order, q.signature, 10));
    g['redeem fill'] = await gasOf(P.fillRedeem(q.order));
    const mintToCancel = await order(Side.Mint, ONE);
    await (await W.requestMint(mintToCancel.order, mintToCancel.signature, 10)).wait();
    const redeemToCancel = await order(Side.Redeem, ONE);
    await (await W.requestRedeem(redeemToCancel.order, redeemToCancel.signature, 10)).wait();
    await hre.network.provider.send('evm_increaseTime', [3600]);
    await hre.network.provider.send('evm_mine');
    g['mint cancel after timeout'] = await gasOf(W.cancelMint(mintToCancel.order));
    g['redeem cancel after timeout'] = await gasOf(W.cancelRedeem(redeemToCancel.order));
    perSize.set(size, g);
  }

  const operations = Object.keys(perSize.get(BASKET_SIZES[0])!);
  for (const op of operations) {
    for (const size of BASKET_SIZES) {
      rows.push({ case: `${op}, ${size} asset${size === 1 ? '' : 's'}`, gas: perSize.get(size)![op] });
    }
  }
  const seven = perSize.get(7)!;
  const mint7 = Number(seven['mint atomic']);
  const redeem7 = Number(seven['redeem atomic']);
  const verdict = (gas: number): string => (gas <= TARGET_GAS ? 'within' : 'ABOVE');
  return {
    rows,
    notes: [
      `Steady state: balances already non-zero, the maker's nonce word in use, unlimited approvals; 18-decimal index, USDC cash, 10 bps fee.`,
      `7-asset basket: atomic mint ${mint7.toLocaleString('en-US')} gas (${verdict(mint7)} the ${TARGET_GAS.toLocaleString('en-US')} target), ` +
        `atomic redeem ${redeem7.toLocaleString('en-US')} gas (${verdict(redeem7)} the target).`,
      `Incumbent SSI contracts: about ${INCUMBENT_MINT_GAS.low.toLocaleString('en-US')}-${INCUMBENT_MINT_GAS.high.toLocaleString('en-US')} gas over three ` +
        `transactions for the same mint (figure from the protocol brief, not measured here): the atomic mint is ` +
        `${(INCUMBENT_MINT_GAS.low / mint7).toFixed(1)}x-${(INCUMBENT_MINT_GAS.high / mint7).toFixed(1)}x cheaper in one transaction.`,
    ],
  };
}
