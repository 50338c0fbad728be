import { Wallet, getAddress } from 'ethers';
import { attestedFromApi, attestedQuoteLines, attestedView, parseAttestedAnswer, type AttestedContext } from '../../../cli/commands/attested';
import { CliError } from '../../../cli/output';

const INDEX = getAddress('0x00000000000000000000000000000000000000e1');
const USDC = getAddress('0x0000000000000000000000000000000000000c03');
const ATTESTED_ISSUER = getAddress('0x00000000000000000000000000000000000000ab');
const PMM = Wallet.createRandom().address;
const ctx = {
  protocol: { chainId: 31337, contracts: { attestedIssuer: ATTESTED_ISSUER }, tokens: { USDC: { address: USDC, decimals: 6 } }, indexes: { 'MAG7.ssi': INDEX } },
  index: { symbol: 'MAG7.ssi', address: INDEX },
  attestedIssuer: ATTESTED_ISSUER,
  cash: { symbol: 'USDC', address: USDC, decimals: 6 },
} as AttestedContext;

/** An answer of the quote API for 1.5 MAG7.ssi at 1500.75 USDC, as lambdas/quotes/service.ts shapes it. */
function answer(overrides: { submit?: Record<string, unknown>; args?: Record<string, unknown>; [field: string]: unknown } = {}) {
  const { submit, args, ...rest } = overrides;
  return {
    id: '11111111-2222-4333-8444-555555555555',
    requestId: '11111111-2222-4333-8444-555555555555',
    status: 'firm',
    attested: true,
    wlp: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    index: { symbol: 'MAG7.ssi', address: INDEX },
    side: 'mint',
    indexAmount: '1.5',
    cashToken: { symbol: 'USDC', address: USDC, decimals: 6 },
    cashAmount: '1500.75',
    nav: { perTokenUsd: '1000', orderUsd: '1500', referenceCashAmount: '1500' },
    priceVsNavBps: 5,
    legs: [],
    prices: { kind: 'fixed' },
    pmm: { name: 'local-pmm', maker: PMM },
    rfq: { asked: 1, accepted: 1, rejected: [] },
    expiresAt: '2027-01-01T00:02:00.000Z',
    submit: {
      chainId: 31337,
      attestedIssuer: ATTESTED_ISSUER,
      method: 'requestMint',
      function: 'requestMint(index, indexAmount, cashToken, cashAmount, pmm)',
      args: { index: INDEX, indexAmount: '1500000000000000000', cashToken: USDC, cashAmount: '1500750000', pmm: PMM, ...args },
      approve: { token: USDC, amount: '1500750000' },
      ...submit,
    },
    ...rest,
  };
}

const refusal = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    return (error as Error).message;
  }
  throw new Error('expected a CLI error');
};

describe('the CLI view of the quote API attested quote', () => {
  test('a matching answer becomes the request the WLP submits: the quoted cash and PMM in smallest units, with the quote id', () => {
    const quote = attestedFromApi(ctx, 'mint', answer());
    expect(quote).toEqual({
      id: '11111111-2222-4333-8444-555555555555',
      attested: true,
      side: 'mint',
      index: { symbol: 'MAG7.ssi', address: INDEX },
      indexAmount: '1.5',
      cashToken: { symbol: 'USDC', address: USDC, decimals: 6 },
      cashAmount: '1500.75',
      pmm: { name: 'local-pmm', maker: PMM },
      expiresAt: '2027-01-01T00:02:00.000Z',
      submit: { attestedIssuer: ATTESTED_ISSUER, method: 'requestMint' },
      units: { indexAmount: 1_500_000_000_000_000_000n, cashAmount: 1_500_750_000n },
    });
    const { units: _units, ...shown } = quote;
    expect(attestedView(parseAttestedAnswer(answer(), 'MAG7.ssi'))).toEqual(shown);
    expect(attestedQuoteLines(shown).join('\n')).toMatch(/you pay 1500\.75 USDC[\s\S]*PMM 0x[0-9a-fA-F]{40} \(local-pmm\)[\s\S]*quote id 11111111-2222-4333-8444-555555555555/);
  });

  test.each([
    ['another AttestedIssuer', answer({ submit: { attestedIssuer: getAddress('0x00000000000000000000000000000000000000bb') } })],
    ['another index in the arguments', answer({ args: { index: getAddress('0x00000000000000000000000000000000000000e2') } })],
    ['another cash token', answer({ args: { cashToken: getAddress('0x0000000000000000000000000000000000000c04') } })],
    ['a PMM argument other than the quoted maker', answer({ args: { pmm: Wallet.createRandom().address } })],
  ])('an answer naming %s than the deployment says is refused before anything is approved', (_what, body) => {
    expect(refusal(() => attestedFromApi(ctx, 'mint', body))).toMatch(/does not match the deployment/);
  });

  test('the other side, or an answer that is not an attested quote (a signed quote, an error), is refused', () => {
    expect(refusal(() => attestedFromApi(ctx, 'redeem', answer()))).toMatch(/does not match the deployment/);
    expect(refusal(() => attestedFromApi(ctx, 'mint', { ...answer(), attested: undefined }))).toMatch(/did not answer an attested quote for MAG7\.ssi: attested/);
    expect(refusal(() => attestedFromApi(ctx, 'mint', { error: 'no_quote' }))).toMatch(/did not answer an attested quote/);
  });
});
