import { loadConfig, settings, keyId } from '../shared/config';
import { httpHandler } from '../shared/http';
import { byRoute } from '../shared/router';
import { chainProvider } from '../shared/chain';
import { kms } from '../shared/aws';
import { kmsAddress } from '../signing/kms-public-key';
import { protocolInfo } from './protocol';

const config = loadConfig({ SSI_RPC_URL: settings.rpcUrl, SSI_CHAIN_ID: settings.chainId, SSI_DEPLOYMENT: settings.deployment });
const operatorKey = keyId('operator');
const provider = chainProvider(config.SSI_RPC_URL, config.SSI_CHAIN_ID);

export const handler = byRoute({
  'GET /v1/protocol': httpHandler({}, () =>
    protocolInfo({ provider, deployment: config.SSI_DEPLOYMENT, operatorAddress: () => kmsAddress(kms(), operatorKey) }),
  ),
});
