/**
 * The shared sample images as float RGB arrays, and the crop / flip / bilinear resize the
 * zoo's inputs are made with. Pixels stay 0..255 (faces 0..1, as the .npy stores them);
 * each model's own scaling is applied afterwards (scripts/zoo/models.mjs).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** An RGB image: `data` is height × width × 3, row-major. */
export class Rgb {
  constructor(width, height, data) {
    this.width = width;
    this.height = height;
    this.data = data;
  }
}

/** Decode a .png or .jpg of `dir` into RGB 0..255; transparent pixels are composited over white (the logo). */
export function loadImage(dir, name) {
  const file = path.join(dir, name);
  const bytes = readFileSync(file);
  const img = name.endsWith('.png') ? PNG.sync.read(bytes) : jpeg.decode(bytes, { useTArray: true, maxMemoryUsageInMB: 1024 });
  const n = img.width * img.height;
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const a = img.data[i * 4 + 3] / 255;
    for (let c = 0; c < 3; c++) out[i * 3 + c] = img.data[i * 4 + c] * a + 255 * (1 - a);
  }
  return new Rgb(img.width, img.height, out);
}

/** Read a little-endian float64 C-order .npy (lfw_subset.npy) as { shape, values }. */
export function readNpyF8(file) {
  const b = readFileSync(file);
  const len = b.readUInt16LE(8);
  const header = b.subarray(10, 10 + len).toString('latin1');
  if (!header.includes("'<f8'") || header.includes('True')) throw new Error(`${file}: expected a C-order '<f8' .npy`);
  const shape = /\(([^)]*)\)/.exec(header)[1].split(',').filter((s) => s.trim()).map(Number);
  const count = shape.reduce((a, d) => a * d, 1);
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) values[i] = b.readDoubleLE(10 + len + i * 8);
  return { shape, values };
}

/** Face `i` of lfw_subset.npy (greyscale 0..1) as RGB with R = G = B, values 0..1. */
export function faceRgb(faces, i) {
  const [, h, w] = faces.shape;
  const out = new Float32Array(h * w * 3);
  for (let p = 0; p < h * w; p++) {
    const v = faces.values[i * h * w + p];
    out[p * 3] = v;
    out[p * 3 + 1] = v;
    out[p * 3 + 2] = v;
  }
  return new Rgb(w, h, out);
}

/**
 * Bilinear crop-and-resize of the box (x, y, w, h in source pixels) to outW × outH, written
 * into `out` at `offset`, sampling pixel centres the way tf.image.resizeBilinear does with
 * halfPixelCenters; `flip` mirrors left-right. Samples outside the image clamp to the edge.
 */
export function cropResize(img, box, outW, outH, out, offset, flip = false) {
  const sx = box.w / outW;
  const sy = box.h / outH;
  const maxX = img.width - 1;
  const maxY = img.height - 1;
  for (let oy = 0; oy < outH; oy++) {
    const fy = Math.min(maxY, Math.max(0, box.y + (oy + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(maxY, y0 + 1);
    const wy = fy - y0;
    for (let ox = 0; ox < outW; ox++) {
      const srcX = flip ? outW - 1 - ox : ox;
      const fx = Math.min(maxX, Math.max(0, box.x + (srcX + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(maxX, x0 + 1);
      const wx = fx - x0;
      const o = offset + (oy * outW + ox) * 3;
      for (let c = 0; c < 3; c++) {
        const a = img.data[(y0 * img.width + x0) * 3 + c];
        const b = img.data[(y0 * img.width + x1) * 3 + c];
        const d = img.data[(y1 * img.width + x0) * 3 + c];
        const e = img.data[(y1 * img.width + x1) * 3 + c];
        out[o + c] = (a * (1 - wx) + b * wx) * (1 - wy) + (d * (1 - wx) + e * wx) * wy;
      }
    }
  }
}

/**
 * `count` square boxes over an image, deterministic: the whole image's largest centred
 * square first, then smaller squares (3/4, 1/2 and 1/3 of the short side) on a grid.
 */
export function squareBoxes(img, count) {
  const s = Math.min(img.width, img.height);
  const boxes = [{ x: (img.width - s) / 2, y: (img.height - s) / 2, w: s, h: s }];
  for (const f of [0.75, 0.5, 1 / 3]) {
    const side = s * f;
    const steps = Math.round(1 / f);
    for (let j = 0; j <= steps; j++) {
      for (let i = 0; i <= steps; i++) {
        boxes.push({ x: ((img.width - side) * i) / steps, y: ((img.height - side) * j) / steps, w: side, h: side });
      }
    }
  }
  if (boxes.length < count) throw new Error(`squareBoxes: ${count} boxes asked, ${boxes.length} available`);
  return boxes.slice(0, count);
}
