import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { Contract, ContractFactory, id, JsonRpcProvider, NonceManager, Wallet, type InterfaceAbi } from 'ethers';
import { startTestDynamo, freePort, type TestDynamo } from '../helpers/dynamo';
import { startAnvil, type RunningChain } from '../../infra/local/chain';
import { startKmsServer, type RunningKms } from '../../infra/local/kms-server';
import { localCredentials, LOCAL_REGION } from '../../infra/local/credentials';
import { kmsAddress } from '../../lambdas/signing/kms-public-key';
import { REBALANCE_MAX_WINDOW_SECONDS, REBALANCE_TOLERANCE_BPS } from '../../scripts/deploy/index-protocol';

const ROOT = path.resolve(__dirname, '../..');
/** anvil's dev account #0 (the "test test ... junk" mnemonic): deploys, and is no admin of anything. */
const DEPLOYER_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

const artifact = (file: string): { abi: InterfaceAbi; bytecode: string } => JSON.parse(readFileSync(path.join(ROOT, 'artifacts/contracts', file), 'utf8'));

/**
 * `ssi admin roles` on a real chain (anvil), the project's KMS endpoint and DynamoDB Local: the
 * relayer signs with the stack's operator key, which the test made the contracts' default admin.
 */
describe('ssi admin roles through the KMS relayer', () => {
  let dynamo: TestDynamo;
  let chain: RunningChain;
  let kms: RunningKms;
  let provider: JsonRpcProvider;
  let dataDir: string;
  let stackFile: Record<string, unknown>;
  let issuer: Contract;
  let rebalancer: Contract;
  const keys: Record<'operator' | 'outsider', { keyId: string; address: string }> = {} as never;

  const ssi = (args: string[]): Promise<{ status: number | null; out: any; stderr: string }> =>
    new Promise((done) => {
      const child = spawn(process.execPath, [path.join(ROOT, 'bin/ssi.js'), 'admin', 'roles', ...args, '--data', dataDir, '--json'], { cwd: ROOT, env: process.env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (status) => done({ status, out: stdout ? JSON.parse(stdout) : undefined, stderr }));
    });
  const useKey = (role: 'operator' | 'outsider') =>
    writeFileSync(path.join(dataDir, 'stack.json'), JSON.stringify({ ...stackFile, keys: { operator: { ...keys[role], alias: 'alias/ssi-operator' } } }));

  beforeAll(async () => {
    [dynamo, chain, kms] = await Promise.all([startTestDynamo('roles'), freePort().then((port) => startAnvil(port)), freePort().then((port) => startKmsServer({ port }))]);
    const client = new KMSClient({ endpoint: kms.url, region: LOCAL_REGION, credentials: localCredentials });
    for (const role of ['operator', 'outsider'] as const) {
      const made = await client.send(new CreateKeyCommand({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY' }));
      keys[role] = { keyId: made.KeyMetadata!.KeyId!, address: await kmsAddress(client, made.KeyMetadata!.KeyId!) };
    }
    client.destroy();
    provider = new JsonRpcProvider(chain.rpcUrl, undefined, { staticNetwork: true });
    for (const { address } of Object.values(keys)) await provider.send('anvil_setBalance', [address, '0x3635C9ADC5DEA00000']);

    const wallet = new Wallet(DEPLOYER_KEY, provider);
    const deployer = new NonceManager(wallet);
    const proxy = async (file: string, init: (c: Contract) => string): Promise<Contract> => {
      const { abi, bytecode } = artifact(file);
      const implementation = (await (await new ContractFactory(abi, bytecode, deployer).deploy()).waitForDeployment()) as Contract;
      const proxyArtifact = JSON.parse(readFileSync(path.join(ROOT, 'artifacts/@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol/ERC1967Proxy.json'), 'utf8'));
      const deployed = await (await new ContractFactory(proxyArtifact.abi, proxyArtifact.bytecode, deployer).deploy(await implementation.getAddress(), init(implementation))).waitForDeployment();
      return new Contract(await deployed.getAddress(), abi, provider);
    };
    issuer = await proxy('index/Issuer.sol/Issuer.json', (c) => c.interface.encodeFunctionData('initialize', [keys.operator.address, wallet.address]));
    rebalancer = await proxy('index/Rebalancer.sol/Rebalancer.json', (c) =>
      c.interface.encodeFunctionData('initialize', [keys.operator.address, issuer.target, REBALANCE_TOLERANCE_BPS, REBALANCE_MAX_WINDOW_SECONDS]),
    );

    dataDir = mkdtempSync(path.join(tmpdir(), 'ssi-roles-'));
    const deploymentFile = path.join(dataDir, 'localhost.json');
    writeFileSync(deploymentFile, JSON.stringify({ network: 'localhost', chainId: chain.chainId, contracts: { issuer: issuer.target, rebalancer: rebalancer.target }, tokens: {}, indexes: {} }));
    stackFile = { dataDir, dynamodb: dynamo.endpoint, tables: dynamo.tables, rpc: chain.rpcUrl, chainId: chain.chainId, kms: kms.url, deploymentFile };
    useKey('operator');
  }, 120_000);
  afterAll(async () => {
    provider?.destroy();
    await Promise.all([dynamo?.stop(), chain?.stop(), kms?.close()]);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('grant, grant again, list and revoke the maker role on the Issuer and the Rebalancer', async () => {
    const pmm = Wallet.createRandom().address;
    const granted = await ssi(['grant', '--role', 'maker', '--account', pmm.toLowerCase()]);
    expect(granted).toMatchObject({ status: 0, out: { ok: true, changes: [
      { contract: 'issuer', role: 'MAKER_ROLE', account: pmm, outcome: 'granted', txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) },
      { contract: 'rebalancer', role: 'MAKER_ROLE', account: pmm, outcome: 'granted' },
    ] } });
    expect(await issuer.hasRole(id('MAKER_ROLE'), pmm)).toBe(true);
    expect(await rebalancer.hasRole(id('MAKER_ROLE'), pmm)).toBe(true);
    // The transaction came from the operator's KMS key, through the relayer's book in DynamoDB.
    const receipt = await provider.getTransaction(granted.out.changes[0].txHash);
    expect(receipt?.from).toBe(keys.operator.address);

    expect((await ssi(['grant', '--role', 'maker', '--account', pmm])).out.changes.map((c: { outcome: string }) => c.outcome)).toEqual(['unchanged', 'unchanged']);
    expect((await ssi(['list', '--role', 'maker'])).out.holders).toEqual([
      expect.objectContaining({ contract: 'issuer', role: 'MAKER_ROLE', account: pmm }),
      expect.objectContaining({ contract: 'rebalancer', role: 'MAKER_ROLE', account: pmm }),
    ]);

    expect(await ssi(['revoke', '--role', 'maker', '--account', pmm])).toMatchObject({ status: 0, out: { changes: [{ outcome: 'revoked' }, { outcome: 'revoked' }] } });
    expect(await issuer.hasRole(id('MAKER_ROLE'), pmm)).toBe(false);
    expect((await ssi(['list'])).out.holders).toEqual([]);
  }, 180_000);

  test('the participant role lands on the contracts the deployment has (no USSI here)', async () => {
    const wlp = Wallet.createRandom().address;
    expect(await ssi(['grant', '--role', 'participant', '--account', wlp])).toMatchObject({ status: 0, out: { changes: [{ contract: 'issuer', role: 'PARTICIPANT_ROLE', outcome: 'granted' }] } });
    expect(await issuer.hasRole(id('PARTICIPANT_ROLE'), wlp)).toBe(true);
    expect((await ssi(['list', '--role', 'participant'])).out.holders).toEqual([expect.objectContaining({ account: wlp })]);
  }, 120_000);

  test('refusals: unknown role, bad address, a relayer key without the admin role', async () => {
    const account = Wallet.createRandom().address;
    expect(await ssi(['grant', '--role', 'custodian', '--account', account])).toMatchObject({ status: 1, out: { ok: false, error: expect.stringMatching(/unknown role "custodian": one of participant, maker/) } });
    expect(await ssi(['revoke', '--role', 'maker', '--account', '0x1234'])).toMatchObject({ status: 1, out: { error: expect.stringMatching(/--account is not an address: 0x1234/) } });

    useKey('outsider');
    try {
      const refused = await ssi(['grant', '--role', 'maker', '--account', account]);
      expect(refused).toMatchObject({ status: 1, out: { ok: false } });
      expect(refused.out.error).toContain(`the relayer key ${keys.outsider.address} lacks DEFAULT_ADMIN_ROLE (held by ${keys.operator.address}), the admin role of MAKER_ROLE on issuer`);
      expect(await issuer.hasRole(id('MAKER_ROLE'), account)).toBe(false);
    } finally {
      useKey('operator');
    }
  }, 120_000);
});
