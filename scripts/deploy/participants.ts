import type { DeployStep } from './deployments';

/** Local chains: USDC the WLP named by SSI_WLP_ADDRESS starts with (10 million). */
export const LOCAL_WLP_CASH = 10_000_000n;

/**
 * Participants stage: MAKER_ROLE on the Issuer and the Rebalancer for the PMM at SSI_PMM_ADDRESS and
 * PARTICIPANT_ROLE for the WLP at SSI_WLP_ADDRESS (on the Issuer, and on USSI when `contracts.ussi` is
 * deployed), each only when its variable is set (the local stack sets both;
 * on a real network they are granted by the admin when a PMM or WLP is onboarded). On a local
 * chain the WLP also gets USDC from the test token faucet. The PMM funds itself (the simulator).
 */
export const grantParticipants: DeployStep = async (hre, deployment, log) => {
  const issuerAddress = deployment.contracts.issuer;
  if (!issuerAddress) throw new Error('participants step needs the issuer: run the index protocol step first');
  const issuer = await hre.ethers.getContractAt('Issuer', issuerAddress);
  const granted: string[] = [];
  const pmm = process.env.SSI_PMM_ADDRESS;
  if (pmm) {
    await (await issuer.grantRole(await issuer.MAKER_ROLE(), hre.ethers.getAddress(pmm))).wait();
    granted.push(`maker ${pmm}`);
    if (deployment.contracts.rebalancer) {
      // The same PMM signs rebalance orders (and fee sales).
      const rebalancer = await hre.ethers.getContractAt('Rebalancer', deployment.contracts.rebalancer);
      await (await rebalancer.grantRole(await rebalancer.MAKER_ROLE(), hre.ethers.getAddress(pmm))).wait();
      granted.push(`rebalance maker ${pmm}`);
    }
  }
  const wlp = process.env.SSI_WLP_ADDRESS;
  if (wlp) {
    await (await issuer.grantRole(await issuer.PARTICIPANT_ROLE(), hre.ethers.getAddress(wlp))).wait();
    granted.push(`participant ${wlp}`);
    const ussiAddress = deployment.contracts.ussi;
    if (ussiAddress) {
      const ussi = await hre.ethers.getContractAt('USSI', ussiAddress);
      await (await ussi.grantRole(await ussi.PARTICIPANT_ROLE(), hre.ethers.getAddress(wlp))).wait();
      granted.push('USSI participant');
    }
    const usdc = deployment.tokens.USDC;
    if (usdc && ['hardhat', 'localhost'].includes(hre.network.name)) {
      const token = await hre.ethers.getContractAt('TestToken', usdc.address);
      await (await token.mint(hre.ethers.getAddress(wlp), LOCAL_WLP_CASH * 10n ** BigInt(usdc.decimals))).wait();
      granted.push(`${LOCAL_WLP_CASH} USDC to the WLP`);
    }
  }
  log(`participants: ${granted.length ? granted.join(', ') : 'none (SSI_PMM_ADDRESS and SSI_WLP_ADDRESS unset)'}`);
};
