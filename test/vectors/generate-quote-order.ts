/**
 * Regenerates test/vectors/quote-order.json: `npx hardhat run test/vectors/generate-quote-order.ts`.
 * The vector is the shared truth for the TypeScript signer and the contract; regenerate it only
 * when the order type or domain deliberately changes, and review the diff.
 */
import hre from 'hardhat';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { basketFor, hashQuoteOrder, issuerDomain, QUOTE_ORDER_TYPES, Side, type QuoteOrder } from '../../lambdas/domain/orders';
import { deployVectorSystem, VECTOR_KEYS } from '../helpers/vector-system';

async function main(): Promise<void> {
  const system = await deployVectorSystem(hre);
  const [assets, unitAmounts] = (await system.index.tokenset()) as [string[], bigint[]];
  const tokenset = { assets: [...assets], unitAmounts: [...unitAmounts] };
  const indexAmount = 1_500_000_000_000_000_001n;
  const legs = basketFor(tokenset, indexAmount, Side.Mint);
  const maker = new Wallet(VECTOR_KEYS.maker);
  const order: QuoteOrder = {
    index: await system.index.getAddress(),
    side: Side.Mint,
    indexAmount,
    assets: legs.assets,
    amounts: legs.amounts,
    cashToken: system.usdc,
    cashAmount: 1_234_560_000n,
    maker: maker.address,
    requester: new Wallet(VECTOR_KEYS.requester).address,
    deadline: 4_102_444_800n,
    nonce: (5n << 8n) + 7n,
  };
  const domain = issuerDomain(31337n, await system.issuer.getAddress());
  const digest = hashQuoteOrder(domain, order);
  const onChain = await system.issuer.hashOrder(order);
  if (onChain !== digest) throw new Error(`contract digest ${onChain} differs from the TypeScript digest ${digest}`);
  const signature = await maker.signTypedData(domain, QUOTE_ORDER_TYPES, order);
  const vector = {
    description: 'EIP-712 QuoteOrder signed by a fixed test key; checked by test/lambdas/domain/orders.test.ts and test/contracts/index/quote-order-vector.integration.test.ts',
    keys: VECTOR_KEYS,
    domain: { ...domain, chainId: domain.chainId!.toString() },
    tokenset: { assets: tokenset.assets, unitAmounts: tokenset.unitAmounts.map(String) },
    order: { ...order, indexAmount: String(order.indexAmount), amounts: order.amounts.map(String), cashAmount: String(order.cashAmount), deadline: String(order.deadline), nonce: String(order.nonce) },
    maxFeeBps: 25,
    fee: String(await system.issuer.verifyOrder(order, signature, 25).then((r: [string, bigint]) => r[1])),
    digest,
    signature,
  };
  const path = join(__dirname, 'quote-order.json');
  writeFileSync(path, `${JSON.stringify(vector, null, 2)}\n`);
  console.log(`wrote ${path}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
