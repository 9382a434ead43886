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

/** What the errno codes of a refusing file system mean, in words (for IO errors). */
const ERRNO_WORDS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for the file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EIO: 'input/output error',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'is a folder',
  EEXIST: 'already exists',
  ENOENT: 'no such file or folder',
  ENOTEMPTY: 'folder not empty',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EBUSY: 'resource busy',
  EXDEV: 'not on the same file system',
};

/** True for a Node.js system error from the file system (it has an errno code such as ENOSPC). */
export function isErrnoError(e: unknown): e is NodeJS.ErrnoException {
  if (!(e instanceof Error)) return false;
  const x = e as NodeJS.ErrnoException;
  return typeof x.code === 'string' && /^E[A-Z0-9]+$/.test(x.code) && (typeof x.syscall === 'string' || typeof x.errno === 'number');
}

/**
 * A file-system refusal as one McError('IO') naming `where` and what happened, e.g.
 * `out/m: no space left on device (ENOSPC) while writing the output`; anything that is
 * not a system error (a McError, a defect) is returned as it was.
 */
export function ioError(e: unknown, where: string, doing: string): unknown {
  if (isMcError(e) || !isErrnoError(e)) return e;
  const code = e.code as string;
  const words = e.syscall === 'mkdir' && code === 'EEXIST' ? 'a file stands where a folder is needed' : ERRNO_WORDS[code] ?? e.message.replace(/^[A-Z0-9]+: /, '').split(',')[0];
  const at = e.path && e.path !== where ? ` at ${e.path}` : '';
  return new McError('IO', `${where}: ${words} (${code}${at}) while ${doing}`, { cause: e });
}
