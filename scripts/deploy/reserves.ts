import type { Contract } from 'ethers';
import type { DeployStep } from './deployments';

/**
 * Proof-of-reserve roles: the reserve-report signer (`deployment.signers.reserve`, the KMS key on
 * the local stack) publishes to the ReserveRegistry, and the operator signer
 * (`deployment.signers.operator`) may trip and clear the per-index mint breaker on the Issuer
 * (`setMintPaused`, OPERATOR_ROLE). Runs after the index protocol and staking steps.
 */
export const deployReserveRoles: DeployStep = async (hre, deployment, log) => {
  const at = async (name: string, key: string): Promise<Contract> => {
    const address = deployment.contracts[key];
    if (!address) throw new Error(`deployReserveRoles needs contracts.${key}: run its step first`);
    return (await hre.ethers.getContractAt(name, address)) as unknown as Contract;
  };
  const registry = await at('ReserveRegistry', 'reserveRegistry');
  const issuer = await at('Issuer', 'issuer');
  const grant = async (contract: Contract, account: string | undefined): Promise<void> => {
    if (!account) return;
    const role = (await contract.getFunction('OPERATOR_ROLE')()) as string;
    if (!((await contract.getFunction('hasRole')(role, account)) as boolean)) {
      await (await contract.getFunction('grantRole')(role, account)).wait();
    }
  };
  await grant(registry, deployment.signers.reserve);
  await grant(issuer, deployment.signers.operator);
  log(`reserves: registry operator ${deployment.signers.reserve}, issuer operator (mint breaker) ${deployment.signers.operator}`);
};
