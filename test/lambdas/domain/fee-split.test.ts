import { splitFeeCash } from '../../../lambdas/domain/fee-split';

describe('splitFeeCash (declared fee split)', () => {
  it('gives MAG7.ssi stakers half of the fee cash, rounding down, and the protocol the rest', () => {
    expect(splitFeeCash(1_000_000_000n, 'MAG7.ssi')).toEqual({ stakers: 500_000_000n, protocol: 500_000_000n });
    expect(splitFeeCash(3n, 'MAG7.ssi')).toEqual({ stakers: 1n, protocol: 2n });
  });

  it('uses the per-index share before the default, and refuses a share above one', () => {
    const policy = { defaultStakerSharePpm: 200_000n, stakerSharePpmByIndex: { 'DEFI.ssi': 750_000n } };
    expect(splitFeeCash(1_000n, 'DEFI.ssi', policy)).toEqual({ stakers: 750n, protocol: 250n });
    expect(splitFeeCash(1_000n, 'OTHER.ssi', policy)).toEqual({ stakers: 200n, protocol: 800n });
    expect(() => splitFeeCash(1_000n, 'X', { defaultStakerSharePpm: 1_000_001n, stakerSharePpmByIndex: {} })).toThrow('within 0..1000000 ppm');
    expect(() => splitFeeCash(-1n, 'MAG7.ssi')).toThrow('must not be negative');
  });
});
