/**
 * rANS frequency tables: counts scaled to 2^bits (normalize), the bits they cost
 * (codedBits), and their compact serialised form (a symbol set, then varint frequencies).
 * Browser-safe.
 */
import { type ByteReader, type ByteWriter, varintBytes } from './bytes.js';

/**
 * Frequencies summing to 2^bits, at least 1 for every symbol present, from counts: rounded
 * shares, then the sum corrected one unit at a time where the coded size changes least.
 * Null when more symbols are present than slots.
 */
export function normalize(hist: Uint32Array, n: number, bits: number): Uint32Array | null {
  const total = 2 ** bits;
  const f = new Uint32Array(256);
  let sum = 0;
  let present = 0;
  for (let s = 0; s < 256; s++) {
    const c = hist[s];
    if (c === 0) continue;
    present++;
    const v = Math.max(1, Math.round((c * total) / n));
    f[s] = v;
    sum += v;
  }
  if (present > total) return null;
  while (sum !== total) {
    let best = -1;
    let bestCost = Infinity;
    const up = sum < total;
    for (let s = 0; s < 256; s++) {
      const c = hist[s];
      if (c === 0 || (!up && f[s] === 1)) continue;
      // Bits added to the stream by moving f[s] one unit (negative: saved).
      const cost = up ? c * Math.log2(f[s] / (f[s] + 1)) : c * Math.log2(f[s] / (f[s] - 1));
      if (cost < bestCost) {
        bestCost = cost;
        best = s;
      }
    }
    f[best] += up ? 1 : -1;
    sum += up ? 1 : -1;
  }
  return f;
}

/** Bits the symbols of `hist` take when coded with frequencies `freq` at precision `bits`. */
export function codedBits(hist: Uint32Array, freq: Uint32Array, bits: number): number {
  let total = 0;
  for (let s = 0; s < 256; s++) if (hist[s] > 0) total += hist[s] * (bits - Math.log2(freq[s]));
  return total;
}

/** The present symbols of a frequency table, in increasing order. */
function presentSymbols(freq: Uint32Array): number[] {
  const syms: number[] = [];
  for (let s = 0; s < 256; s++) if (freq[s] > 0) syms.push(s);
  return syms;
}

/** Alternating run lengths (absent, present, absent, ...) of a symbol set, up to its last symbol. */
function runsOf(syms: number[]): number[] {
  const runs: number[] = [];
  let next = 0;
  for (let i = 0; i < syms.length; ) {
    let j = i;
    while (j + 1 < syms.length && syms[j + 1] === syms[j] + 1) j++;
    runs.push(syms[i] - next, j - i + 1);
    next = syms[j] + 1;
    i = j + 1;
  }
  return runs;
}

/** Symbol set codings: a list of symbols, a 256-bit map, or run lengths. */
const SET = { list: 0, map: 1, runs: 2 } as const;

function setCoding(syms: number[]): { mode: number; bytes: number; runs: number[] } {
  const runs = runsOf(syms);
  const runBytes = runs.reduce((a, r) => a + varintBytes(r), 0);
  const options = [
    { mode: SET.list, bytes: syms.length, runs },
    { mode: SET.map, bytes: 32, runs },
    { mode: SET.runs, bytes: runBytes, runs },
  ];
  return options.reduce((a, b) => (b.bytes < a.bytes ? b : a));
}

/**
 * Serialised table: u8 (symbols present - 1); u8 set coding and the set (a list of
 * symbols, a 256-bit map, or alternating absent/present run lengths as varints); then
 * varint (f - 1) for each present symbol in increasing order except the last, whose
 * frequency is what makes the sum 2^bits.
 */
export function tableBytes(freq: Uint32Array): number {
  const syms = presentSymbols(freq);
  let n = 2 + setCoding(syms).bytes;
  for (let i = 0; i < syms.length - 1; i++) n += varintBytes(freq[syms[i]] - 1);
  return n;
}

/** Write a frequency table (see tableBytes). At least two symbols must be present. */
export function writeTable(w: ByteWriter, freq: Uint32Array): void {
  const syms = presentSymbols(freq);
  const set = setCoding(syms);
  w.u8(syms.length - 1);
  w.u8(set.mode);
  if (set.mode === SET.list) for (const s of syms) w.u8(s);
  else if (set.mode === SET.runs) for (const r of set.runs) w.varint(r);
  else {
    const map = new Uint8Array(32);
    for (const s of syms) map[s >> 3] |= 1 << (s & 7);
    w.bytes(map);
  }
  for (let i = 0; i < syms.length - 1; i++) w.varint(freq[syms[i]] - 1);
}

/** Read a symbol set of `present` symbols in increasing order. */
function readSet(r: ByteReader, present: number, what: string): number[] {
  const mode = r.u8(what);
  const syms: number[] = [];
  if (mode === SET.list) {
    for (let i = 0; i < present; i++) {
      const s = r.u8(what);
      if (syms.length > 0 && s <= syms[syms.length - 1]) throw r.bad(`${what}: symbols out of order`);
      syms.push(s);
    }
  } else if (mode === SET.map) {
    const at = r.skip(32, what);
    for (let s = 0; s < 256; s++) if (r.bytes[at + (s >> 3)] & (1 << (s & 7))) syms.push(s);
  } else if (mode === SET.runs) {
    for (let next = 0; syms.length < present; ) {
      next += r.count(what, 256 - next);
      const run = r.count(what, Math.min(256 - next, present - syms.length));
      if (run === 0) throw r.bad(`${what}: empty run`);
      for (let k = 0; k < run; k++) syms.push(next + k);
      next += run;
    }
  } else {
    throw r.bad(`${what}: unknown symbol set coding ${mode}`);
  }
  if (syms.length !== present) throw r.bad(`${what}: symbol set lists ${syms.length} symbols, header says ${present}`);
  return syms;
}

/** Read and validate a frequency table at precision `bits`: every listed symbol >= 1, sum exactly 2^bits. */
export function readTable(r: ByteReader, bits: number, what: string): Uint32Array {
  const total = 2 ** bits;
  const present = r.u8(what) + 1;
  if (present < 2 || present > total) throw r.bad(`${what}: ${present} symbols cannot share 2^${bits} slots`);
  const syms = readSet(r, present, what);
  const freq = new Uint32Array(256);
  let sum = 0;
  for (let i = 0; i < present - 1; i++) {
    const f = r.count(what, total - 1) + 1;
    freq[syms[i]] = f;
    sum += f;
  }
  if (sum >= total) throw r.bad(`${what}: frequencies exceed 2^${bits}`);
  freq[syms[present - 1]] = total - sum;
  return freq;
}
