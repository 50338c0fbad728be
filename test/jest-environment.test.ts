import { stringifyBigInts } from './helpers/environment';

describe('the test environment', () => {
  test("makes a failed bigint assertion's details JSON, keeping its message", () => {
    let failure: unknown;
    try {
      expect(5n).toBe(6n);
    } catch (error) {
      failure = error;
    }
    const message = (failure as Error).message;
    expect(() => JSON.stringify({ errors: [[failure]] })).toThrow(/BigInt/);

    stringifyBigInts([[failure]]);

    expect((failure as Error).message).toBe(message);
    expect((failure as { matcherResult: { actual: unknown; expected: unknown } }).matcherResult).toMatchObject({ actual: '5n', expected: '6n' });
    expect(() => JSON.stringify({ errors: [[failure]] })).not.toThrow();
  });

  test('follows causes and nested objects, and stops at cycles', () => {
    const cause = { amounts: [1n, 2n], nested: { at: 3n } };
    const error = Object.assign(new Error('outer'), { cause, self: undefined as unknown });
    error.self = error;

    stringifyBigInts(error);

    expect(cause).toEqual({ amounts: ['1n', '2n'], nested: { at: '3n' } });
    expect(error.self).toBe(error);
  });
});
