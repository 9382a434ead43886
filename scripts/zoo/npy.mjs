/**
 * Writing NumPy arrays: .npy (format 1.0, C order, little-endian float32 '<f4' or float16
 * '<f2') and .npz (an uncompressed zip of one .npy per key, as numpy.savez writes it).
 */

const HALF_SCRATCH = new DataView(new ArrayBuffer(4));

/** float32 → IEEE half bits, round to nearest even (values here are small, finite pixels). */
function toHalf(v) {
  HALF_SCRATCH.setFloat32(0, v);
  const x = HALF_SCRATCH.getUint32(0);
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && r & 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && r & 1)) r++;
  return sign | r;
}

/** The bytes of a .npy holding `values` (float32) with `shape`, stored as '<f4' or '<f2'. */
export function npyBytes(shape, values, descr = '<f4') {
  const count = shape.reduce((a, d) => a * d, 1);
  if (count !== values.length) throw new Error(`npyBytes: shape [${shape}] holds ${count} values, found ${values.length}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // numpy pads the header with spaces so the data starts on a 64-byte boundary, ending in \n.
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const size = descr === '<f2' ? 2 : 4;
  const out = new Uint8Array(10 + header.length + count * size);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const dv = new DataView(out.buffer);
  dv.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const at = 10 + header.length;
  if (descr === '<f2') for (let i = 0; i < count; i++) dv.setUint16(at + i * 2, toHalf(values[i]), true);
  else if (descr === '<f4') for (let i = 0; i < count; i++) dv.setFloat32(at + i * 4, values[i], true);
  else throw new Error(`npyBytes: unsupported dtype ${descr}`);
  return out;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The bytes of an .npz: `entries` maps a key to .npy bytes; each is stored (no compression)
 * as `<key>.npy`. A fixed timestamp keeps the output byte-identical between runs.
 */
export function npzBytes(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [key, data] of Object.entries(entries)) {
    const name = Buffer.from(`${key}.npy`, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30 + name.length);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(0, 10); // time 00:00
    local.writeUInt16LE(0x21, 12); // date 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    name.copy(local, 30);
    const central = Buffer.alloc(46 + name.length);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    name.copy(central, 46);
    locals.push(local, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    centrals.push(central);
    offset += local.length + data.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(centrals.length, 8);
  end.writeUInt16LE(centrals.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}
