import { Wallet, recoverAddress, TypedDataEncoder } from 'ethers';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { basketFor, feeFor, hashQuoteOrder, issuerDomain, QUOTE_ORDER_TYPES, quoteOrderFromJson, quoteOrderToJson, Side } from '../../../lambdas/domain/orders';
import { loadQuoteOrderVector } from '../../helpers/quote-order-vector';

describe('quote orders (TypeScript side)', () => {
  const vector = loadQuoteOrderVector();

  it("hashes the vector's order to the vector's digest", () => {
    expect(hashQuoteOrder(vector.domain, vector.order)).toBe(vector.digest);
  });

  it('writes an order as the JSON the vector file carries, and reads it back unchanged', () => {
    const json = JSON.parse(readFileSync(join(__dirname, '../../vectors/quote-order.json'), 'utf8')).order;
    expect(quoteOrderToJson(vector.order)).toEqual(json);
    expect(quoteOrderFromJson(JSON.parse(JSON.stringify(quoteOrderToJson(vector.order))))).toEqual(vector.order);
  });

  it("reproduces the vector's signature from the maker key and recovers the maker from it", async () => {
    const maker = new Wallet(vector.keys.maker);
    expect(maker.address).toBe(vector.order.maker);
    expect(await maker.signTypedData(vector.domain, QUOTE_ORDER_TYPES, vector.order)).toBe(vector.signature);
    expect(recoverAddress(vector.digest, vector.signature)).toBe(vector.order.maker);
  });

  it('builds the domain the contract uses', () => {
    expect(issuerDomain(31337, vector.domain.verifyingContract as string)).toEqual(vector.domain);
  });

  it('encodes the type string the contract hashes', () => {
    const typeString = TypedDataEncoder.from(QUOTE_ORDER_TYPES).encodeType('QuoteOrder');
    expect(typeString).toBe(
      'QuoteOrder(address index,uint8 side,uint256 indexAmount,address[] assets,uint256[] amounts,' +
        'address cashToken,uint256 cashAmount,address maker,address requester,uint256 deadline,uint256 nonce)',
    );
  });

  it("computes the vector's legs from its tokenset", () => {
    const legs = basketFor(vector.tokenset, vector.order.indexAmount, vector.order.side);
    expect(legs.assets).toEqual(vector.order.assets);
    expect(legs.amounts).toEqual(vector.order.amounts);
  });

  it('a digest under another chain id or contract differs', () => {
    const otherChain = { ...vector.domain, chainId: 8453n };
    const otherContract = { ...vector.domain, verifyingContract: vector.order.index };
    expect(hashQuoteOrder(otherChain, vector.order)).not.toBe(vector.digest);
    expect(hashQuoteOrder(otherContract, vector.order)).not.toBe(vector.digest);
  });

  describe('basketFor', () => {
    const tokenset = { assets: ['0x01', '0x02'], unitAmounts: [3n, 10n ** 8n] };

    it('rounds mint legs up and redeem legs down', () => {
      expect(basketFor(tokenset, 10n ** 18n / 3n, Side.Mint).amounts).toEqual([1n, 33_333_334n]);
      expect(basketFor(tokenset, 10n ** 18n / 3n, Side.Redeem).amounts).toEqual([0n, 33_333_333n]);
    });

    it('is exact for whole index tokens on both sides', () => {
      expect(basketFor(tokenset, 2n * 10n ** 18n, Side.Mint).amounts).toEqual([6n, 2n * 10n ** 8n]);
      expect(basketFor(tokenset, 2n * 10n ** 18n, Side.Redeem).amounts).toEqual([6n, 2n * 10n ** 8n]);
    });

    it('refuses a malformed tokenset or a negative amount', () => {
      expect(() => basketFor({ assets: ['0x01'], unitAmounts: [] }, 1n, Side.Mint)).toThrow(/1 assets but 0 amounts/);
      expect(() => basketFor(tokenset, -1n, Side.Mint)).toThrow(/negative/);
    });
  });

  it('rounds fees up', () => {
    expect(feeFor(1_000_000n, 30)).toBe(3_000n);
    expect(feeFor(1_000_001n, 30)).toBe(3_001n);
    expect(feeFor(0n, 30)).toBe(0n);
  });
});
