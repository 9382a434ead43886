/**
 * Reading the members of a zip archive held in memory (what NumPy's savez and
 * savez_compressed write), for hostile files: the central directory is walked with every
 * offset and length checked against the bytes present, members may not overlap, and a
 * member is inflated (fflate) into a buffer of exactly its declared size, stopping as
 * soon as it would grow past it; its CRC-32 must match. A declared size is refused before
 * anything is inflated when deflate could not produce it from the member's compressed
 * bytes (1032:1 is deflate's largest ratio), so the memory a file costs is bounded by
 * 1032 × its size, and the time too: no member inflates past its declared size.
 * ZIP64 records are read (NumPy writes ZIP64 local headers); encrypted members, methods
 * other than stored and deflate, and multi-disk archives are refused.
 */
import { Inflate } from 'fflate';
import { McError } from '../errors.js';
import { crc32 } from '../mcz/crc32.js';

/** One member as the central directory declares it. */
export interface ZipMember {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  /** Offset of its local header. */
  offset: number;
}

/** Deflate's largest expansion (258 bytes from 2 bits), plus room for tiny members. */
const MAX_RATIO = 1032;
const RATIO_SLACK = 1024;
/** Compressed bytes fed to the inflater at a time: its output between two size checks is at most 1032 times this. */
const CHUNK = 16 * 1024;

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** The central directory of `bytes`: its members, in order; `file` names it in errors. */
export function zipMembers(bytes: Uint8Array, file: string): ZipMember[] {
  const bad = (why: string) => new McError('BAD_VALUE', `${file}: expected a zip archive (.npz), ${why}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  // The end record is the last 22 bytes, before a comment of at most 65535 bytes whose length it gives.
  let e = -1;
  for (let at = n - 22; at >= 0 && at >= n - 22 - 0xffff; at--) {
    if (dv.getUint32(at, true) === EOCD && dv.getUint16(at + 20, true) === n - at - 22) {
      e = at;
      break;
    }
  }
  if (e < 0) throw bad('found no end-of-central-directory record');
  let count = dv.getUint16(e + 10, true);
  let size = dv.getUint32(e + 12, true);
  let start = dv.getUint32(e + 16, true);
  if (dv.getUint16(e + 4, true) !== 0 && dv.getUint16(e + 4, true) !== 0xffff) throw bad('found a multi-disk archive');
  if (count === 0xffff || size === 0xffffffff || start === 0xffffffff) {
    if (e < 20 || dv.getUint32(e - 20, true) !== ZIP64_LOCATOR) throw bad('found ZIP64 sizes without a ZIP64 locator');
    const z = u64(dv, e - 12, bad);
    if (z > n - 56 || dv.getUint32(z, true) !== ZIP64_EOCD) throw bad('found a ZIP64 locator pointing outside the file');
    count = u64(dv, z + 32, bad);
    size = u64(dv, z + 40, bad);
    start = u64(dv, z + 48, bad);
  }
  if (start > n || size > n - start) throw bad(`found a central directory (${size} bytes at ${start}) outside the ${n}-byte file`);
  if (count > size / 46) throw bad(`found ${count} members declared in a ${size}-byte central directory`);
  const members: ZipMember[] = [];
  let o = start;
  const end = start + size;
  for (let i = 0; i < count; i++) {
    if (o + 46 > end || dv.getUint32(o, true) !== CENTRAL) throw bad(`found central directory entry ${i + 1} of ${count} missing or cut off`);
    const flags = dv.getUint16(o + 8, true);
    const nameLen = dv.getUint16(o + 28, true);
    const extraLen = dv.getUint16(o + 30, true);
    const next = o + 46 + nameLen + extraLen + dv.getUint16(o + 32, true);
    if (next > end) throw bad(`found central directory entry ${i + 1} running past the directory`);
    const raw = bytes.subarray(o + 46, o + 46 + nameLen);
    const name = decodeName(raw, (flags & 0x800) !== 0, bad);
    if (flags & 1) throw bad(`found an encrypted member "${name}"`);
    const m: ZipMember = { name, method: dv.getUint16(o + 10, true), crc: dv.getUint32(o + 16, true), compressedSize: dv.getUint32(o + 20, true), size: dv.getUint32(o + 24, true), offset: dv.getUint32(o + 42, true) };
    readZip64Extra(dv, o + 46 + nameLen, extraLen, m, bad);
    members.push(m);
    o = next;
  }
  checkLayout(dv, members, start, bad);
  return members;
}

/** A little-endian u64 as a number, refused when it cannot be an offset or size in memory. */
function u64(dv: DataView, at: number, bad: (why: string) => McError): number {
  if (at < 0 || at + 8 > dv.byteLength) throw bad('found a ZIP64 record cut off');
  const hi = dv.getUint32(at + 4, true);
  if (hi > 0x1fffff) throw bad('found a ZIP64 size or offset beyond 2^53');
  return hi * 2 ** 32 + dv.getUint32(at, true);
}

/** The sizes and offset a ZIP64 extra field (id 1) gives for the fields the entry set to 0xffffffff, in that order. */
function readZip64Extra(dv: DataView, at: number, len: number, m: ZipMember, bad: (why: string) => McError): void {
  const want = (['size', 'compressedSize', 'offset'] as const).filter((k) => m[k] === 0xffffffff);
  if (want.length === 0) return;
  for (let p = at; p + 4 <= at + len; ) {
    const id = dv.getUint16(p, true);
    const l = dv.getUint16(p + 2, true);
    if (p + 4 + l > at + len) break;
    if (id === 1) {
      if (l < 8 * want.length) throw bad(`found a ZIP64 field too short for member "${m.name}"`);
      want.forEach((k, j) => (m[k] = u64(dv, p + 4 + 8 * j, bad)));
      return;
    }
    p += 4 + l;
  }
  throw bad(`found member "${m.name}" with ZIP64 sizes and no ZIP64 field`);
}

/** Member names: UTF-8 when flagged, else bytes as code points (NumPy's keys are ASCII). */
function decodeName(raw: Uint8Array, utf8: boolean, bad: (why: string) => McError): string {
  if (!utf8) return new TextDecoder('latin1').decode(raw);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw bad('found a member name that is not valid UTF-8');
  }
}

/** Every member's data lies before the central directory, overlapping no other, with a local header in front. */
function checkLayout(dv: DataView, members: ZipMember[], cdStart: number, bad: (why: string) => McError): void {
  const byOffset = [...members].sort((a, b) => a.offset - b.offset);
  let free = 0;
  for (const m of byOffset) {
    const o = m.offset;
    if (o < free || o + 30 > cdStart || dv.getUint32(o, true) !== LOCAL) throw bad(`found member "${m.name}" with no local header at ${o}, or overlapping another`);
    const dataAt = o + 30 + dv.getUint16(o + 26, true) + dv.getUint16(o + 28, true);
    if (dataAt > cdStart || m.compressedSize > cdStart - dataAt) throw bad(`found member "${m.name}" (${m.compressedSize} bytes) running past the members`);
    free = dataAt + m.compressedSize;
  }
}

/** The byte offset of a member's data (after its local header, checked by zipMembers). */
function dataStart(bytes: Uint8Array, m: ZipMember): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return m.offset + 30 + dv.getUint16(m.offset + 26, true) + dv.getUint16(m.offset + 28, true);
}

/** Refuse a member whose method or declared size its compressed bytes cannot back (before anything is inflated). */
export function checkDeclared(m: ZipMember, file: string): void {
  const at = `${file}: member "${m.name}"`;
  if (m.method !== 0 && m.method !== 8) throw new McError('UNSUPPORTED', `${at}: compression method ${m.method} (supported: stored, deflate)`);
  if (m.method === 0 && m.size !== m.compressedSize) throw new McError('SIZE_MISMATCH', `${at}: stored member declares ${m.size} bytes, holds ${m.compressedSize}`);
  if (m.method === 8 && m.size > MAX_RATIO * m.compressedSize + RATIO_SLACK) {
    throw new McError('SIZE_MISMATCH', `${at}: declares ${m.size} bytes from ${m.compressedSize} compressed, more than deflate can produce (a deflate bomb or a corrupt archive)`);
  }
}

/** The bytes of one member (checked with checkDeclared first), inflated into exactly its declared size; the CRC-32 must match. */
export function memberBytes(bytes: Uint8Array, m: ZipMember, file: string): Uint8Array {
  checkDeclared(m, file);
  const at = `${file}: member "${m.name}"`;
  const from = dataStart(bytes, m);
  const src = bytes.subarray(from, from + m.compressedSize);
  let out: Uint8Array;
  if (m.method === 0) out = src.slice();
  else {
    out = new Uint8Array(m.size);
    let written = 0;
    const inflater = new Inflate((chunk) => {
      if (chunk.length > m.size - written) throw new McError('SIZE_MISMATCH', `${at}: inflates to more than its declared ${m.size} bytes`);
      out.set(chunk, written);
      written += chunk.length;
    });
    try {
      for (let p = 0; p < src.length || p === 0; p += CHUNK) inflater.push(src.subarray(p, p + CHUNK), p + CHUNK >= src.length);
    } catch (e) {
      if (e instanceof McError) throw e;
      throw new McError('BAD_VALUE', `${at}: corrupt deflate data (${(e as Error).message})`);
    }
    if (written !== m.size) throw new McError('SIZE_MISMATCH', `${at}: inflates to ${written} bytes, declares ${m.size}`);
  }
  if (crc32(out) !== m.crc) throw new McError('BAD_VALUE', `${at}: CRC-32 mismatch (a corrupt archive)`);
  return out;
}
