/**
 * Writing NumPy files in tests, independently of the readers: .npy as NumPy's
 * format.write_array lays it out (magic, version 1.0, a dict header padded with spaces to
 * a multiple of 64 bytes, then the data), and zip archives by hand for what fflate's
 * zipSync does not write (ZIP64 records, as Python's zipfile writes them for NumPy).
 */
import { crc32 } from '../../src/mcz/crc32.js';

/** Bytes of a .npy file: `descr` such as '<f4' or '>i8', values written in that dtype; `header` overrides the dict text. */
export function npyBytes(descr: string, shape: number[], values: ArrayLike<number | bigint>, opts: { fortran?: boolean; header?: string; version?: number } = {}): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  const dict = opts.header ?? `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': (${dims}), }`;
  const version = opts.version ?? 1;
  const start = version === 1 ? 10 : 12;
  const padded = dict + ' '.repeat((64 - ((start + dict.length + 1) % 64)) % 64) + '\n';
  const m = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  const size = m ? Number(m[3]) : 4;
  const out = new Uint8Array(start + padded.length + values.length * size);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, padded.length, true);
  else dv.setUint32(8, padded.length, true);
  for (let i = 0; i < padded.length; i++) out[start + i] = padded.charCodeAt(i);
  const le = !m || m[1] !== '>';
  const at = start + padded.length;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const p = at + i * size;
    const kind = m ? m[2] + m[3] : 'f4';
    if (kind === 'f4') dv.setFloat32(p, Number(v), le);
    else if (kind === 'f8') dv.setFloat64(p, Number(v), le);
    else if (kind === 'f2') dv.setUint16(p, Number(v), le); // raw float16 bits
    else if (kind === 'i1') dv.setInt8(p, Number(v));
    else if (kind === 'u1' || kind === 'b1') dv.setUint8(p, Number(v));
    else if (kind === 'i2') dv.setInt16(p, Number(v), le);
    else if (kind === 'u2') dv.setUint16(p, Number(v), le);
    else if (kind === 'i4') dv.setInt32(p, Number(v), le);
    else if (kind === 'u4') dv.setUint32(p, Number(v), le);
    else if (kind === 'i8') dv.setBigInt64(p, BigInt(v), le);
    else if (kind === 'u8') dv.setBigUint64(p, BigInt(v), le);
  }
  return out;
}

/** One member of a hand-built zip: stored bytes (the tests deflate with fflate when they need it). */
export interface RawMember {
  name: string;
  /** The bytes as stored in the archive (compressed already when method is 8). */
  data: Uint8Array;
  method?: number;
  /** Uncompressed size and CRC to declare (default: those of `data`, for stored members). */
  size?: number;
  crc?: number;
}

/**
 * A zip archive of `members` laid out as Python's zipfile does for np.savez: each local
 * header with ZIP64 sizes (0xffffffff, real sizes in a ZIP64 extra field); with
 * `zip64Directory`, the central directory's sizes and the end record go through ZIP64
 * records too (as for archives over 4 GiB).
 */
export function zipBytes(members: RawMember[], opts: { zip64Directory?: boolean } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const enc = new TextEncoder();
  for (const m of members) {
    const name = enc.encode(m.name);
    const size = m.size ?? m.data.length;
    const crc = m.crc ?? crc32(m.data);
    const local = new Uint8Array(30 + name.length + 20);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 45, true);
    lv.setUint16(8, m.method ?? 0, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, 0xffffffff, true);
    lv.setUint32(22, 0xffffffff, true);
    lv.setUint16(26, name.length, true);
    lv.setUint16(28, 20, true);
    local.set(name, 30);
    lv.setUint16(30 + name.length, 1, true);
    lv.setUint16(32 + name.length, 16, true);
    lv.setBigUint64(34 + name.length, BigInt(size), true);
    lv.setBigUint64(42 + name.length, BigInt(m.data.length), true);
    const z64 = opts.zip64Directory;
    const cd = new Uint8Array(46 + name.length + (z64 ? 28 : 0));
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 45, true);
    cv.setUint16(6, 45, true);
    cv.setUint16(10, m.method ?? 0, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, z64 ? 0xffffffff : m.data.length, true);
    cv.setUint32(24, z64 ? 0xffffffff : size, true);
    cv.setUint16(28, name.length, true);
    cv.setUint16(30, z64 ? 28 : 0, true);
    cv.setUint32(42, z64 ? 0xffffffff : offset, true);
    cd.set(name, 46);
    if (z64) {
      const e = 46 + name.length;
      cv.setUint16(e, 1, true);
      cv.setUint16(e + 2, 24, true);
      cv.setBigUint64(e + 4, BigInt(size), true);
      cv.setBigUint64(e + 12, BigInt(m.data.length), true);
      cv.setBigUint64(e + 20, BigInt(offset), true);
    }
    parts.push(local, m.data);
    central.push(cd);
    offset += local.length + m.data.length;
  }
  const cdSize = central.reduce((n, c) => n + c.length, 0);
  const tail: Uint8Array[] = [...central];
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  if (opts.zip64Directory) {
    const z = new Uint8Array(56 + 20);
    const zv = new DataView(z.buffer);
    zv.setUint32(0, 0x06064b50, true);
    zv.setBigUint64(4, 44n, true);
    zv.setUint16(12, 45, true);
    zv.setUint16(14, 45, true);
    zv.setBigUint64(24, BigInt(members.length), true);
    zv.setBigUint64(32, BigInt(members.length), true);
    zv.setBigUint64(40, BigInt(cdSize), true);
    zv.setBigUint64(48, BigInt(offset), true);
    zv.setUint32(56, 0x07064b50, true);
    zv.setBigUint64(64, BigInt(offset + cdSize), true);
    zv.setUint32(72, 1, true);
    tail.push(z);
    ev.setUint16(8, 0xffff, true);
    ev.setUint16(10, 0xffff, true);
    ev.setUint32(12, 0xffffffff, true);
    ev.setUint32(16, 0xffffffff, true);
  } else {
    ev.setUint16(8, members.length, true);
    ev.setUint16(10, members.length, true);
    ev.setUint32(12, cdSize, true);
    ev.setUint32(16, offset, true);
  }
  tail.push(eocd);
  const all = [...parts, ...tail];
  const out = new Uint8Array(all.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of all) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
