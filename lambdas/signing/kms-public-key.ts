import { GetPublicKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { computeAddress } from 'ethers';
import { decodeSpki } from '../shared/der';

const addresses = new Map<string, Promise<string>>();

/**
 * The Ethereum address of a KMS secp256k1 key, from its SubjectPublicKeyInfo. Cached per key for
 * the container's life: a key's public half never changes, and GetPublicKey is a billed call.
 */
export function kmsAddress(kms: KMSClient, keyId: string): Promise<string> {
  let address = addresses.get(keyId);
  if (!address) {
    address = kms.send(new GetPublicKeyCommand({ KeyId: keyId })).then((answer) => {
      if (answer.KeySpec !== 'ECC_SECG_P256K1' || !answer.PublicKey) throw new Error(`KMS key ${keyId} is not an ECC_SECG_P256K1 key`);
      return computeAddress(`0x${decodeSpki(answer.PublicKey).toString('hex')}`);
    });
    address.catch(() => addresses.delete(keyId));
    addresses.set(keyId, address);
  }
  return address;
}
