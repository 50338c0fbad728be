/**
 * Regenerates test/vectors/rebalance-orders.json: `npx hardhat run test/vectors/generate-rebalance-orders.ts`.
 * The vector is the shared truth for the TypeScript signers and the Rebalancer contract; regenerate
 * it only when a message type or the domain deliberately changes, and review the diff.
 */
import hre from 'hardhat';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import {
  FEE_SALE_ORDER_TYPES,
  hashFeeSaleOrder,
  hashPriceAttestation,
  hashRebalanceOrder,
  PRICE_ATTESTATION_TYPES,
  REBALANCE_ORDER_TYPES,
  rebalancerDomain,
  type FeeSaleOrder,
  type PriceAttestation,
  type RebalanceOrder,
} from '../../lambdas/domain/rebalance-orders';
import { deployVectorSystem, VECTOR_KEYS } from '../helpers/vector-system';

const strings = (o: object): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'bigint' ? String(v) : Array.isArray(v) ? v.map((x) => (typeof x === 'bigint' ? String(x) : x)) : v]));

async function main(): Promise<void> {
  const system = await deployVectorSystem(hre);
  const maker = new Wallet(VECTOR_KEYS.maker);
  const operator = new Wallet(VECTOR_KEYS.deployer);
  const index = await system.index.getAddress();
  const [low, high] = system.assets;
  const domain = rebalancerDomain(31337n, await system.rebalancer.getAddress());
  const order: RebalanceOrder = {
    index,
    sellAssets: [low],
    sellAmounts: [123_456_789_012_345_678n],
    buyAssets: [high],
    buyAmounts: [98_765_432n],
    maker: maker.address,
    deadline: 4_102_444_800n,
    nonce: (3n << 8n) + 9n,
  };
  const prices: PriceAttestation = {
    index,
    assets: [low, high],
    prices: [3_300n * 10n ** 18n, 97_000n * 10n ** 18n],
    validUntil: 4_102_444_800n,
    nonce: (1n << 8n) + 2n,
  };
  const feeSale: FeeSaleOrder = {
    index,
    assets: [low, high],
    amounts: [5_000_000_000_000_000n, 12_345n],
    cashToken: system.usdc,
    cashAmount: 42_000_000n,
    maker: maker.address,
    deadline: 4_102_444_800n,
    nonce: 77n,
  };
  const digests = {
    rebalanceOrder: hashRebalanceOrder(domain, order),
    priceAttestation: hashPriceAttestation(domain, prices),
    feeSaleOrder: hashFeeSaleOrder(domain, feeSale),
  };
  const onChain = {
    rebalanceOrder: await system.rebalancer.hashRebalanceOrder(order),
    priceAttestation: await system.rebalancer.hashPriceAttestation(prices),
    feeSaleOrder: await system.rebalancer.hashFeeSaleOrder(feeSale),
  };
  for (const key of Object.keys(digests) as Array<keyof typeof digests>) {
    if (onChain[key] !== digests[key]) throw new Error(`${key}: contract digest ${onChain[key]} differs from the TypeScript digest ${digests[key]}`);
  }
  const vector = {
    description:
      'EIP-712 RebalanceOrder, PriceAttestation and FeeSaleOrder signed by fixed test keys (maker; operator = vector deployer); ' +
      'checked by test/lambdas/domain/rebalance-orders.test.ts and test/contracts/index/rebalance-orders-vector.integration.test.ts',
    keys: VECTOR_KEYS,
    domain: { ...domain, chainId: domain.chainId!.toString() },
    rebalanceOrder: strings(order),
    priceAttestation: strings(prices),
    feeSaleOrder: strings(feeSale),
    digests,
    signatures: {
      rebalanceOrder: await maker.signTypedData(domain, REBALANCE_ORDER_TYPES, order),
      priceAttestation: await operator.signTypedData(domain, PRICE_ATTESTATION_TYPES, prices),
      feeSaleOrder: await maker.signTypedData(domain, FEE_SALE_ORDER_TYPES, feeSale),
    },
  };
  const path = join(__dirname, 'rebalance-orders.json');
  writeFileSync(path, `${JSON.stringify(vector, null, 2)}\n`);
  console.log(`wrote ${path}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
