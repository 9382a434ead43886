/**
 * The one error type of maas-compress. Every expected failure (bad usage, bad input,
 * a budget not met) is a McError with a code; anything else is an internal error.
 */

/** Exit codes, documented in docs/exit-codes.md. */
export const EXIT = {
  ok: 0,
  budget: 1,
  input: 2,
  internal: 3,
} as const;

/** Error codes, grouped by the exit code they lead to. */
export type McErrorCode =
  | 'USAGE' // bad flags or arguments
  | 'CONFIG' // bad config file
  | 'BAD_JSON' // model.json is not valid JSON
  | 'BAD_MANIFEST' // a field of model.json is missing or wrong
  | 'BAD_DTYPE' // unknown or unsupported dtype
  | 'BAD_PATH' // a path leaves the model's folder, or is absolute / a URL
  | 'MISSING_FILE' // a file named by the model does not exist
  | 'SIZE_MISMATCH' // declared shapes and the bytes present disagree
  | 'BAD_VALUE' // NaN / Infinity or another value a pass cannot take
  | 'OUTPUT_EXISTS' // refusing to overwrite
  | 'UNSUPPORTED' // a valid request this version cannot do
  | 'IO' // the file system refused
  | 'BUDGET'; // a budget was not met

/** An expected failure, with a message that names the file or tensor, what was expected and what was found. */
export class McError extends Error {
  readonly code: McErrorCode;

  constructor(code: McErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'McError';
    this.code = code;
  }

  /** The process exit code this error leads to. */
  get exitCode(): number {
    return this.code === 'BUDGET' ? EXIT.budget : EXIT.input;
  }
}

/** True when `e` is a McError. */
export function isMcError(e: unknown): e is McError {
  return e instanceof McError;
}

/** Shorthand used by validators: throw a McError unless `cond` holds. */
export function check(cond: unknown, code: McErrorCode, message: () => string): asserts cond {
  if (!cond) throw new McError(code, message());
}
