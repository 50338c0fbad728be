import type { DeployStep } from './deployments';
import { CASH_TOKEN, UNDERLYING_ASSETS } from './assets';
import { deployIndexProtocol } from './index-protocol';
import { deployCustody } from './custody';
import { deployReserveRoles } from './reserves';
import { deployStaking } from './staking';
import { deployUssi } from './ussi';
import { fundLocalWlp } from './participants';

/** Local chains only: faucet tokens for cash and every underlying asset. */
const deployTestTokens: DeployStep = async (hre, deployment, log) => {
  const factory = await hre.ethers.getContractFactory('TestToken');
  for (const asset of [CASH_TOKEN, ...UNDERLYING_ASSETS]) {
    const token = await factory.deploy(asset.name, asset.symbol, asset.decimals);
    await token.waitForDeployment();
    deployment.tokens[asset.symbol] = { address: await token.getAddress(), decimals: asset.decimals };
  }
  log(`tokens: ${Object.keys(deployment.tokens).length} test tokens`);
};

/** The deploy, in order. Later stages (protocol contracts, indexes, staking...) append here. */
export const DEPLOY_STEPS: readonly DeployStep[] = [
  deployTestTokens,
  deployIndexProtocol,
  deployCustody,
  deployStaking,
  deployUssi,
  deployReserveRoles,
  fundLocalWlp,
];
