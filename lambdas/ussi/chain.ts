/**
 * The USSI Lambdas' shared wiring: configuration, provider and contract, made once per container.
 */
import { getAddress, type Contract } from 'ethers';
import { chainProvider, chainTime } from '../shared/chain';
import { loadSettings } from '../shared/config';
import { ConfigError } from '../shared/errors';
import { ussiContract } from './contract';

export function ussiChain(env: NodeJS.ProcessEnv = process.env) {
  const config = loadSettings(['SSI_RPC_URL', 'SSI_CHAIN_ID', 'SSI_DEPLOYMENT'], env);
  const address = config.SSI_DEPLOYMENT.contracts.ussi;
  if (!address) throw new ConfigError('invalid configuration: the deployment has no ussi contract');
  const provider = chainProvider(config.SSI_RPC_URL, config.SSI_CHAIN_ID);
  const ussi: Contract = ussiContract(getAddress(address), provider);
  return { config, deployment: config.SSI_DEPLOYMENT, provider, ussi, address: getAddress(address), chainTime: () => chainTime(provider) };
}
