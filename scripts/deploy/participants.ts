import type { DeployStep } from './deployments';

/** Local chains: USDC the WLP named by SSI_WLP_ADDRESS starts with (10 million). */
export const LOCAL_WLP_CASH = 10_000_000n;

/**
 * Local WLP cash: on a local chain the WLP at SSI_WLP_ADDRESS (the local stack sets it) gets USDC
 * from the test token faucet. The deploy grants no onboarding role: the participant and maker roles
 * are the admin key's to grant, through `ssi admin roles` (cli/roles.ts), which the local stack runs
 * for its own WLP and PMM once the contracts are up. The PMM funds itself (the simulator).
 */
export const fundLocalWlp: DeployStep = async (hre, deployment, log) => {
  const wlp = process.env.SSI_WLP_ADDRESS;
  const usdc = deployment.tokens.USDC;
  if (!wlp || !usdc || !['hardhat', 'localhost'].includes(hre.network.name)) {
    log('local WLP: not funded (a local chain, SSI_WLP_ADDRESS and USDC are needed)');
    return;
  }
  const token = await hre.ethers.getContractAt('TestToken', usdc.address);
  await (await token.mint(hre.ethers.getAddress(wlp), LOCAL_WLP_CASH * 10n ** BigInt(usdc.decimals))).wait();
  log(`local WLP: ${LOCAL_WLP_CASH} USDC to ${wlp}`);
};
