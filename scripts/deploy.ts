import hre from 'hardhat';
import { writeDeployment, type Deployment } from './deploy/deployments';
import { DEPLOY_STEPS } from './deploy/steps';

/** Deploys the protocol to the selected network and records the addresses in its deployments file. */
export async function deploy(log: (line: string) => void = console.log): Promise<{ deployment: Deployment; path: string }> {
  const { chainId } = await hre.ethers.provider.getNetwork();
  const [deployer] = await hre.ethers.getSigners();
  // The local stack passes its KMS signer addresses; elsewhere the deployer stands in until roles are handed over.
  const signer = (variable: string): string => hre.ethers.getAddress(process.env[variable] ?? deployer.address);
  const deployment: Deployment = {
    network: hre.network.name,
    chainId: Number(chainId),
    deployedAt: new Date().toISOString(),
    contracts: {},
    tokens: {},
    indexes: {},
    signers: {
      operator: signer('SSI_OPERATOR_ADDRESS'),
      reserve: signer('SSI_RESERVE_SIGNER_ADDRESS'),
      rewards: signer('SSI_REWARDS_SIGNER_ADDRESS'),
      price: signer('SSI_PRICE_SIGNER_ADDRESS'),
      ussiOrders: signer('SSI_USSI_ORDER_SIGNER_ADDRESS'),
      custodian: signer('SSI_CUSTODIAN_SIGNER_ADDRESS'),
    },
  };
  for (const step of DEPLOY_STEPS) await step(hre, deployment, log);
  const path = writeDeployment(deployment);
  log(`deployment written to ${path}`);
  return { deployment, path };
}

if (require.main === module) {
  deploy().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
