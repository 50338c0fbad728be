import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { KMSClient, CreateKeyCommand } from '@aws-sdk/client-kms';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Contract, ContractFactory, Interface, JsonRpcProvider, type InterfaceAbi } from 'ethers';
import { startKmsServer, type HighSMode, type RunningKms } from '../../infra/local/kms-server';
import { startChain, type RunningChain } from '../../infra/local/chain';
import { localCredentials, LOCAL_REGION } from '../../infra/local/credentials';
import { KmsSigner } from '../../lambdas/signing/kms-signer';
import { Relayer, type RelayerOptions } from '../../lambdas/relayer/relayer';
import { RelayerStore } from '../../lambdas/relayer/store';
import { freePort, startTestDynamo, type TestDynamo } from './dynamo';

const ROOT = resolve(__dirname, '../..');

const quietLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The real parts a relayer runs against, started once per test file: DynamoDB Local with the
 * declared tables, the local KMS endpoint, a Hardhat node child process and a TestToken on it.
 */
export interface World {
  readonly dynamo: TestDynamo;
  readonly kms: RunningKms;
  readonly chain: RunningChain;
  /** A provider for the test itself (no request cache), to look at the chain and steer mining. */
  readonly admin: JsonRpcProvider;
  readonly token: Contract;
  readonly tokenInterface: Interface;
  /** A fresh KMS key whose address holds 1000 ETH and 1,000,000 TUSD (6 decimals). */
  newSigner(): Promise<{ keyId: string; address: string }>;
  /** A relayer with its own KMS, DynamoDB and JSON-RPC clients, as a separate Lambda would have. */
  relayer(keyId: string, options?: Partial<Omit<RelayerOptions, 'signer' | 'provider' | 'store'>> & { rpcUrl?: string; kmsUrl?: string; kmsAttempts?: number }): Relayer;
  /** A store with its own DynamoDB client, for looking at records. */
  store(): RelayerStore;
  /** A started Proxy in front of `upstream`, stopped with the world. */
  proxy(upstream: string, operationOf: (request: IncomingMessage, body: Buffer) => string): Promise<Proxy>;
  stop(): Promise<void>;
}

export async function startWorld(options: { highS?: HighSMode } = {}): Promise<World> {
  const [dynamo, kms, chain] = await Promise.all([startTestDynamo(), startKmsServer({ port: 0, highS: options.highS ?? 'random' }), freePort().then(startChain)]);
  const admin = new JsonRpcProvider(chain.rpcUrl, chain.chainId, { staticNetwork: true, cacheTimeout: -1 });
  const artifact = JSON.parse(readFileSync(resolve(ROOT, 'artifacts/contracts/mocks/TestToken.sol/TestToken.json'), 'utf8')) as { abi: InterfaceAbi; bytecode: string };
  const deployer = await admin.getSigner(0);
  const token = (await (await new ContractFactory(artifact.abi, artifact.bytecode, deployer).deploy('Test USD', 'TUSD', 6)).waitForDeployment()) as Contract;
  const tokenInterface = new Interface(artifact.abi);
  const closers: Array<() => void | Promise<void>> = [];
  const setupKms = new KMSClient({ endpoint: kms.url, region: LOCAL_REGION, credentials: localCredentials });

  const documentClient = (): DynamoDBDocumentClient => {
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: localCredentials });
    closers.push(() => client.destroy());
    return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  };
  const tables = { actions: dynamo.tables['relayer-actions'], nonces: dynamo.tables['relayer-nonces'] };

  return {
    dynamo,
    kms,
    chain,
    admin,
    token,
    tokenInterface,
    async newSigner() {
      const created = await setupKms.send(new CreateKeyCommand({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY', Description: 'relayer test' }));
      const keyId = created.KeyMetadata!.KeyId!;
      const address = await new KmsSigner(setupKms, keyId).getAddress();
      await admin.send('hardhat_setBalance', [address, '0x3635C9ADC5DEA00000']);
      const mint = await (token.connect(deployer) as Contract).mint(address, 1_000_000n * 10n ** 6n);
      await mineWhilePending(admin, mint.hash as string);
      return { keyId, address };
    },
    relayer(keyId, extra = {}) {
      const { rpcUrl, kmsUrl, kmsAttempts, ...rest } = extra;
      const kmsClient = new KMSClient({ endpoint: kmsUrl ?? kms.url, region: LOCAL_REGION, credentials: localCredentials, maxAttempts: kmsAttempts ?? 2 });
      const provider = new JsonRpcProvider(rpcUrl ?? chain.rpcUrl, chain.chainId, { staticNetwork: true });
      closers.push(() => kmsClient.destroy(), () => provider.destroy());
      return new Relayer({
        signer: new KmsSigner(kmsClient, keyId),
        provider,
        chainId: chain.chainId,
        store: new RelayerStore(documentClient(), tables),
        errors: tokenInterface,
        logger: quietLog,
        pollMs: 100,
        ...rest,
      });
    },
    store() {
      return new RelayerStore(documentClient(), tables);
    },
    async proxy(upstream, operationOf) {
      const proxy = await new Proxy(upstream, operationOf).start();
      closers.push(() => {
        proxy.release();
        return proxy.stop();
      });
      return proxy;
    },
    async stop() {
      for (const close of closers.reverse()) await close();
      setupKms.destroy();
      admin.destroy();
      kms.server.closeAllConnections();
      await Promise.all([dynamo.stop(), kms.close(), chain.stop()]);
    },
  };
}

/** Waits for a transaction's receipt, mining a block now and then when the chain does not mine on its own. */
export async function mineWhilePending(provider: JsonRpcProvider, hash: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await provider.getTransactionReceipt(hash)) return;
    if (i % 5 === 4) await provider.send('evm_mine', []);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`transaction ${hash} was not mined`);
}

/** The chain's count of mined transactions from `address`. */
export async function chainNonce(provider: JsonRpcProvider, address: string): Promise<number> {
  return Number(await provider.send('eth_getTransactionCount', [address, 'latest']));
}

/**
 * An HTTP proxy in front of a local endpoint that a test can take down (connections refused),
 * bring back on the same port, and tell to hold or fail requests of one operation.
 */
export class Proxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private held: Array<() => void> = [];
  private holding?: string;
  private failing?: { operation: string; status: number; body: string };
  port = 0;

  constructor(
    private readonly upstream: string,
    /** Names the operation of a request: the JSON-RPC method, or the KMS X-Amz-Target operation. */
    private readonly operationOf: (request: IncomingMessage, body: Buffer) => string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const server = createServer((request, response) => void this.handle(request, response));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((done) => server.listen(this.port, '127.0.0.1', () => done()));
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : this.port;
    this.server = server;
    return this;
  }

  /** Refuses connections from now on, cutting the ones open. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((done) => server.close(() => done()));
  }

  /** Requests of `operation` wait until release() (or forever). */
  hold(operation: string): void {
    this.holding = operation;
  }

  /** Lets held requests go on (to the upstream, or failed as set by failWith). */
  release(): void {
    this.holding = undefined;
    const held = this.held;
    this.held = [];
    for (const go of held) go();
  }

  get heldCount(): number {
    return this.held.length;
  }

  /** Answers requests of `operation` with this status and body instead of forwarding them; undefined stops it. */
  failWith(failure?: { operation: string; status: number; body: unknown }): void {
    this.failing = failure && { ...failure, body: JSON.stringify(failure.body) };
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const operation = this.operationOf(request, body);
    if (this.holding === operation) await new Promise<void>((go) => this.held.push(go));
    if (this.failing?.operation === operation) {
      response.writeHead(this.failing.status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(this.failing.body);
      return;
    }
    const target = new URL(this.upstream);
    const forward = httpRequest(
      { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: { ...request.headers, host: target.host } },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forward.on('error', () => response.destroy());
    forward.end(body);
  }
}

export const rpcOperation = (_request: IncomingMessage, body: Buffer): string => {
  try {
    return String((JSON.parse(body.toString()) as { method?: string }).method);
  } catch {
    return '';
  }
};

export const kmsOperation = (request: IncomingMessage): string => String(request.headers['x-amz-target'] ?? '').replace('TrentService.', '');

/** The world's test token, its transfer calldata and balances, as every relayer test uses them. */
export const tokenAddress = (world: World): string => world.token.target as string;
export const transferData = (world: World, to: string, amount: bigint): string => world.tokenInterface.encodeFunctionData('transfer', [to, amount]);
export const tokenBalance = async (world: World, who: string): Promise<bigint> =>
  BigInt(await world.admin.call({ to: tokenAddress(world), data: world.tokenInterface.encodeFunctionData('balanceOf', [who]) }));
