/**
 * Regenerates test/vectors/ussi-hedge-order.json: `npx hardhat run test/vectors/generate-ussi-hedge-order.ts`.
 * The vector is the shared truth for the TypeScript signer and the USSI contract; regenerate it
 * only when the order type or domain deliberately changes, and review the diff.
 */
import hre from 'hardhat';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { HEDGE_ORDER_TYPES, HedgeSide, hashHedgeOrder, quoteHedgeOrder, ussiDomain } from '../../lambdas/domain/ussi-orders';
import { USSI_VECTOR_KEYS, USSI_VECTOR_NAV, USSI_VECTOR_SETTINGS, deployUssiVectorSystem } from '../helpers/ussi-vector';

async function main(): Promise<void> {
  const system = await deployUssiVectorSystem(hre);
  const signer = new Wallet(USSI_VECTOR_KEYS.signer);
  const spreadBps = 10;
  const order = quoteHedgeOrder({
    side: HedgeSide.Mint,
    requester: new Wallet(USSI_VECTOR_KEYS.requester).address,
    asset: system.usdc,
    amount: 1_234_560_001n,
    nav: USSI_VECTOR_NAV,
    spreadBps,
    toleranceBps: USSI_VECTOR_SETTINGS.toleranceBps,
    deadline: 4_102_444_800n,
    nonce: (3n << 8n) + 9n,
  });
  const domain = ussiDomain(31337n, await system.ussi.getAddress());
  const digest = hashHedgeOrder(domain, order);
  const onChain = await system.ussi.hashOrder(order);
  if (onChain !== digest) throw new Error(`contract digest ${onChain} differs from the TypeScript digest ${digest}`);
  const signature = await signer.signTypedData(domain, HEDGE_ORDER_TYPES, order);
  const vector = {
    description:
      'EIP-712 USSI HedgeOrder signed by a fixed test key; checked by test/lambdas/domain/ussi-orders.test.ts and test/contracts/ussi/ussi-hedge-order-vector.integration.test.ts',
    keys: USSI_VECTOR_KEYS,
    domain: { ...domain, chainId: domain.chainId!.toString() },
    asset: system.usdc,
    nav: String(USSI_VECTOR_NAV),
    toleranceBps: USSI_VECTOR_SETTINGS.toleranceBps,
    spreadBps,
    order: {
      ...order,
      assetAmount: String(order.assetAmount),
      assetPrice: String(order.assetPrice),
      ussiAmount: String(order.ussiAmount),
      deadline: String(order.deadline),
      nonce: String(order.nonce),
    },
    digest,
    signature,
  };
  const path = join(__dirname, 'ussi-hedge-order.json');
  writeFileSync(path, `${JSON.stringify(vector, null, 2)}\n`);
  console.log(`wrote ${path}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
