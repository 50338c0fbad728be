import fc from 'fast-check';
import { SigningKey, Wallet, recoverAddress } from 'ethers';
import { N, publicKeyAddress, recoverPublicKey } from '../../../../lambdas/domain/crypto/secp256k1';
import { makerSignatureProblem } from '../../../../lambdas/domain/quotes/signature';

const word = (value: bigint) => value.toString(16).padStart(64, '0');

/** What ethers' recoverAddress (ecrecover) says, or undefined when it throws. */
function ethersSigner(digest: string, signature: string): string | undefined {
  try {
    return recoverAddress(digest, signature);
  } catch {
    return undefined;
  }
}

describe('public key recovery on @noble/curves (differential against ethers)', () => {
  const keys = Array.from({ length: 3 }, () => Wallet.createRandom());
  const digest = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${Buffer.from(b).toString('hex')}`);

  test('recovers the address ethers recovers, and nothing where ethers finds nothing', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...keys),
        digest,
        digest,
        fc.constantFrom('none', 'v', 'digest', 'r', 's', 'r=0', 'r=n', 's=n', 'r=random'),
        fc.bigInt({ min: 1n, max: (1n << 256n) - 1n }),
        (key, d, other, tamper, random) => {
          const good = new SigningKey(key.privateKey).sign(d);
          let signature = good.serialized;
          let signed = d;
          const s = signature.slice(66, 130);
          const v = signature.slice(130);
          if (tamper === 'v') signature = signature.slice(0, 130) + (v === '1b' ? '1c' : '1b');
          if (tamper === 'digest') signed = other;
          if (tamper === 'r') signature = `0x${word(BigInt(good.r) ^ 1n)}${s}${v}`;
          if (tamper === 's') signature = `0x${signature.slice(2, 66)}${word(BigInt(good.s) ^ 1n)}${v}`;
          if (tamper === 'r=0') signature = `0x${word(0n)}${s}${v}`;
          if (tamper === 'r=n') signature = `0x${word(N)}${s}${v}`;
          if (tamper === 's=n') signature = `0x${signature.slice(2, 66)}${word(N)}${v}`;
          if (tamper === 'r=random') signature = `0x${word(random)}${s}${v}`;
          const key2 = recoverPublicKey(signed, signature);
          const expected = ethersSigner(signed, signature);
          expect(key2 ? publicKeyAddress(key2) : undefined).toBe(expected?.toLowerCase());
          if (tamper === 'none') expect(publicKeyAddress(key2!)).toBe(key.address.toLowerCase());
        },
      ),
      { numRuns: 400 },
    );
  });

  test('a digest that reduces to zero modulo n, v other than 27 or 28 and malformed input', () => {
    const key = keys[0];
    for (const d of [`0x${'00'.repeat(32)}`, `0x${word(N)}`]) {
      const signature = new SigningKey(key.privateKey).sign(d).serialized;
      expect(publicKeyAddress(recoverPublicKey(d, signature)!)).toBe(recoverAddress(d, signature).toLowerCase());
      expect(makerSignatureProblem(d, signature, key.address)).toBeUndefined();
    }
    const d = `0x${'11'.repeat(32)}`;
    const signature = new SigningKey(key.privateKey).sign(d).serialized;
    expect(recoverPublicKey(d, `${signature.slice(0, 130)}00`)).toBeUndefined();
    expect(recoverPublicKey(d, `${signature.slice(0, 130)}01`)).toBeUndefined();
    expect(recoverPublicKey(d, signature.slice(0, 100))).toBeUndefined();
    expect(recoverPublicKey('0x1234', signature)).toBeUndefined();
    expect(makerSignatureProblem(d, signature, keys[1].address)).toBe(`signature recovers to ${key.address}, not the maker ${keys[1].address}`);
  });
});
