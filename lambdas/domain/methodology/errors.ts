export type MethodologyErrorCode = 'invalid-methodology' | 'insufficient-constituents' | 'unknown-index';

/** A methodology that cannot be applied: a bad config, or a snapshot with too few eligible assets. */
export class MethodologyError extends Error {
  constructor(
    readonly code: MethodologyErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'MethodologyError';
  }
}
