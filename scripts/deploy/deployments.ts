import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** What a deploy left on one network: the file every later tool reads addresses from. */
export interface Deployment {
  network: string;
  chainId: number;
  deployedAt: string;
  /** Protocol contracts by name (proxies where upgradeable). */
  contracts: Record<string, string>;
  /** ERC-20 assets by market symbol (underlying assets and cash tokens). */
  tokens: Record<string, { address: string; decimals: number }>;
  /** Index tokens by symbol, e.g. MAG7.ssi. */
  indexes: Record<string, string>;
  /** Off-chain signers the deploy granted roles to, by key role (operator, reserve, rewards). */
  signers: Record<string, string>;
}

/** deployments/<network>.json, or under $SSI_DEPLOYMENTS_DIR (the local stack keeps its own in its data folder). */
export function deploymentPath(network: string, dir = process.env.SSI_DEPLOYMENTS_DIR): string {
  return resolve(dir ?? resolve(__dirname, '../../deployments'), `${network}.json`);
}

export function readDeployment(network: string, dir?: string): Deployment {
  const path = deploymentPath(network, dir);
  if (!existsSync(path)) throw new Error(`no deployment for network ${network} at ${path}: run the deploy script first`);
  return JSON.parse(readFileSync(path, 'utf8')) as Deployment;
}

export function writeDeployment(deployment: Deployment, dir?: string): string {
  const path = deploymentPath(deployment.network, dir);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(deployment, null, 2)}\n`);
  return path;
}
