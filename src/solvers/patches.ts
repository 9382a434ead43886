/**
 * A layer's input rows from its captured activations, folded into Hessians batch by
 * batch: Dense rows as they are (every leading position a row); Conv2D rows as im2col
 * patches in the kernel's [h, w, in] order (stride, padding and dilation as tfjs applies
 * them: 'same' pads floor(total / 2) before), so H is over the kernel's whole input
 * dimension; DepthwiseConv2D one [h, w] patch per channel into that channel's own H.
 *
 * Conv layers see many positions per sample; rows are taken at an even stride through
 * all positions of all samples so that one layer's accumulation costs at most about
 * `maxWork` multiply-adds, and never fewer than max(8 * dim, 1024) rows.
 */
import type { SolvableLayer } from '../eval/capture.js';
import { HessianAccumulator } from './hessian.js';

/** Default accumulation work per layer (multiply-adds). */
export const DEFAULT_CAPTURE_WORK = 5e8;

/** The geometry of one conv input: output size and padding before. */
function axisGeometry(size: number, k: number, stride: number, dilation: number, padding: 'same' | 'valid' | [number, number]): { out: number; before: number } {
  const span = (k - 1) * dilation + 1;
  if (padding === 'same') {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + span - size, 0);
    return { out, before: Math.floor(total / 2) };
  }
  if (padding === 'valid') return { out: Math.max(0, Math.floor((size - span) / stride) + 1), before: 0 };
  return { out: Math.max(0, Math.floor((size + padding[0] + padding[1] - span) / stride) + 1), before: padding[0] };
}

/** Accumulates a layer's input Hessian(s) from activation batches. */
export class LayerInputs {
  private readonly layer: SolvableLayer;
  private readonly samples: number;
  private readonly maxWork: number;
  /** One accumulator (dense, conv2d) or one per channel (depthwise). */
  private accs: HessianAccumulator[] = [];
  private step = 0;
  private counter = 0;
  private row = new Float64Array(0);
  private refRow = new Float64Array(0);
  /** Batches come with the uncompressed model's activation too (add's `ref`). */
  private readonly paired: boolean;

  /** For `layer`, over `samples` calibration samples in all; `paired`: every batch comes with its reference activation. */
  constructor(layer: SolvableLayer, samples: number, paired = false, maxWork = DEFAULT_CAPTURE_WORK) {
    this.layer = layer;
    this.samples = samples;
    this.paired = paired;
    this.maxWork = maxWork;
  }

  /** The input dimension of one row (dense, conv2d) or of one channel's row (depthwise). */
  get dim(): number {
    const s = this.layer.shape;
    if (this.layer.kind === 'dense') return this.layer.transposed ? s[1] : s[0];
    if (this.layer.kind === 'conv2d') return s[0] * s[1] * s[2];
    return s[0] * s[1];
  }

  /**
   * Rows are taken every `step` positions; fixed on the first batch from the positions per
   * sample. A position costs dim² / 2 multiply-adds per Hessian it feeds (one per channel
   * for depthwise), and dim² more for the cross term of paired batches.
   */
  private fix(positions: number, channels = 1): void {
    if (this.step > 0) return;
    const d = this.dim;
    const perRow = channels * d * d * (this.paired ? 1.5 : 0.5);
    const cap = Math.max(8 * d, 1024, Math.floor(this.maxWork / Math.max(1, perRow)));
    this.step = Math.max(1, Math.ceil((this.samples * positions) / cap));
  }

  /**
   * Fold one batch of the layer's input activation (NHWC for convs, [..., in] for Dense);
   * `ref` (paired only): the same batch's activation in the uncompressed model.
   */
  add(x: Float32Array, shape: number[], ref?: Float32Array): void {
    const l = this.layer;
    const d = this.dim;
    const pair = this.paired && ref !== undefined;
    if (l.kind === 'dense') {
      if (this.accs.length === 0) this.accs = [new HessianAccumulator(d, this.paired)];
      const rows = x.length / d;
      const per = shape.length > 1 ? rows / shape[0] : rows;
      this.fix(per);
      const acc = this.accs[0];
      for (let r = 0; r < rows; r++) {
        if (this.counter++ % this.step !== 0) continue;
        if (pair) acc.addPair(x, r * d, ref, r * d);
        else acc.addRows(x, 1, r * d);
      }
      return;
    }
    const [b, hIn, wIn, cIn] = shape;
    const [kh, kw] = l.shape;
    const conv = l.conv as NonNullable<SolvableLayer['conv']>;
    const p = conv.padding;
    const gy = axisGeometry(hIn, kh, conv.strides[0], conv.dilations[0], p === 'same' || p === 'valid' ? p : [p[0], p[1]]);
    const gx = axisGeometry(wIn, kw, conv.strides[1], conv.dilations[1], p === 'same' || p === 'valid' ? p : [p[2], p[3]]);
    const depthwise = l.kind === 'depthwise';
    this.fix(gy.out * gx.out, depthwise ? cIn : 1);
    if (this.accs.length === 0) this.accs = depthwise ? Array.from({ length: cIn }, () => new HessianAccumulator(d, this.paired)) : [new HessianAccumulator(d, this.paired)];
    const width = kh * kw * cIn;
    if (this.row.length < width) this.row = new Float64Array(width);
    if (pair && this.refRow.length < width) this.refRow = new Float64Array(width);
    const row = this.row;
    const refRow = this.refRow;
    const [sh, sw] = conv.strides;
    const [dh, dw] = conv.dilations;
    for (let s = 0; s < b; s++) {
      const base = s * hIn * wIn * cIn;
      for (let oy = 0; oy < gy.out; oy++) {
        for (let ox = 0; ox < gx.out; ox++) {
          if (this.counter++ % this.step !== 0) continue;
          // The patch in [i, j, c] order (conv2d), or [c][i, j] (depthwise: one row per channel).
          for (let i = 0; i < kh; i++) {
            const iy = oy * sh - gy.before + i * dh;
            for (let j = 0; j < kw; j++) {
              const ix = ox * sw - gx.before + j * dw;
              const inside = iy >= 0 && iy < hIn && ix >= 0 && ix < wIn;
              const src = base + (iy * wIn + ix) * cIn;
              const k = i * kw + j;
              if (depthwise) for (let c = 0; c < cIn; c++) row[c * d + k] = inside ? x[src + c] : 0;
              else for (let c = 0; c < cIn; c++) row[k * cIn + c] = inside ? x[src + c] : 0;
              if (pair && depthwise) for (let c = 0; c < cIn; c++) refRow[c * d + k] = inside ? ref[src + c] : 0;
              else if (pair) for (let c = 0; c < cIn; c++) refRow[k * cIn + c] = inside ? ref[src + c] : 0;
            }
          }
          if (pair && depthwise) for (let c = 0; c < cIn; c++) this.accs[c].addPair(row, c * d, refRow, c * d);
          else if (pair) this.accs[0].addPair(row, 0, refRow, 0);
          else if (depthwise) for (let c = 0; c < cIn; c++) this.accs[c].addRows(row, 1, c * d);
          else this.accs[0].addRows(row, 1, 0);
        }
      }
    }
  }

  /** The Hessians and mean inputs: one, or one per channel (depthwise). */
  results(): ReturnType<HessianAccumulator['result']>[] {
    return this.accs.map((a) => a.result());
  }
}
