import { KMSClient, CreateKeyCommand, DisableKeyCommand, SignCommand } from '@aws-sdk/client-kms';
import {
  JsonRpcProvider,
  Wallet,
  parseEther,
  verifyMessage,
  verifyTypedData,
  type TransactionRequest,
  type TypedDataField,
} from 'ethers';
import { startKmsServer, type HighSMode, type RunningKms } from '../../../infra/local/kms-server';
import { startChain, type RunningChain } from '../../../infra/local/chain';
import { decodeDerSignature } from '../../../lambdas/domain/crypto/der';
import { KmsSigner, KmsSignerError } from '../../../lambdas/signing/kms-signer';
import { freePort } from '../../helpers/dynamo';

const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

function kmsClient(url: string, maxAttempts = 3): KMSClient {
  return new KMSClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, maxAttempts });
}

async function createKey(kms: KMSClient): Promise<string> {
  const created = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY', Description: 'signer test' }));
  return created.KeyMetadata!.KeyId!;
}

/** The key's private half, read from the local endpoint's store: the reference to compare KMS signatures with. */
function referenceWallet(running: RunningKms, keyId: string): Wallet {
  const stored = running.kms.store.keys.find((k) => k.keyId === keyId);
  if (!stored) throw new Error(`no key ${keyId}`);
  return new Wallet(stored.privateKey);
}

const ORDER_TYPES: Record<string, TypedDataField[]> = {
  Order: [
    { name: 'maker', type: 'address' },
    { name: 'amount', type: 'uint256' },
    { name: 'deadline', type: 'uint64' },
    { name: 'basket', type: 'bytes32[]' },
  ],
};

let chain: RunningChain;
let provider: JsonRpcProvider;

beforeAll(async () => {
  chain = await startChain(await freePort());
  provider = new JsonRpcProvider(chain.rpcUrl, chain.chainId, { staticNetwork: true, cacheTimeout: -1 });
});

afterAll(async () => {
  provider?.destroy();
  await chain?.stop();
});

describe.each<HighSMode>(['always', 'never'])('the KMS signer when the endpoint answers %s with a high s', (highS) => {
  let running: RunningKms;
  let kms: KMSClient;

  beforeAll(async () => {
    running = await startKmsServer({ port: 0, highS });
    kms = kmsClient(running.url);
  });

  afterAll(async () => {
    kms.destroy();
    await running.close();
  });

  test('the endpoint really answers with the s this suite is about', async () => {
    const keyId = await createKey(kms);
    const { Signature: der } = await kms.send(
      new SignCommand({ KeyId: keyId, Message: Buffer.alloc(32, 7), MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }),
    );
    const { s } = decodeDerSignature(der!);
    expect(s > HALF_N).toBe(highS === 'always');
  });

  test('its address is the one of the key held by KMS', async () => {
    const keyId = await createKey(kms);
    const signer = new KmsSigner(kms, keyId);
    expect(await signer.getAddress()).toBe(referenceWallet(running, keyId).address);
  });

  test.each<[string, Partial<TransactionRequest>]>([
    ['legacy (EIP-155)', { type: 0 }],
    ['EIP-2930 access list', { type: 1, accessList: [] }],
    ['EIP-1559', { type: 2 }],
  ])('a %s transaction it signs is mined from the KMS address with a canonical signature', async (_name, shape) => {
    const keyId = await createKey(kms);
    const signer = new KmsSigner(kms, keyId, provider);
    const address = await signer.getAddress();
    await provider.send('hardhat_setBalance', [address, '0x56BC75E2D63100000']);
    const recipient = Wallet.createRandom().address;

    const response = await signer.sendTransaction({ ...shape, to: recipient, value: parseEther('1.5') });
    const receipt = await response.wait();

    expect(receipt?.status).toBe(1);
    expect(receipt?.from).toBe(address);
    expect(response.type).toBe(shape.type);
    expect(await provider.getBalance(recipient)).toBe(parseEther('1.5'));
    const mined = await provider.getTransaction(response.hash);
    expect(mined?.from).toBe(address);
    expect(BigInt(mined!.signature.s) <= HALF_N).toBe(true);
  });

  test('a signed transaction is byte-identical to the one a local wallet with the same key signs', async () => {
    const keyId = await createKey(kms);
    const signer = new KmsSigner(kms, keyId);
    const tx: TransactionRequest = {
      type: 2,
      chainId: 8453,
      nonce: 17,
      to: '0x9E6A46f294bB67c20F1D1E7AfB0bBEf614403B55',
      data: '0xa9059cbb',
      value: 0,
      gasLimit: 90_000,
      maxFeePerGas: 3_000_000_000n,
      maxPriorityFeePerGas: 1_000_000n,
    };
    expect(await signer.signTransaction({ ...tx, from: await signer.getAddress() })).toBe(await referenceWallet(running, keyId).signTransaction(tx));
  });

  test('a transaction claiming another sender is refused', async () => {
    const keyId = await createKey(kms);
    const signer = new KmsSigner(kms, keyId);
    await expect(signer.signTransaction({ to: Wallet.createRandom().address, from: Wallet.createRandom().address, chainId: 1, gasLimit: 21000, gasPrice: 1 })).rejects.toThrow(/does not match the KMS signer/);
  });

  test('a signed message verifies to the KMS address and matches the local wallet', async () => {
    const keyId = await createKey(kms);
    const signer = new KmsSigner(kms, keyId);
    const message = 'reserve report MAG7.ssi 2026-11-21';

    const signature = await signer.signMessage(message);

    expect(verifyMessage(message, signature)).toBe(await signer.getAddress());
    expect(signature).toBe(await referenceWallet(running, keyId).signMessage(message));
  });

  test('signed EIP-712 typed data verifies to the KMS address and matches the local wallet', async () => {
    const keyId = await createKey(kms);
    const signer = new KmsSigner(kms, keyId);
    const domain = { name: 'SSI', version: '1', chainId: 8453, verifyingContract: '0x3a46ed8FCeb6eF1ADA2E4600A522AE7e24D2Ed18' };
    const order = { maker: Wallet.createRandom().address, amount: 10n ** 18n, deadline: 1_900_000_000n, basket: [`0x${'ab'.repeat(32)}`] };

    const signature = await signer.signTypedData(domain, ORDER_TYPES, order);

    expect(verifyTypedData(domain, ORDER_TYPES, order, signature)).toBe(await signer.getAddress());
    expect(signature).toBe(await referenceWallet(running, keyId).signTypedData(domain, ORDER_TYPES, order));
  });

  test('an EIP-7702 authorization it signs matches the local wallet', async () => {
    const keyId = await createKey(kms);
    const signer = new KmsSigner(kms, keyId);
    const request = { address: '0x164ffdaE2fe3891714bc2968f1875ca4fA1079D0', nonce: 3n, chainId: 8453n };
    const authorization = await signer.authorize(request);
    const reference = await referenceWallet(running, keyId).authorize(request);
    expect(authorization.signature.serialized).toBe(reference.signature.serialized);
  });
});

describe('the KMS signer talking to KMS', () => {
  let running: RunningKms;

  beforeAll(async () => {
    running = await startKmsServer({ port: 0, highS: 'random' });
  });

  afterAll(async () => running.close());

  test('asks KMS for the public key once and then only signs', async () => {
    const kms = kmsClient(running.url);
    const keyId = await createKey(kms);
    const signer = new KmsSigner(kms, keyId);
    const before = running.kms.requestCount;

    for (let i = 0; i < 3; i++) await signer.signMessage(`message ${i}`);
    const afterFirst = running.kms.requestCount;
    await new KmsSigner(kms, keyId).signMessage('another signer object for the same key');

    expect(afterFirst - before).toBe(1 + 3);
    expect(running.kms.requestCount - afterFirst).toBe(1);
    kms.destroy();
  });

  test('throttling that outlasts the SDK retries surfaces as a clear kms_throttled failure', async () => {
    const kms = kmsClient(running.url, 2);
    const keyId = await createKey(kms);
    const signer = new KmsSigner(kms, keyId);
    await signer.getAddress();
    running.kms.injectFault({ operation: 'Sign', error: 'ThrottlingException', count: 2 });

    const failure = await signer.signMessage('throttled').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(KmsSignerError);
    expect(failure).toMatchObject({ failure: 'kms_throttled', transient: true });
    expect((failure as Error).message).toContain(keyId);
    await expect(signer.signMessage('after the throttling')).resolves.toMatch(/^0x[0-9a-f]{130}$/);
    kms.destroy();
  });

  test('a throttled request the SDK retries in time still signs', async () => {
    const kms = kmsClient(running.url, 3);
    const keyId = await createKey(kms);
    const signer = new KmsSigner(kms, keyId);
    await signer.getAddress();
    running.kms.injectFault({ operation: 'Sign', error: 'ThrottlingException', count: 1 });

    const signature = await signer.signMessage('retried');

    expect(verifyMessage('retried', signature)).toBe(await signer.getAddress());
    kms.destroy();
  });

  test('a disabled key surfaces as a kms_key_disabled failure', async () => {
    const kms = kmsClient(running.url);
    const keyId = await createKey(kms);
    const signer = new KmsSigner(kms, keyId);
    await signer.getAddress();
    await kms.send(new DisableKeyCommand({ KeyId: keyId }));

    await expect(signer.signMessage('disabled')).rejects.toMatchObject({ failure: 'kms_key_disabled', transient: false });
    kms.destroy();
  });

  test('an endpoint nobody answers on surfaces as kms_unavailable', async () => {
    const kms = kmsClient(`http://127.0.0.1:${await freePort()}`, 1);
    const signer = new KmsSigner(kms, 'alias/nowhere');
    await expect(signer.getAddress()).rejects.toMatchObject({ failure: 'kms_unavailable', transient: true });
    kms.destroy();
  });
});
