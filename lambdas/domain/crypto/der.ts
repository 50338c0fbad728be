/**
 * The two DER shapes KMS uses for secp256k1 keys: the SubjectPublicKeyInfo that GetPublicKey
 * returns and the ECDSA-Sig-Value that Sign returns. Both directions live here so the local KMS
 * endpoint and the KMS signer cannot disagree. No ASN.1 is written by hand: key documents go
 * through Node's crypto (OpenSSL) as JWK, signatures through @noble/curves' strict DER codec.
 */
import { createPublicKey } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1';

const base64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

export function encodeSpki(uncompressedPoint: Uint8Array): Buffer {
  if (uncompressedPoint.length !== 65 || uncompressedPoint[0] !== 0x04) throw new Error('expected a 65-byte uncompressed secp256k1 point');
  const jwk = { kty: 'EC', crv: 'secp256k1', x: base64url(uncompressedPoint.subarray(1, 33)), y: base64url(uncompressedPoint.subarray(33)) };
  return createPublicKey({ key: jwk, format: 'jwk' }).export({ format: 'der', type: 'spki' });
}

/** The 65-byte uncompressed point inside a secp256k1 SubjectPublicKeyInfo. */
export function decodeSpki(der: Uint8Array): Buffer {
  let jwk: { kty?: string; crv?: string; x?: string; y?: string };
  try {
    jwk = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' }).export({ format: 'jwk' });
  } catch {
    throw new Error('not a secp256k1 SubjectPublicKeyInfo');
  }
  if (jwk.kty !== 'EC' || jwk.crv !== 'secp256k1' || !jwk.x || !jwk.y) throw new Error('not a secp256k1 SubjectPublicKeyInfo');
  return Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
}

export function encodeDerSignature(r: bigint, s: bigint): Buffer {
  return Buffer.from(new secp256k1.Signature(r, s).toDERRawBytes());
}

/** r and s of a strict DER ECDSA-Sig-Value (minimal, non-negative integers in [1, n-1], no trailing bytes). */
export function decodeDerSignature(der: Uint8Array): { r: bigint; s: bigint } {
  try {
    const { r, s } = secp256k1.Signature.fromDER(Uint8Array.from(der));
    return { r, s };
  } catch (error) {
    throw new Error(`malformed DER signature: ${(error as Error).message}`);
  }
}
