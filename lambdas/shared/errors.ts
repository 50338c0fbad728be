/**
 * The one error family of the back end. Domain code throws these; handlers map them to HTTP
 * status codes with the reason, and never return a raw error or a stack.
 */
export class SsiError extends Error {
  constructor(
    message: string,
    /** HTTP status the API answers with. */
    readonly status: number,
    /** Stable machine-readable code, e.g. `unknown_index`. */
    readonly code: string,
    options?: { cause?: unknown; details?: unknown; reply?: { code: string; message: string } },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options?.details;
    this.reply = options?.reply;
  }

  readonly details?: unknown;
  /**
   * What an API client is told instead of `code` and `message`, for errors whose message names
   * internals (key ids, ARNs, SDK words); the full message still goes to the log.
   */
  readonly reply?: { code: string; message: string };
}

export class BadRequest extends SsiError {
  constructor(message: string, code = 'bad_request', details?: unknown) {
    super(message, 400, code, { details });
  }
}

export class Unauthorized extends SsiError {
  constructor(message = 'a valid API key is required', code = 'unauthorized') {
    super(message, 401, code);
  }
}

export class Forbidden extends SsiError {
  constructor(message: string, code = 'forbidden') {
    super(message, 403, code);
  }
}

export class NotFound extends SsiError {
  constructor(message: string, code = 'not_found') {
    super(message, 404, code);
  }
}

export class Conflict extends SsiError {
  constructor(message: string, code = 'conflict', details?: unknown) {
    super(message, 409, code, { details });
  }
}

export class PayloadTooLarge extends SsiError {
  constructor(message: string) {
    super(message, 413, 'payload_too_large');
  }
}

export class UnsupportedMediaType extends SsiError {
  constructor(message: string) {
    super(message, 415, 'unsupported_media_type');
  }
}

export class TooManyRequests extends SsiError {
  constructor(message: string, readonly retryAfterSeconds?: number) {
    super(message, 429, 'throttled');
  }
}

/** A dependency we need is not answering (no PMM quote, chain down); the caller may retry. */
export class Unavailable extends SsiError {
  constructor(message: string, code = 'unavailable', cause?: unknown) {
    super(message, 503, code, { cause });
  }
}

/** Configuration is missing or wrong: raised at cold start so a bad deploy fails loudly. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
