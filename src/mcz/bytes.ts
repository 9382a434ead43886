/**
 * Little-endian byte writing and bounds-checked reading for the .mcz container. The
 * reader never reads past the range it was given: every read checks the bytes present
 * first and throws one McError naming the place, so hostile lengths cannot reach an
 * allocation. Browser-safe (no Node built-ins).
 */
import { McError } from '../errors.js';

const TWO32 = 2 ** 32;

/** A growable byte buffer (amortised doubling), for building sections. */
export class ByteWriter {
  private buf: Uint8Array;
  private dv: DataView;
  /** Bytes written so far. */
  length = 0;

  /** `capacity`: initial size in bytes. */
  constructor(capacity = 256) {
    this.buf = new Uint8Array(Math.max(16, capacity));
    this.dv = new DataView(this.buf.buffer);
  }

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }

  /** One byte. */
  u8(v: number): void {
    this.room(1);
    this.buf[this.length++] = v;
  }

  /** Unsigned 32-bit. */
  u32(v: number): void {
    this.room(4);
    this.dv.setUint32(this.length, v, true);
    this.length += 4;
  }

  /** Unsigned 64-bit from a safe integer. */
  u64(v: number): void {
    this.u32(v % TWO32);
    this.u32(Math.floor(v / TWO32));
  }

  /** IEEE binary32. */
  f32(v: number): void {
    this.room(4);
    this.dv.setFloat32(this.length, v, true);
    this.length += 4;
  }

  /** Unsigned LEB128 of a safe integer (7 bits a byte, low first). */
  varint(v: number): void {
    while (v >= 128) {
      this.u8((v % 128) | 128);
      v = Math.floor(v / 128);
    }
    this.u8(v);
  }

  /** Raw bytes. */
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** `n` bytes at src[off], src[off + stride], ... (one byte plane of a tensor). */
  strided(src: Uint8Array, off: number, stride: number, n: number): void {
    this.room(n);
    const buf = this.buf;
    for (let i = 0, j = off, o = this.length; i < n; i++, j += stride, o++) buf[o] = src[j];
    this.length += n;
  }

  /** The bytes written (a view; valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

/** Bytes of an unsigned LEB128 varint. */
export function varintBytes(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Largest varint value a reader accepts (7 bytes): far beyond any length in a valid file. */
const MAX_VARINT_BYTES = 7;

/** A bounds-checked little-endian reader over `bytes[start, end)`; `where` prefixes every error. */
export class ByteReader {
  /** Absolute position in `bytes`. */
  pos: number;
  private readonly dv: DataView;

  /**
   * `base`: where bytes[0] lies in the file, when `bytes` holds only part of it (a section
   * read from disk); messages give file offsets either way.
   */
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
    readonly where: string,
    readonly base = 0,
  ) {
    this.pos = start;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes left. */
  get left(): number {
    return this.end - this.pos;
  }

  /** Throw SIZE_MISMATCH unless `n` more bytes are present. */
  need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      throw new McError('SIZE_MISMATCH', `${this.where}: ${what} needs ${n} bytes at byte ${this.base + this.pos}, only ${this.end - this.pos} remain (truncated or corrupt)`);
    }
  }

  /** One byte. */
  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++];
  }

  /** Unsigned 32-bit. */
  u32(what: string): number {
    this.need(4, what);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** Unsigned 64-bit as a number (exact below 2^53; larger values only fail range checks). */
  u64(what: string): number {
    const lo = this.u32(what);
    return this.u32(what) * TWO32 + lo;
  }

  /** IEEE binary32. */
  f32(what: string): number {
    this.need(4, what);
    const v = this.dv.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** Unsigned LEB128, at most 7 bytes. */
  varint(what: string): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const b = this.u8(what);
      v += (b & 127) * mul;
      if (b < 128) return v;
      mul *= 128;
    }
    throw this.bad(`${what} is a varint longer than ${MAX_VARINT_BYTES} bytes`);
  }

  /** A varint that must be at most `max` (a count checked before anything is sized by it). */
  count(what: string, max: number): number {
    const v = this.varint(what);
    if (v > max) throw new McError('SIZE_MISMATCH', `${this.where}: ${what} is ${v}, expected at most ${max}`);
    return v;
  }

  /** Skip `n` checked bytes; returns their start. */
  skip(n: number, what: string): number {
    this.need(n, what);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** A BAD_MANIFEST error at this place. */
  bad(msg: string): McError {
    return new McError('BAD_MANIFEST', `${this.where}: ${msg}`);
  }
}
