import fc from 'fast-check';
import { Wallet, SigningKey, keccak256, recoverAddress, getAddress } from 'ethers';
import { AmountError, formatAmount, parseAmount, toFixedPoint } from '../../../../lambdas/domain/quotes/amounts';
import { cashToUsd, deviationBps, indexUnitsFor, navPerToken, PricingError, usdToCash, valueLegs, type AssetInfo, type ReferencePrice } from '../../../../lambdas/domain/quotes/nav';
import { QuoteOrderHasher } from '../../../../lambdas/domain/quotes/order-hash';
import { FixedBaseTable, N, publicKeyPoint, sign, signMany, verifyWithTable } from '../../../../lambdas/domain/crypto/secp256k1';
import { MakerSignatures, makerSignatureProblem } from '../../../../lambdas/domain/quotes/signature';
import { hashQuoteOrder, issuerDomain, Side, type QuoteOrder } from '../../../../lambdas/domain/orders';

const hex = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => `0x${Buffer.from(b).toString('hex')}`);
const address = hex(20).map((a) => getAddress(a));
const uint256 = fc.bigInt({ min: 0n, max: (1n << 256n) - 1n });

describe('amounts', () => {
  test('parses plain decimals into smallest units and formats them back', () => {
    expect(parseAmount('1.5', 18)).toBe(1_500_000_000_000_000_000n);
    expect(parseAmount('0.000001', 6)).toBe(1n);
    expect(parseAmount('1000', 6)).toBe(1_000_000_000n);
    expect(formatAmount(1_500_000_000_000_000_000n, 18)).toBe('1.5');
    expect(formatAmount(1_000_000_000n, 6)).toBe('1000');
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 29n }), fc.integer({ min: 0, max: 30 }), (units, decimals) => {
        expect(parseAmount(formatAmount(units, decimals), decimals)).toBe(units);
      }),
    );
  });

  test.each(['1e18', '-1', '+1', '1.', '.5', '01', '1,5', '0x10', ' 1', 'NaN', 'Infinity', '１'])('refuses %j', (text) => {
    expect(() => parseAmount(text, 18)).toThrow(AmountError);
  });

  test('refuses more fraction digits than the token has', () => {
    expect(() => parseAmount('1.0000001', 6)).toThrow(/more than 6 decimal places/);
  });

  test('turns prices into exact fixed point from their shortest decimal form', () => {
    expect(toFixedPoint(7.13e-6)).toBe(7_130_000_000_000n);
    expect(toFixedPoint(111466.2)).toBe(111_466_200_000_000_000_000_000n);
    expect(toFixedPoint(1)).toBe(10n ** 18n);
    expect(toFixedPoint(0.1, 6)).toBe(100_000n);
    expect(() => toFixedPoint(Number.NaN)).toThrow(AmountError);
    expect(() => toFixedPoint(-1)).toThrow(AmountError);
  });
});

describe('NAV', () => {
  const btc: AssetInfo = { address: '0x0000000000000000000000000000000000000001', symbol: 'BTC', decimals: 8 };
  const eth: AssetInfo = { address: '0x0000000000000000000000000000000000000002', symbol: 'ETH', decimals: 18 };
  const usdc: AssetInfo = { address: '0x0000000000000000000000000000000000000003', symbol: 'USDC', decimals: 6 };
  const price = (symbol: string, priceUsd: number): ReferencePrice => ({ symbol, priceUsd, source: 'fixed', observedOn: '2025-10-25', ageDays: 0 });
  const prices: Record<string, ReferencePrice> = { BTC: price('BTC', 100_000), ETH: price('ETH', 4_000), USDC: price('USDC', 1) };
  const info = (a: string) => [btc, eth, usdc].find((x) => x.address === a)!;

  test('values each asset in its own decimals', () => {
    // 0.005 BTC (8 decimals) + 0.125 ETH (18 decimals) per index token = 500 + 500 USD
    const tokenset = { assets: [btc.address, eth.address], unitAmounts: [500_000n, 125n * 10n ** 15n] };
    expect(navPerToken(tokenset, info, (s) => prices[s])).toBe(1000n * 10n ** 18n);
    expect(usdToCash(1000n * 10n ** 18n, usdc, prices.USDC)).toBe(1_000_000_000n);
    expect(cashToUsd(1_000_000_000n, usdc, prices.USDC)).toBe(1000n * 10n ** 18n);
    expect(indexUnitsFor(1500n * 10n ** 18n, 1000n * 10n ** 18n)).toBe(1_500_000_000_000_000_000n);
  });

  test('names the asset it has no price for', () => {
    expect(() => valueLegs({ assets: [btc.address], amounts: [1n] }, info, () => undefined)).toThrow(new PricingError('no reference price for BTC', 'BTC'));
  });

  test('measures deviation in basis points, signed', () => {
    expect(deviationBps(1010n, 1000n)).toBe(100);
    expect(deviationBps(990n, 1000n)).toBe(-100);
    expect(deviationBps(1_000_150n, 1_000_000n)).toBe(1.5);
  });
});

describe('quote order hashing', () => {
  const order = fc.record({
    index: address,
    side: fc.constantFrom(Side.Mint, Side.Redeem),
    indexAmount: uint256,
    legs: fc.array(fc.tuple(address, uint256), { minLength: 0, maxLength: 8 }),
    cashToken: address,
    cashAmount: uint256,
    maker: address,
    requester: address,
    deadline: uint256,
    nonce: uint256,
  });

  test('the prepared hasher gives the EIP-712 digest of hashQuoteOrder for any order', () => {
    fc.assert(
      fc.property(order, fc.integer({ min: 1, max: 100_000 }), address, (o, chainId, issuer) => {
        const domain = issuerDomain(chainId, issuer);
        const full: QuoteOrder = { ...o, assets: o.legs.map((l) => l[0]), amounts: o.legs.map((l) => l[1]) };
        expect(new QuoteOrderHasher(domain).hash(full)).toBe(hashQuoteOrder(domain, full));
      }),
      { numRuns: 200 },
    );
  });

  test('one hasher reused across orders with the same assets (its cached asset hash) still matches', () => {
    const domain = issuerDomain(31337, '0x00000000000000000000000000000000000000AA');
    const hasher = new QuoteOrderHasher(domain);
    fc.assert(
      fc.property(order, fc.array(address, { minLength: 1, maxLength: 3 }), (o, assets) => {
        for (const amounts of [assets.map(() => o.indexAmount), assets.map(() => o.cashAmount)]) {
          const full: QuoteOrder = { ...o, assets, amounts };
          expect(hasher.hash(full)).toBe(hashQuoteOrder(domain, full));
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('secp256k1 signature checks', () => {
  const keys = Array.from({ length: 3 }, () => Wallet.createRandom());
  const tables = new Map(keys.map((k) => [k.address, FixedBaseTable.build(publicKeyPoint(new SigningKey(k.privateKey).publicKey))]));
  const digest = hex(32);

  test('a key table refuses points off the curve and checks digests that reduce to zero as ecrecover does', () => {
    expect(() => publicKeyPoint(`0x04${'00'.repeat(32)}${'07'.padStart(64, '0')}`)).toThrow(RangeError);
    expect(() => publicKeyPoint('0x02abcd')).toThrow(TypeError);
    for (const d of [`0x${'00'.repeat(32)}`, `0x${N.toString(16)}`]) {
      const signature = new SigningKey(keys[0].privateKey).sign(d).serialized;
      expect(recoverAddress(d, signature)).toBe(keys[0].address);
      expect(verifyWithTable(tables.get(keys[0].address)!, d, signature)).toBe(true);
      expect(verifyWithTable(tables.get(keys[1].address)!, d, signature)).toBe(false);
    }
  });

  test('the signer reproduces ethers signatures byte for byte (RFC 6979, low s)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...keys), digest, (key, d) => {
        expect(sign(key.privateKey, d)).toBe(new SigningKey(key.privateKey).sign(d).serialized);
      }),
      { numRuns: 100 },
    );
  });

  test('signing a batch gives each digest the signature signing it alone gives', () => {
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.array(digest, { minLength: 0, maxLength: 12 }), (key, digests) => {
        expect(signMany(key.privateKey, digests)).toEqual(digests.map((d) => new SigningKey(key.privateKey).sign(d).serialized));
      }),
      { numRuns: 40 },
    );
    expect(() => signMany(`0x${'00'.repeat(32)}`, [keccak256('0x01')])).toThrow(RangeError);
  });

  test('verification against a key table accepts exactly what ecrecover attributes to that key', () => {
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.constantFrom(...keys), digest, digest, fc.constantFrom('none', 'v', 'digest', 'r', 's'), (signer, expected, d, other, tamper) => {
        let signature = new SigningKey(signer.privateKey).sign(d).serialized;
        let signed = d;
        if (tamper === 'v') signature = signature.slice(0, 130) + (signature.endsWith('1b') ? '1c' : '1b');
        if (tamper === 'digest') signed = other;
        if (tamper === 'r') signature = `0x${(BigInt(signature.slice(0, 66)) ^ 1n).toString(16).padStart(64, '0')}${signature.slice(66)}`;
        if (tamper === 's') signature = `${signature.slice(0, 66)}${((BigInt(`0x${signature.slice(66, 130)}`) ^ 1n)).toString(16).padStart(64, '0')}${signature.slice(130)}`;
        let recovered: string | undefined;
        try {
          recovered = recoverAddress(signed, signature);
        } catch {
          recovered = undefined;
        }
        expect(verifyWithTable(tables.get(expected.address)!, signed, signature)).toBe(recovered === expected.address);
      }),
      { numRuns: 300 },
    );
  });

  test('malleable (high s), wrong v and malformed signatures are refused with a reason', () => {
    const key = keys[0];
    const d = keccak256('0x01');
    const good = new SigningKey(key.privateKey).sign(d);
    const highS = `${good.r}${(N - BigInt(good.s)).toString(16).padStart(64, '0')}${good.v === 27 ? '1c' : '1b'}`;
    expect(makerSignatureProblem(d, highS, key.address)).toMatch(/upper half/);
    expect(verifyWithTable(tables.get(key.address)!, d, highS)).toBe(false);
    expect(makerSignatureProblem(d, `${good.serialized.slice(0, 130)}00`, key.address)).toMatch(/v is 0/);
    expect(makerSignatureProblem(d, '0x1234', key.address)).toMatch(/65 bytes/);
    expect(makerSignatureProblem(d, good.serialized, keys[1].address)).toMatch(/recovers to/);
    expect(makerSignatureProblem(d, good.serialized, key.address)).toBeUndefined();
  });

  test('MakerSignatures learns a maker from its first good signature and then checks fast, with reasons', async () => {
    const signatures = new MakerSignatures();
    const key = keys[1];
    const d1 = keccak256('0x02');
    const d2 = keccak256('0x03');
    expect(signatures.problem(d1, new SigningKey(keys[2].privateKey).sign(d1).serialized, key.address)).toMatch(/recovers to/);
    expect(signatures.problem(d1, new SigningKey(key.privateKey).sign(d1).serialized, key.address)).toBeUndefined();
    await signatures.settled();
    expect(signatures.problem(d2, new SigningKey(key.privateKey).sign(d2).serialized, key.address)).toBeUndefined();
    expect(signatures.problem(d2, new SigningKey(keys[2].privateKey).sign(d2).serialized, key.address)).toMatch(/recovers to/);
  });

  test('a batch of checks gets exactly the answers each check gets alone, known and unknown makers mixed', async () => {
    const signatures = new MakerSignatures();
    const [known, unknown, other] = keys;
    const first = keccak256('0x04');
    expect(signatures.problem(first, new SigningKey(known.privateKey).sign(first).serialized, known.address)).toBeUndefined();
    await signatures.settled();
    const checks: Array<{ digest: string; signature: string; maker: string }> = [];
    for (let i = 0; i < 6; i++) {
      const d = keccak256(`0x${(200 + i).toString(16)}`);
      const good = new SigningKey(known.privateKey).sign(d);
      checks.push({ digest: d, signature: good.serialized, maker: known.address });
      checks.push({ digest: d, signature: new SigningKey(other.privateKey).sign(d).serialized, maker: known.address });
      checks.push({ digest: d, signature: `${good.r}${(N - BigInt(good.s)).toString(16).padStart(64, '0')}${good.v === 27 ? '1c' : '1b'}`, maker: known.address });
      checks.push({ digest: d, signature: new SigningKey(unknown.privateKey).sign(d).serialized, maker: unknown.address });
      checks.push({ digest: d, signature: '0x1234', maker: known.address });
    }
    const alone = new MakerSignatures();
    alone.problem(first, new SigningKey(known.privateKey).sign(first).serialized, known.address);
    await alone.settled();
    const expected = checks.map((c) => alone.problem(c.digest, c.signature, c.maker));
    expect(signatures.problems(checks)).toEqual(expected);
    expect(expected.filter((p) => p === undefined)).toHaveLength(12);
    expect(signatures.problems([])).toEqual([]);
  });

});
