/**
 * The two DER shapes KMS uses for secp256k1 keys: the SubjectPublicKeyInfo that GetPublicKey
 * returns and the ECDSA-Sig-Value that Sign returns. Both directions live here so the local KMS
 * endpoint and the KMS signer cannot disagree.
 */

// SEQUENCE { SEQUENCE { OID ecPublicKey, OID secp256k1 }, BIT STRING (0 unused bits) } for a 65-byte point.
const SPKI_SECP256K1_PREFIX = Buffer.from('3056301006072a8648ce3d020106052b8104000a034200', 'hex');

export function encodeSpki(uncompressedPoint: Uint8Array): Buffer {
  if (uncompressedPoint.length !== 65 || uncompressedPoint[0] !== 0x04) throw new Error('expected a 65-byte uncompressed secp256k1 point');
  return Buffer.concat([SPKI_SECP256K1_PREFIX, uncompressedPoint]);
}

/** The 65-byte uncompressed point inside a secp256k1 SubjectPublicKeyInfo. */
export function decodeSpki(der: Uint8Array): Buffer {
  const bytes = Buffer.from(der);
  if (bytes.length !== SPKI_SECP256K1_PREFIX.length + 65 || !bytes.subarray(0, SPKI_SECP256K1_PREFIX.length).equals(SPKI_SECP256K1_PREFIX)) {
    throw new Error('not a secp256k1 SubjectPublicKeyInfo');
  }
  return bytes.subarray(SPKI_SECP256K1_PREFIX.length);
}

function derInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  // A leading 1 bit would read as negative: DER integers get a zero byte in front.
  if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
}

export function encodeDerSignature(r: bigint, s: bigint): Buffer {
  const body = Buffer.concat([derInteger(r), derInteger(s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

export function decodeDerSignature(der: Uint8Array): { r: bigint; s: bigint } {
  const bytes = Buffer.from(der);
  let offset = 0;
  const expect = (tag: number): number => {
    if (bytes[offset] !== tag) throw new Error(`malformed DER signature: expected tag 0x${tag.toString(16)} at ${offset}`);
    const length = bytes[offset + 1];
    if (length === undefined || length & 0x80) throw new Error('malformed DER signature: unsupported length');
    offset += 2;
    return length;
  };
  const total = expect(0x30);
  if (total + 2 !== bytes.length) throw new Error('malformed DER signature: length mismatch');
  const readInteger = (): bigint => {
    const length = expect(0x02);
    const value = bytes.subarray(offset, offset + length);
    if (value.length !== length || length === 0 || length > 33) throw new Error('malformed DER signature: bad integer');
    offset += length;
    return BigInt(`0x${value.toString('hex')}`);
  };
  const r = readInteger();
  const s = readInteger();
  if (offset !== bytes.length) throw new Error('malformed DER signature: trailing bytes');
  return { r, s };
}
