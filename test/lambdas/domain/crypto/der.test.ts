import { createPublicKey, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { SigningKey, Wallet, computeAddress } from 'ethers';
import { decodeDerSignature, decodeSpki, encodeDerSignature, encodeSpki } from '../../../../lambdas/domain/crypto/der';

describe('DER shapes KMS uses (lambdas/domain/crypto/der.ts)', () => {
  test('a SubjectPublicKeyInfo from OpenSSL decodes to the point ethers derives, and encodes back byte for byte', () => {
    for (let i = 0; i < 20; i++) {
      const wallet = Wallet.createRandom();
      const point = Buffer.from(new SigningKey(wallet.privateKey).publicKey.slice(2), 'hex');
      const spki = encodeSpki(point);
      const jwk = createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ format: 'jwk' });
      expect(jwk.crv).toBe('secp256k1');
      expect(decodeSpki(spki).equals(point)).toBe(true);
      expect(computeAddress(`0x${decodeSpki(spki).toString('hex')}`)).toBe(wallet.address);
    }
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    const der = publicKey.export({ format: 'der', type: 'spki' });
    expect(encodeSpki(decodeSpki(der)).equals(der)).toBe(true);
  });

  test('keys of other curves, truncated documents and compressed or foreign points are refused', () => {
    const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'der', type: 'spki' });
    expect(() => decodeSpki(p256)).toThrow(/not a secp256k1 SubjectPublicKeyInfo/);
    const good = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ format: 'der', type: 'spki' });
    expect(() => decodeSpki(good.subarray(0, good.length - 1))).toThrow(/not a secp256k1 SubjectPublicKeyInfo/);
    expect(() => encodeSpki(Buffer.alloc(33, 2))).toThrow(/65-byte uncompressed/);
    expect(() => encodeSpki(Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 0)]))).toThrow();
  });

  test('signatures OpenSSL writes in DER decode to the r and s it writes as IEEE P1363, and encode back identically', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    for (let i = 0; i < 200; i++) {
      const message = Buffer.from(`message ${i}`);
      const der = nodeSign('sha256', message, { key: privateKey, dsaEncoding: 'der' });
      const { r, s } = decodeDerSignature(der);
      expect(encodeDerSignature(r, s).equals(der)).toBe(true);
      const p1363 = nodeSign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
      expect(p1363).toHaveLength(64);
      // ECDSA with OpenSSL is randomized: check the shape of this one against its own round trip instead.
      const again = decodeDerSignature(encodeDerSignature(BigInt(`0x${p1363.subarray(0, 32).toString('hex')}`), BigInt(`0x${p1363.subarray(32).toString('hex')}`)));
      expect(again.r).toBe(BigInt(`0x${p1363.subarray(0, 32).toString('hex')}`));
    }
  });

  test('non-minimal, negative, zero, out-of-range and trailing-byte encodings are refused with a reason', () => {
    expect(decodeDerSignature(Buffer.from('3006020101020102', 'hex'))).toEqual({ r: 1n, s: 2n });
    for (const hex of [
      '300702020001020101', // leading zero that is not needed
      '3006020181020101', // negative integer
      '3006020100020101', // r = 0
      '300602010102010100', // trailing byte
      '3007020101020101', // length says more than there is
      '3106020101020101', // not a SEQUENCE
      `3026022100${'ff'.repeat(32)}020101`, // r >= n
    ]) {
      expect(() => decodeDerSignature(Buffer.from(hex, 'hex'))).toThrow(/malformed DER signature/);
    }
  });
});
