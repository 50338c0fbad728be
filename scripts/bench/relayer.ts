import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Contract, ContractFactory, Interface, JsonRpcProvider, Wallet, type InterfaceAbi, type TransactionRequest } from 'ethers';
import { startKmsServer } from '../../infra/local/kms-server';
import { startDynamo, ensureTables } from '../../infra/local/dynamodb';
import { startChain } from '../../infra/local/chain';
import { localCredentials, LOCAL_REGION } from '../../infra/local/credentials';
import { KmsSigner } from '../../lambdas/signing/kms-signer';
import { Relayer } from '../../lambdas/relayer/relayer';
import { RelayerStore } from '../../lambdas/relayer/store';
import { emit, recordTable, type Measurement } from './measure';

/*
 * Throughput of operator signing and sending, on the local stack's real parts: the local KMS
 * endpoint (over HTTP, through @aws-sdk/client-kms), DynamoDB Local and a Hardhat node child
 * process mining a block every BLOCK_MS like a real chain.
 *
 * - signed transactions per second through KMS (KmsSigner.signTransaction: one KMS Sign call, DER
 *   decoding, low-s, recovery), one at a time and 16 in flight, beside an in-process ethers Wallet
 *   with the same key as the baseline without KMS;
 * - relayer actions per second: ACTIONS token transfers submitted at once from 1 and from 8
 *   relayer instances sharing one address, until all are sent and until all are mined.
 */

const SIGNATURES = 400;
const ACTIONS = 200;
const BLOCK_MS = 250;

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function rate(count: number, concurrency: number, work: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await work(next++);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return count / seconds;
}

const round = (value: number) => Math.round(value * 10) / 10;

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [kms, dynamo, chain] = await Promise.all([
    startKmsServer({ port: 0, highS: 'random' }),
    freePort().then((port) => startDynamo(port)),
    freePort().then((port) => startChain(port)),
  ]);
  const clients: Array<{ destroy(): void }> = [];
  try {
    const tables = await ensureTables(dynamo.endpoint, `bench${process.pid}`);
    const admin = new JsonRpcProvider(chain.rpcUrl, chain.chainId, { staticNetwork: true, cacheTimeout: -1 });
    clients.push(admin);
    const kmsClient = (): KMSClient => {
      const client = new KMSClient({ endpoint: kms.url, region: LOCAL_REGION, credentials: localCredentials });
      clients.push(client);
      return client;
    };
    const { KeyMetadata } = await kmsClient().send(new CreateKeyCommand({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY' }));
    const keyId = KeyMetadata!.KeyId!;
    const signer = new KmsSigner(kmsClient(), keyId);
    const address = await signer.getAddress();
    const wallet = new Wallet(kms.kms.store.keys.find((k) => k.keyId === keyId)!.privateKey);
    const rows: Measurement[] = [];
    const record = (row: Omit<Measurement, 'bench'>) => rows.push(emit({ bench: 'relayer', ...row }));

    const tx = (i: number): TransactionRequest => ({
      type: 2,
      chainId: chain.chainId,
      nonce: i,
      to: '0x9E6A46f294bB67c20F1D1E7AfB0bBEf614403B55',
      data: '0xa9059cbb',
      gasLimit: 60_000,
      maxFeePerGas: 2_000_000_000n,
      maxPriorityFeePerGas: 1_000_000_000n,
    });
    await signer.signTransaction(tx(0));
    for (const concurrency of [1, 16]) {
      record({ case: `KMS signer, ${concurrency} in flight`, metric: 'signed transactions', value: round(await rate(SIGNATURES, concurrency, (i) => signer.signTransaction(tx(i)))), unit: 'tx/s' });
    }
    record({ case: 'baseline: in-process ethers Wallet (no KMS)', metric: 'signed transactions', value: round(await rate(SIGNATURES, 1, (i) => wallet.signTransaction(tx(i)))), unit: 'tx/s' });

    const artifact = JSON.parse(readFileSync(resolve(__dirname, '../../artifacts/contracts/mocks/TestToken.sol/TestToken.json'), 'utf8')) as { abi: InterfaceAbi; bytecode: string };
    const deployer = await admin.getSigner(0);
    const token = (await (await new ContractFactory(artifact.abi, artifact.bytecode, deployer).deploy('Bench USD', 'BUSD', 6)).waitForDeployment()) as Contract;
    const tokenInterface = new Interface(artifact.abi);
    await admin.send('hardhat_setBalance', [address, '0x3635C9ADC5DEA00000']);
    await (await token.mint(address, 10n ** 18n)).wait();
    await admin.send('evm_setAutomine', [false]);
    await admin.send('evm_setIntervalMining', [BLOCK_MS]);

    const relayer = (): Relayer => {
      const documentClient = new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: localCredentials });
      const provider = new JsonRpcProvider(chain.rpcUrl, chain.chainId, { staticNetwork: true });
      clients.push(documentClient, provider);
      return new Relayer({
        signer: new KmsSigner(kmsClient(), keyId),
        provider,
        chainId: chain.chainId,
        store: new RelayerStore(DynamoDBDocumentClient.from(documentClient), { actions: tables['relayer-actions'], nonces: tables['relayer-nonces'] }),
        pollMs: BLOCK_MS,
        logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
      });
    };
    for (const instances of [1, 8]) {
      const relayers = Array.from({ length: instances }, relayer);
      const requests = Array.from({ length: ACTIONS }, (_, i) => ({
        key: `bench:${instances}:${i}:${randomUUID()}`,
        to: token.target as string,
        data: tokenInterface.encodeFunctionData('transfer', [Wallet.createRandom().address, 1n]),
      }));
      const started = Date.now();
      let sentAt = 0;
      let submitted = 0;
      const done = await Promise.all(
        requests.map(async (request, i) => {
          const instance = relayers[i % instances];
          await instance.submit(request);
          if (++submitted === ACTIONS) sentAt = Date.now();
          return instance.wait(request.key, { timeoutMs: 300_000 });
        }),
      );
      const minedAt = Date.now();
      const notMined = done.filter((d) => d.status !== 'mined').length;
      if (notMined) throw new Error(`${notMined} of ${ACTIONS} actions did not mine`);
      const label = `relayer, ${ACTIONS} actions at once, ${instances} instance${instances > 1 ? 's' : ''}`;
      record({ case: label, metric: 'submitted (signed and sent)', value: round((ACTIONS * 1000) / (sentAt - started)), unit: 'actions/s' });
      record({ case: label, metric: 'mined (end to end)', value: round((ACTIONS * 1000) / (minedAt - started)), unit: 'actions/s' });
    }

    recordTable('relayer', 'npm run bench:relayer', rows, [
      `- Local KMS endpoint over HTTP (same process), DynamoDB Local (in memory), Hardhat node child mining a block every ${BLOCK_MS} ms; ${SIGNATURES} signatures per signing case, ${ACTIONS} ERC-20 transfers per relayer case, ${cpus().length} cores shared with other work.`,
      '- Each relayer action: estimate, nonce reservation (DynamoDB transaction, group-committed per instance), KMS Sign, stored signed transaction, broadcast, then receipts settled by the waiting instances.',
      '- Real KMS adds a network round trip per Sign and has per-account request quotas for asymmetric signing; DynamoDB Local serialises work that DynamoDB spreads, so both directions differ from production: read these as relative figures.',
    ]);
  } finally {
    for (const client of clients) client.destroy();
    await Promise.all([kms.close(), dynamo.stop(), chain.stop()]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
