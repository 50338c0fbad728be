import { z } from 'zod';

/**
 * What a deploy left on one network (deployments/<network>.json): the one record every reader
 * of contract addresses uses, from the deploy script and the CDK app to the functions
 * (SSI_DEPLOYMENT) and the local stack's stack.json.
 */
export const deploymentSchema = z.object({
  network: z.string(),
  chainId: z.number().int().positive(),
  /** When the deploy script wrote the record (ISO time). */
  deployedAt: z.string().optional(),
  /** Protocol contracts by name (proxies where upgradeable). */
  contracts: z.record(z.string()),
  /** ERC-20 assets by market symbol (underlying assets and cash tokens). */
  tokens: z.record(z.object({ address: z.string(), decimals: z.number().int() })),
  /**
   * Assets held by the custodian on their native chains (CustodyRegistry, custodian mode), by market
   * symbol: the basket placeholder address that stands for them in index tokensets.
   */
  custodianAssets: z.record(z.object({ chain: z.string(), assetId: z.string(), address: z.string(), decimals: z.number().int() })).optional(),
  /** Index tokens by symbol, e.g. MAG7.ssi. */
  indexes: z.record(z.string()),
  /** Off-chain signers the deploy granted roles to, by key role (operator, reserve, rewards). */
  signers: z.record(z.string()).default({}),
});
export type DeploymentRecord = z.infer<typeof deploymentSchema>;
