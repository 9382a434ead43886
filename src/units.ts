/** Parsing sizes given on the command line or in config ("4194304", "4MiB", "2 MB"). */
import { McError } from './errors.js';

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** Parse a byte size; decimal units (kB, MB, GB) and binary ones (KiB, MiB, GiB). */
export function parseSize(s: string | number, what: string): number {
  if (typeof s === 'number') {
    if (Number.isInteger(s) && s > 0) return s;
  } else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(s);
    const unit = m ? UNITS[(m[2] || 'b').toLowerCase()] : undefined;
    if (m && unit) {
      const n = Math.round(Number(m[1]) * unit);
      if (n > 0) return n;
    }
  }
  throw new McError('USAGE', `${what}: expected a positive size in bytes like 4194304, 4MiB or 2MB, found ${JSON.stringify(s)}`);
}

/** Parse a non-negative integer (a count). */
export function parseCount(s: string | number, flag: string): number {
  const n = Number(s);
  if (!/^\s*\d+\s*$/.test(String(s)) || !Number.isSafeInteger(n)) throw new McError('USAGE', `${flag}: expected a non-negative integer, found "${s}"`);
  return n;
}
