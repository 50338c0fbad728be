import { SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import {
  AbstractSigner,
  Signature,
  Transaction,
  TypedDataEncoder,
  copyRequest,
  getAddress,
  getBytes,
  hashAuthorization,
  hashMessage,
  hexlify,
  resolveAddress,
  toBeHex,
  type Authorization,
  type AuthorizationRequest,
  type BytesLike,
  type Provider,
  type TransactionLike,
  type TransactionRequest,
  type TypedDataDomain,
  type TypedDataField,
} from 'ethers';
import { SsiError } from '../shared/errors';
import { decodeDerSignature } from '../domain/crypto/der';
import { kmsAddress, kmsPublicKey } from './kms-public-key';
import { N as SECP256K1_N, verifyWithTable } from '../domain/crypto/secp256k1';

/** Ethereum only accepts s in the lower half of the group order (EIP-2). */
const SECP256K1_HALF_N = SECP256K1_N >> 1n;

export type KmsFailureCode =
  | 'kms_throttled'
  | 'kms_key_disabled'
  | 'kms_key_not_found'
  | 'kms_access_denied'
  | 'kms_unavailable'
  | 'kms_bad_signature'
  | 'kms_error';

/**
 * KMS could not sign (or tell the key's address). `code` says why in a stable form; the message
 * names the key and KMS's own words. Throttling and internal errors arrive here only after the
 * SDK's own retries ran out.
 */
export class KmsSignerError extends SsiError {
  constructor(
    message: string,
    readonly failure: KmsFailureCode,
    /** Whether the same request may succeed later without anyone changing the key. */
    readonly transient: boolean,
    cause?: unknown,
  ) {
    // API clients get a generic answer: the message names the key and KMS's own words.
    super(message, 503, failure, { cause, reply: { code: 'signing_unavailable', message: 'signing is unavailable; retry shortly' } });
  }
}

/** Maps an SDK error to a KmsSignerError that says what went wrong with which key. */
export function kmsFailure(error: unknown, keyId: string, operation: string): KmsSignerError {
  if (error instanceof KmsSignerError) return error;
  const name = (error as { name?: string }).name ?? 'Error';
  const detail = (error as Error).message ?? String(error);
  const say = (what: string) => `KMS ${operation} with key ${keyId} failed: ${what} (${name}: ${detail})`;
  switch (name) {
    case 'ThrottlingException':
    case 'LimitExceededException':
      return new KmsSignerError(say('throttled after the SDK retries'), 'kms_throttled', true, error);
    case 'DisabledException':
    case 'KMSInvalidStateException':
      return new KmsSignerError(say('the key is disabled or pending deletion'), 'kms_key_disabled', false, error);
    case 'NotFoundException':
      return new KmsSignerError(say('no such key'), 'kms_key_not_found', false, error);
    case 'AccessDeniedException':
      return new KmsSignerError(say('access denied'), 'kms_access_denied', false, error);
    case 'KMSInternalException':
    case 'DependencyTimeoutException':
    case 'KeyUnavailableException':
      return new KmsSignerError(say('KMS is unavailable'), 'kms_unavailable', true, error);
    default:
      // Connection failures (no HTTP answer at all) are as transient as a KMS outage.
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === undefined && !(error as { $fault?: string }).$fault) {
        return new KmsSignerError(say('KMS could not be reached'), 'kms_unavailable', true, error);
      }
      return new KmsSignerError(say('unexpected error'), 'kms_error', false, error);
  }
}

/**
 * An ethers v6 signer whose key lives in AWS KMS (ECC_SECG_P256K1, SIGN_VERIFY): no private key
 * ever exists outside KMS. Each signature is one KMS Sign call over the 32-byte digest
 * (MessageType DIGEST, ECDSA_SHA_256); KMS answers a DER ECDSA-Sig-Value whose s may be high,
 * which is folded into the lower half (EIP-2), and the recovery bit is the one under which the
 * signature checks against the key's public point (a precomputed table, no recovery). The key
 * comes from GetPublicKey once per key and container (see kms-public-key.ts).
 */
export class KmsSigner extends AbstractSigner {
  constructor(
    readonly kms: KMSClient,
    readonly keyId: string,
    provider: Provider | null = null,
  ) {
    super(provider);
  }

  connect(provider: Provider | null): KmsSigner {
    return new KmsSigner(this.kms, this.keyId, provider);
  }

  async getAddress(): Promise<string> {
    try {
      return await kmsAddress(this.kms, this.keyId);
    } catch (error) {
      throw kmsFailure(error, this.keyId, 'GetPublicKey');
    }
  }

  /** Signs a 32-byte digest with the KMS key: a canonical (low-s) signature with its recovery bit. */
  async signDigest(digest: BytesLike): Promise<Signature> {
    const bytes = getBytes(digest);
    if (bytes.length !== 32) throw new Error(`a digest is 32 bytes, not ${bytes.length}`);
    let key: Awaited<ReturnType<typeof kmsPublicKey>>;
    try {
      key = await kmsPublicKey(this.kms, this.keyId);
    } catch (error) {
      throw kmsFailure(error, this.keyId, 'GetPublicKey');
    }
    let der: Uint8Array | undefined;
    try {
      const answer = await this.kms.send(
        new SignCommand({ KeyId: this.keyId, Message: bytes, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }),
      );
      der = answer.Signature;
    } catch (error) {
      throw kmsFailure(error, this.keyId, 'Sign');
    }
    if (!der) throw new KmsSignerError(`KMS Sign with key ${this.keyId} returned no signature`, 'kms_bad_signature', false);
    let r: bigint;
    let s: bigint;
    try {
      ({ r, s } = decodeDerSignature(der));
    } catch (error) {
      throw new KmsSignerError(`KMS Sign with key ${this.keyId} returned ${(error as Error).message}`, 'kms_bad_signature', false, error);
    }
    if (s > SECP256K1_HALF_N) s = SECP256K1_N - s;
    const digestHex = hexlify(bytes);
    for (const v of [27, 28]) {
      const signature = Signature.from({ r: toBeHex(r, 32), s: toBeHex(s, 32), v });
      if (verifyWithTable(key.table, digestHex, signature.serialized)) return signature;
    }
    throw new KmsSignerError(`KMS Sign with key ${this.keyId} returned a signature that does not recover to ${key.address}`, 'kms_bad_signature', false);
  }

  async signTransaction(request: TransactionRequest): Promise<string> {
    const tx = copyRequest(request);
    const [to, from] = await Promise.all([
      tx.to == null ? undefined : resolveAddress(tx.to, this),
      tx.from == null ? undefined : resolveAddress(tx.from, this),
    ]);
    if (to != null) tx.to = to;
    if (from != null) {
      const address = await this.getAddress();
      if (getAddress(from) !== address) throw new Error(`transaction from ${from} does not match the KMS signer ${address}`);
      delete tx.from;
    }
    const unsigned = Transaction.from(tx as TransactionLike<string>);
    unsigned.signature = await this.signDigest(unsigned.unsignedHash);
    return unsigned.serialized;
  }

  async signMessage(message: string | Uint8Array): Promise<string> {
    return (await this.signDigest(hashMessage(message))).serialized;
  }

  async signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string> {
    const populated = await TypedDataEncoder.resolveNames(domain, types, value, async (name: string) => {
      if (!this.provider) throw new Error(`cannot resolve the name ${name} without a provider`);
      const address = await this.provider.resolveName(name);
      if (!address) throw new Error(`the name ${name} does not resolve`);
      return address;
    });
    return (await this.signDigest(TypedDataEncoder.hash(populated.domain, types, populated.value))).serialized;
  }

  /** EIP-7702 authorization, signed like a wallet's. */
  async authorize(request: AuthorizationRequest): Promise<Authorization> {
    const populated = await this.populateAuthorization({ ...request, address: await resolveAddress(request.address, this) });
    const address = getAddress(populated.address as string);
    const nonce = BigInt(populated.nonce ?? 0);
    const chainId = BigInt(populated.chainId ?? 0);
    const signature = await this.signDigest(hashAuthorization({ address, nonce, chainId }));
    return { address, nonce, chainId, signature };
  }
}
