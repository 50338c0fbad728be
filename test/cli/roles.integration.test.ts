import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { Contract, ContractFactory, id, JsonRpcProvider, NonceManager, Wallet, type InterfaceAbi } from 'ethers';
import { startTestDynamo, freePort, type TestDynamo } from '../helpers/dynamo';
import { startAnvil, type RunningChain } from '../../infra/local/chain';
import { startKmsServer, type RunningKms } from '../../infra/local/kms-server';
import { localCredentials, LOCAL_REGION } from '../../infra/local/credentials';
import { kmsAddress } from '../../lambdas/signing/kms-public-key';
import { importSigningKey, LOCAL_DEPLOYER_KEY } from '../../infra/local/stack';
import { REBALANCE_MAX_WINDOW_SECONDS, REBALANCE_TOLERANCE_BPS } from '../../scripts/deploy/index-protocol';

const ROOT = path.resolve(__dirname, '../..');

const artifact = (file: string): { abi: InterfaceAbi; bytecode: string } => JSON.parse(readFileSync(path.join(ROOT, 'artifacts/contracts', file), 'utf8'));

/**
 * `ssi admin roles` on a real chain (anvil), the project's KMS endpoint and DynamoDB Local, set up as
 * the local stack sets itself up: anvil's account #0 deploys (so it is the contracts' default admin)
 * and the admin KMS key is made from its key through KMS's key import; the operator key, which
 * operates the contracts but is no admin, is refused.
 */
describe('ssi admin roles through the KMS relayer, signed by the admin key', () => {
  let dynamo: TestDynamo;
  let chain: RunningChain;
  let kms: RunningKms;
  let provider: JsonRpcProvider;
  let dataDir: string;
  let stackFile: Record<string, unknown>;
  let issuer: Contract;
  let rebalancer: Contract;
  const keys: Record<'admin' | 'operator', { keyId: string; address: string }> = {} as never;

  const ssi = (args: string[]): Promise<{ status: number | null; out: any; stderr: string }> =>
    new Promise((done) => {
      const child = spawn(process.execPath, [path.join(ROOT, 'bin/ssi.js'), 'admin', 'roles', ...args, '--data', dataDir, '--json'], { cwd: ROOT, env: process.env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (status) => done({ status, out: stdout ? JSON.parse(stdout) : undefined, stderr }));
    });
  /** stack.json as the local stack writes it, with `admin` standing for the key the stack's admin alias names. */
  const useAdminKey = (key: { keyId: string; address: string } | undefined) =>
    writeFileSync(path.join(dataDir, 'stack.json'), JSON.stringify({ ...stackFile, keys: { operator: { ...keys.operator, alias: 'alias/ssi-operator' }, ...(key ? { admin: { ...key, alias: 'alias/ssi-admin' } } : {}) } }));

  beforeAll(async () => {
    [dynamo, chain, kms] = await Promise.all([startTestDynamo('roles'), freePort().then((port) => startAnvil(port)), freePort().then((port) => startKmsServer({ port }))]);
    const client = new KMSClient({ endpoint: kms.url, region: LOCAL_REGION, credentials: localCredentials });
    const operator = (await client.send(new CreateKeyCommand({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.KeyId!;
    keys.operator = { keyId: operator, address: await kmsAddress(client, operator) };
    const admin = await importSigningKey(client, LOCAL_DEPLOYER_KEY, 'admin');
    keys.admin = { keyId: admin, address: await kmsAddress(client, admin) };
    client.destroy();
    provider = new JsonRpcProvider(chain.rpcUrl, undefined, { staticNetwork: true });
    for (const { address } of Object.values(keys)) await provider.send('anvil_setBalance', [address, '0x3635C9ADC5DEA00000']);

    const wallet = new Wallet(LOCAL_DEPLOYER_KEY, provider);
    // The imported key signs as the deployer: its address is the deployer's.
    expect(keys.admin.address).toBe(wallet.address);
    const deployer = new NonceManager(wallet);
    const proxy = async (file: string, init: (c: Contract) => string): Promise<Contract> => {
      const { abi, bytecode } = artifact(file);
      const implementation = (await (await new ContractFactory(abi, bytecode, deployer).deploy()).waitForDeployment()) as Contract;
      const proxyArtifact = JSON.parse(readFileSync(path.join(ROOT, 'artifacts/@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol/ERC1967Proxy.json'), 'utf8'));
      const deployed = await (await new ContractFactory(proxyArtifact.abi, proxyArtifact.bytecode, deployer).deploy(await implementation.getAddress(), init(implementation))).waitForDeployment();
      return new Contract(await deployed.getAddress(), abi, provider);
    };
    // As scripts/deploy does: the deployer is the default admin and the operator key gets OPERATOR_ROLE.
    issuer = await proxy('index/Issuer.sol/Issuer.json', (c) => c.interface.encodeFunctionData('initialize', [wallet.address, wallet.address]));
    rebalancer = await proxy('index/Rebalancer.sol/Rebalancer.json', (c) =>
      c.interface.encodeFunctionData('initialize', [wallet.address, issuer.target, REBALANCE_TOLERANCE_BPS, REBALANCE_MAX_WINDOW_SECONDS]),
    );
    for (const contract of [issuer, rebalancer]) await (await (contract.connect(deployer) as Contract).getFunction('grantRole')(id('OPERATOR_ROLE'), keys.operator.address)).wait();

    dataDir = mkdtempSync(path.join(tmpdir(), 'ssi-roles-'));
    const deploymentFile = path.join(dataDir, 'localhost.json');
    writeFileSync(deploymentFile, JSON.stringify({ network: 'localhost', chainId: chain.chainId, contracts: { issuer: issuer.target, rebalancer: rebalancer.target }, tokens: {}, indexes: {} }));
    stackFile = { dataDir, dynamodb: dynamo.endpoint, tables: dynamo.tables, rpc: chain.rpcUrl, chainId: chain.chainId, kms: kms.url, deploymentFile };
    useAdminKey(keys.admin);
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
    // The transaction came from the admin KMS key, through the relayer's book in DynamoDB.
    const receipt = await provider.getTransaction(granted.out.changes[0].txHash);
    expect(receipt?.from).toBe(keys.admin.address);
    const actions = await new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: localCredentials }).send(new ScanCommand({ TableName: dynamo.tables['relayer-actions'] }));
    expect(actions.Items?.map((item) => item.signer?.S)).toContain(keys.admin.address);

    expect((await ssi(['grant', '--role', 'maker', '--account', pmm])).out.changes.map((c: { outcome: string }) => c.outcome)).toEqual(['unchanged', 'unchanged']);
    expect((await ssi(['list', '--role', 'maker'])).out.holders).toEqual([
      expect.objectContaining({ contract: 'issuer', role: 'MAKER_ROLE', account: pmm }),
      expect.objectContaining({ contract: 'rebalancer', role: 'MAKER_ROLE', account: pmm }),
    ]);

    expect(await ssi(['revoke', '--role', 'maker', '--account', pmm])).toMatchObject({ status: 0, out: { changes: [{ outcome: 'revoked' }, { outcome: 'revoked' }] } });
    expect(await issuer.hasRole(id('MAKER_ROLE'), pmm)).toBe(false);
    expect((await ssi(['list'])).out.holders).toEqual([]);
  }, 180_000);

  test('grant, list and revoke the participant role on the contracts the deployment has (no USSI here)', async () => {
    const wlp = Wallet.createRandom().address;
    expect(await ssi(['grant', '--role', 'participant', '--account', wlp])).toMatchObject({ status: 0, out: { changes: [{ contract: 'issuer', role: 'PARTICIPANT_ROLE', outcome: 'granted' }] } });
    expect(await issuer.hasRole(id('PARTICIPANT_ROLE'), wlp)).toBe(true);
    expect((await ssi(['list', '--role', 'participant'])).out.holders).toEqual([expect.objectContaining({ account: wlp })]);
    expect(await ssi(['revoke', '--role', 'participant', '--account', wlp])).toMatchObject({ status: 0, out: { changes: [{ contract: 'issuer', role: 'PARTICIPANT_ROLE', outcome: 'revoked' }] } });
    expect(await issuer.hasRole(id('PARTICIPANT_ROLE'), wlp)).toBe(false);
    expect((await ssi(['list', '--role', 'participant'])).out.holders).toEqual([]);
  }, 120_000);

  test('refusals: unknown role, bad address, a key without authority (the operator key), a stack without an admin key', async () => {
    const account = Wallet.createRandom().address;
    expect(await ssi(['grant', '--role', 'custodian', '--account', account])).toMatchObject({ status: 1, out: { ok: false, error: expect.stringMatching(/unknown role "custodian": one of participant, maker/) } });
    expect(await ssi(['revoke', '--role', 'maker', '--account', '0x1234'])).toMatchObject({ status: 1, out: { error: expect.stringMatching(/--account is not an address: 0x1234/) } });

    // The operator key operates the contracts (OPERATOR_ROLE) but may not onboard anyone.
    useAdminKey(keys.operator);
    try {
      const refused = await ssi(['grant', '--role', 'maker', '--account', account]);
      expect(refused).toMatchObject({ status: 1, out: { ok: false } });
      expect(refused.out.error).toContain(`the relayer key ${keys.operator.address} lacks DEFAULT_ADMIN_ROLE (held by ${keys.admin.address}), the admin role of MAKER_ROLE on issuer`);
      expect(await issuer.hasRole(id('MAKER_ROLE'), account)).toBe(false);

      useAdminKey(undefined);
      expect((await ssi(['grant', '--role', 'maker', '--account', account])).out.error).toMatch(/has no admin key: restart it \(npm start\) so it creates alias\/ssi-admin/);
    } finally {
      useAdminKey(keys.admin);
    }
  }, 120_000);

  // Last: it moves the contracts' default admin away from the deployer.
  test('a multisig hands the default admin to a stage\'s admin key: begin, one day, ssi admin roles accept-admin; then that key grants', async () => {
    const deployer = new NonceManager(new Wallet(LOCAL_DEPLOYER_KEY, provider));
    const newAdmin = keys.operator; // stands for a stage's admin key whose contracts' admin is a multisig
    useAdminKey(newAdmin);
    try {
      expect((await ssi(['accept-admin'])).out.error).toContain(`no default admin handover to ${newAdmin.address} is pending`);
      for (const contract of [issuer, rebalancer]) await (await (contract.connect(deployer) as Contract).getFunction('beginDefaultAdminTransfer')(newAdmin.address)).wait();
      expect((await ssi(['accept-admin'])).out.error).toMatch(/the handover to 0x[0-9a-fA-F]{40} can be accepted from /);
      await provider.send('evm_increaseTime', [86_401]);
      await provider.send('evm_mine', []);
      expect(await ssi(['accept-admin'])).toMatchObject({ status: 0, out: { accepted: [{ contract: 'issuer', outcome: 'accepted' }, { contract: 'rebalancer', outcome: 'accepted' }] } });
      expect(await issuer.defaultAdmin()).toBe(newAdmin.address);
      expect(await rebalancer.defaultAdmin()).toBe(newAdmin.address);
      expect((await ssi(['accept-admin'])).out.accepted.map((a: { outcome: string }) => a.outcome)).toEqual(['unchanged', 'unchanged']);

      const pmm = Wallet.createRandom().address;
      const granted = await ssi(['grant', '--role', 'maker', '--account', pmm]);
      expect(granted).toMatchObject({ status: 0, out: { changes: [{ outcome: 'granted' }, { outcome: 'granted' }] } });
      expect((await provider.getTransaction(granted.out.changes[0].txHash))?.from).toBe(newAdmin.address);
    } finally {
      useAdminKey(keys.admin);
    }
  }, 300_000);
});
