import { GetPublicKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { computeAddress } from 'ethers';
import { decodeSpki } from '../domain/crypto/der';
import { FixedBaseTable, publicKeyPoint } from '../domain/crypto/secp256k1';

/** A KMS key's public half: its Ethereum address and a precomputed table of its point. */
export interface KmsPublicKey {
  readonly address: string;
  /** For telling a KMS signature's recovery bit without recovering (see KmsSigner.signDigest). */
  readonly table: FixedBaseTable;
}

const keys = new Map<string, Promise<KmsPublicKey>>();

/**
 * The public key of a KMS secp256k1 key, from its SubjectPublicKeyInfo. Fetched and derived once
 * per key for the container's life: a key's public half never changes, and GetPublicKey is a billed call.
 */
export function kmsPublicKey(kms: KMSClient, keyId: string): Promise<KmsPublicKey> {
  let key = keys.get(keyId);
  if (!key) {
    key = kms.send(new GetPublicKeyCommand({ KeyId: keyId })).then((answer) => {
      if (answer.KeySpec !== 'ECC_SECG_P256K1' || !answer.PublicKey) throw new Error(`KMS key ${keyId} is not an ECC_SECG_P256K1 key`);
      const point = `0x${decodeSpki(answer.PublicKey).toString('hex')}`;
      return { address: computeAddress(point), table: FixedBaseTable.build(publicKeyPoint(point)) };
    });
    key.catch(() => keys.delete(keyId));
    keys.set(keyId, key);
  }
  return key;
}

/** The Ethereum address of a KMS secp256k1 key (cached with its public key). */
export async function kmsAddress(kms: KMSClient, keyId: string): Promise<string> {
  return (await kmsPublicKey(kms, keyId)).address;
}
