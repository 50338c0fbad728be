import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { deploymentSchema, type DeploymentRecord } from '../../topology/deployment';

/** The deployment record (topology/deployment.ts), as the deploy steps fill it in. */
export type Deployment = DeploymentRecord;

/** One stage of a deploy: reads what earlier stages recorded and records what it adds. */
export type DeployStep = (hre: HardhatRuntimeEnvironment, deployment: Deployment, log: (line: string) => void) => Promise<void>;

/** deployments/<network>.json, or under $SSI_DEPLOYMENTS_DIR (the local stack keeps its own in its data folder). */
export function deploymentPath(network: string, dir = process.env.SSI_DEPLOYMENTS_DIR): string {
  return resolve(dir ?? resolve(__dirname, '../../deployments'), `${network}.json`);
}

export function readDeployment(network: string, dir?: string): Deployment {
  const path = deploymentPath(network, dir);
  if (!existsSync(path)) throw new Error(`no deployment for network ${network} at ${path}: run the deploy script first`);
  const record = deploymentSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!record.success) throw new Error(`${path} is not a deployment record: ${record.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return record.data;
}

export function writeDeployment(deployment: Deployment, dir?: string): string {
  const path = deploymentPath(deployment.network, dir);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(deployment, null, 2)}\n`);
  return path;
}
