import { createPublicKey, verify, createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KMSClient,
  CreateKeyCommand,
  GetPublicKeyCommand,
  SignCommand,
  DescribeKeyCommand,
  CreateAliasCommand,
  ListAliasesCommand,
  DisableKeyCommand,
  NotFoundException,
  DisabledException,
} from '@aws-sdk/client-kms';
import { computeAddress, recoverAddress, Signature } from 'ethers';
import { startKmsServer, type RunningKms } from '../../../infra/local/kms-server';
import { decodeDerSignature, decodeSpki } from '../../../lambdas/domain/crypto/der';

const SECP256K1_HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

function client(url: string): KMSClient {
  return new KMSClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
}

describe('the local KMS endpoint through @aws-sdk/client-kms', () => {
  let running: RunningKms;
  let kms: KMSClient;
  const dataDir = mkdtempSync(join(tmpdir(), 'ssi-kms-'));

  beforeAll(async () => {
    running = await startKmsServer({ port: 0, dataDir, highS: 'random' });
    kms = client(running.url);
  });
  afterAll(async () => {
    kms.destroy();
    await running.close();
  });

  async function createKey(): Promise<string> {
    const created = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY', Description: 'test' }));
    return created.KeyMetadata!.KeyId!;
  }

  test('GetPublicKey returns a DER SubjectPublicKeyInfo that a standard parser reads as a secp256k1 key', async () => {
    const keyId = await createKey();
    const answer = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
    expect(answer.KeySpec).toBe('ECC_SECG_P256K1');
    const publicKey = createPublicKey({ key: Buffer.from(answer.PublicKey!), format: 'der', type: 'spki' });
    expect(publicKey.asymmetricKeyDetails?.namedCurve).toBe('secp256k1');
  });

  test('Sign over a raw message returns a DER signature that verifies for the key with an independent verifier', async () => {
    const keyId = await createKey();
    const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
    const message = Buffer.from('reserve report 2026-11-21');
    const { Signature: der } = await kms.send(new SignCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }));
    const key = createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' });
    expect(verify('sha256', message, key, Buffer.from(der!))).toBe(true);
    expect(verify('sha256', Buffer.from('another message'), key, Buffer.from(der!))).toBe(false);
  });

  test('Sign over a digest recovers to the address of the public key, once s is normalised', async () => {
    const keyId = await createKey();
    const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
    const address = computeAddress(`0x${decodeSpki(PublicKey!).toString('hex')}`);
    const digest = createHash('sha256').update('an order').digest();
    let sawHighS = false;
    for (let i = 0; i < 24; i++) {
      const { Signature: der } = await kms.send(new SignCommand({ KeyId: keyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }));
      const { r, s } = decodeDerSignature(der!);
      sawHighS ||= s > SECP256K1_HALF_N;
      const lowS = s > SECP256K1_HALF_N ? 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n - s : s;
      const candidates = [27, 28].map((v) => recoverAddress(digest, Signature.from({ r: `0x${r.toString(16).padStart(64, '0')}`, s: `0x${lowS.toString(16).padStart(64, '0')}`, v })));
      expect(candidates).toContain(address);
    }
    expect(sawHighS).toBe(true);
  });

  test('aliases resolve to their key and keys survive a restart of the endpoint', async () => {
    const keyId = await createKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/ssi-test', TargetKeyId: keyId }));
    const before = await kms.send(new GetPublicKeyCommand({ KeyId: 'alias/ssi-test' }));
    await running.close();
    running = await startKmsServer({ port: 0, dataDir });
    kms.destroy();
    kms = client(running.url);
    const after = await kms.send(new GetPublicKeyCommand({ KeyId: 'alias/ssi-test' }));
    expect(Buffer.from(after.PublicKey!).equals(Buffer.from(before.PublicKey!))).toBe(true);
    const { Aliases } = await kms.send(new ListAliasesCommand({ KeyId: keyId }));
    expect(Aliases?.map((a) => a.AliasName)).toEqual(['alias/ssi-test']);
    const described = await kms.send(new DescribeKeyCommand({ KeyId: `arn:aws:kms:us-east-1:000000000000:alias/ssi-test` }));
    expect(described.KeyMetadata?.KeyId).toBe(keyId);
  });

  test('unknown and disabled keys answer with the AWS error types the SDK maps to exceptions', async () => {
    await expect(kms.send(new GetPublicKeyCommand({ KeyId: 'alias/none' }))).rejects.toBeInstanceOf(NotFoundException);
    const keyId = await createKey();
    await kms.send(new DisableKeyCommand({ KeyId: keyId }));
    await expect(
      kms.send(new SignCommand({ KeyId: keyId, Message: Buffer.alloc(32, 1), MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' })),
    ).rejects.toBeInstanceOf(DisabledException);
  });

  test('a digest of the wrong length is refused as a validation error', async () => {
    const keyId = await createKey();
    await expect(
      kms.send(new SignCommand({ KeyId: keyId, Message: Buffer.alloc(31, 1), MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });
});
