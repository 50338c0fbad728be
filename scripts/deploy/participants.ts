import { changeRole, type OnboardingRole, type RoleTransactionSender } from '../../cli/roles';
import type { DeployStep } from './deployments';

/** Local chains: USDC the WLP named by SSI_WLP_ADDRESS starts with (10 million). */
export const LOCAL_WLP_CASH = 10_000_000n;

/**
 * Participants stage: the maker role (Issuer and Rebalancer) for the PMM at SSI_PMM_ADDRESS and the
 * participant role (Issuer, and USSI when deployed) for the WLP at SSI_WLP_ADDRESS, each only when
 * its variable is set (the local stack sets both), through the code `ssi admin roles grant` runs
 * (cli/roles.ts); here the deployer, the contracts' default admin, sends the transactions, where
 * the command sends through the operator's KMS relayer. On a local chain the WLP also gets USDC
 * from the test token faucet. The PMM funds itself (the simulator).
 */
export const grantParticipants: DeployStep = async (hre, deployment, log) => {
  if (!deployment.contracts.issuer) throw new Error('participants step needs the issuer: run the index protocol step first');
  const [deployer] = await hre.ethers.getSigners();
  const send: RoleTransactionSender = async (tx) => {
    const receipt = await (await deployer!.sendTransaction({ to: tx.to, data: tx.data })).wait();
    return { txHash: receipt?.hash };
  };
  const granted: string[] = [];
  const grant = async (role: OnboardingRole, account: string) => {
    const changes = await changeRole(hre.ethers.provider, deployment, { role, account, grant: true, sender: deployer!.address }, send);
    granted.push(...changes.map((c) => `${c.role} on ${c.contract} for ${c.account}`));
  };
  const pmm = process.env.SSI_PMM_ADDRESS;
  if (pmm) await grant('maker', pmm);
  const wlp = process.env.SSI_WLP_ADDRESS;
  if (wlp) {
    await grant('participant', wlp);
    const usdc = deployment.tokens.USDC;
    if (usdc && ['hardhat', 'localhost'].includes(hre.network.name)) {
      const token = await hre.ethers.getContractAt('TestToken', usdc.address);
      await (await token.mint(hre.ethers.getAddress(wlp), LOCAL_WLP_CASH * 10n ** BigInt(usdc.decimals))).wait();
      granted.push(`${LOCAL_WLP_CASH} USDC to the WLP`);
    }
  }
  log(`participants: ${granted.length ? granted.join(', ') : 'none (SSI_PMM_ADDRESS and SSI_WLP_ADDRESS unset)'}`);
};
