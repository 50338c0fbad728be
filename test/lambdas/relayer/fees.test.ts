import fc from 'fast-check';
import { Interface, makeError } from 'ethers';
import { DEFAULT_FEE_POLICY, bumpFees, isUnderpriced, isValidReplacement, withGasBuffer } from '../../../lambdas/relayer/fees';
import { describeRevert, isRevert } from '../../../lambdas/relayer/revert';
import { relayerFeePolicy } from '../../../lambdas/relayer';

const gwei = (n: number) => BigInt(Math.round(n * 1e9));
const fee = fc.bigInt({ min: 0n, max: 10n ** 15n });

describe('fee bumps for replacements', () => {
  test('a bump is at least 10% on both fee fields and never below the market, whatever the fees', () => {
    fc.assert(
      fc.property(fee, fee, fee, fee, (maxFee, tip, marketMax, marketTip) => {
        const previous = { maxFeePerGas: maxFee > tip ? maxFee : tip, maxPriorityFeePerGas: tip };
        const market = { maxFeePerGas: marketMax > marketTip ? marketMax : marketTip, maxPriorityFeePerGas: marketTip };
        const next = bumpFees(previous, market);
        expect(isValidReplacement(previous, next)).toBe(true);
        expect(next.maxFeePerGas >= market.maxFeePerGas).toBe(true);
        expect(next.maxPriorityFeePerGas >= market.maxPriorityFeePerGas).toBe(true);
        expect(next.maxFeePerGas >= next.maxPriorityFeePerGas).toBe(true);
      }),
    );
  });

  test('the default bump is 12.5%, rounded up', () => {
    const next = bumpFees({ maxFeePerGas: 1_000_000_001n, maxPriorityFeePerGas: 3n }, { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n });
    expect(next).toEqual({ maxFeePerGas: 1_125_000_002n, maxPriorityFeePerGas: 4n });
  });

  test('a fee cap holds the bump back, and such a bump is not a valid replacement', () => {
    const previous = { maxFeePerGas: gwei(90), maxPriorityFeePerGas: gwei(1) };
    const next = bumpFees(previous, { maxFeePerGas: gwei(200), maxPriorityFeePerGas: gwei(2) }, { ...DEFAULT_FEE_POLICY, maxFeePerGasCap: gwei(95) });
    expect(next.maxFeePerGas).toBe(gwei(95));
    expect(isValidReplacement(previous, next)).toBe(false);
  });

  test('a bump below the 10% nodes require is refused as a policy', () => {
    expect(() => bumpFees({ maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }, { maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }, { ...DEFAULT_FEE_POLICY, bumpBasisPoints: 500 })).toThrow(/10%/);
  });

  test('replacements 9.9% above are not valid, 10% above are', () => {
    const previous = { maxFeePerGas: 1000n, maxPriorityFeePerGas: 100n };
    expect(isValidReplacement(previous, { maxFeePerGas: 1099n, maxPriorityFeePerGas: 110n })).toBe(false);
    expect(isValidReplacement(previous, { maxFeePerGas: 1100n, maxPriorityFeePerGas: 110n })).toBe(true);
  });
});

describe('what counts as underpriced and how much gas to ask for', () => {
  test('a fee cap below the base fee plus the tip, or a tip below the suggestion, is underpriced', () => {
    const market = { maxFeePerGas: gwei(201), maxPriorityFeePerGas: gwei(1), baseFeePerGas: gwei(100) };
    expect(isUnderpriced({ maxFeePerGas: gwei(3), maxPriorityFeePerGas: gwei(1) }, market)).toBe(true);
    expect(isUnderpriced({ maxFeePerGas: gwei(150), maxPriorityFeePerGas: gwei(0.5) }, market)).toBe(true);
    expect(isUnderpriced({ maxFeePerGas: gwei(150), maxPriorityFeePerGas: gwei(1) }, market)).toBe(false);
  });

  test('gas estimates get the buffer, rounded up', () => {
    expect(withGasBuffer(21_000n)).toBe(25_200n);
    expect(withGasBuffer(50_001n)).toBe(60_002n);
  });
});

describe('revert reasons', () => {
  const errors = new Interface(['error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)']);

  test('a custom error of a known interface is decoded with its arguments', () => {
    const data = errors.encodeErrorResult('ERC20InsufficientBalance', ['0x9E6A46f294bB67c20F1D1E7AfB0bBEf614403B55', 5n, 7n]);
    const error = makeError('execution reverted', 'CALL_EXCEPTION', { action: 'estimateGas', data, reason: null, transaction: { to: null, data: '0x' }, invocation: null, revert: null });
    expect(isRevert(error)).toBe(true);
    expect(describeRevert(error, errors)).toEqual({ reason: 'ERC20InsufficientBalance(0x9E6A46f294bB67c20F1D1E7AfB0bBEf614403B55, 5, 7)', data });
  });

  test('an unknown custom error is named by its selector, Error(string) by its message', () => {
    const unknown = makeError('execution reverted', 'CALL_EXCEPTION', { action: 'call', data: '0xdeadbeef00', reason: null, transaction: { to: null, data: '0x' }, invocation: null, revert: null });
    expect(describeRevert(unknown, errors).reason).toBe('custom error 0xdeadbeef');
    const message = makeError('execution reverted', 'CALL_EXCEPTION', {
      action: 'call',
      data: '0x08c379a0',
      reason: 'paused',
      transaction: { to: null, data: '0x' },
      invocation: null,
      revert: { signature: 'Error(string)', name: 'Error', args: ['paused'] },
    });
    expect(describeRevert(message).reason).toBe('paused');
  });

  test('a network failure is not a revert', () => {
    expect(isRevert(makeError('connect ECONNREFUSED', 'NETWORK_ERROR', { event: 'request' }))).toBe(false);
  });
});

describe('the relayer fee ceiling from settings (issue 19 item 15)', () => {
  test('no default maxFeePerGas ceiling: without RELAYER_MAX_FEE_GWEI the relayer still caps at 100 gwei', () => {
    expect(relayerFeePolicy({})).toEqual({ maxFeePerGasCap: 100_000_000_000n });
    expect(relayerFeePolicy({ RELAYER_MAX_FEE_GWEI: '2.5' })).toEqual({ maxFeePerGasCap: 2_500_000_000n });
  });
});
