import { deflateRawSync, inflateRawSync } from 'node:zlib';
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

/**
 * How the record travels in a function's environment (SSI_DEPLOYMENT): Lambda allows 4 KB for all of a
 * function's variables together, and the record of a deployment with custodian assets passes that as plain
 * JSON, so it goes raw-deflated and base64-encoded behind this prefix (about two thirds of the size).
 */
const DEFLATED = 'deflate:';

/** SSI_DEPLOYMENT's value for `record`. */
export function encodeDeploymentSetting(record: DeploymentRecord): string {
  return DEFLATED + deflateRawSync(JSON.stringify(record), { level: 9 }).toString('base64');
}

/** The JSON text of an SSI_DEPLOYMENT value: as `encodeDeploymentSetting` made it, or plain JSON (a deploy's file). */
export function deploymentSettingText(value: string): string {
  return value.startsWith(DEFLATED) ? inflateRawSync(Buffer.from(value.slice(DEFLATED.length), 'base64')).toString('utf8') : value;
}
