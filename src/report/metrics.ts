/**
 * Comparing a candidate's outputs with the original's, output by output and sample by
 * sample. The headline is the worst output: a damaged embedding must not hide behind a
 * healthy first output, nor a bad sample behind a good mean.
 */
import type { Metrics, OutputMetrics } from './types.js';

/** SQNR reported when the original output is all zeros and the candidate's is not. */
export const SQNR_FLOOR_DB = -200;

/** Top-1 class of each sample (`outputs` is samples × classes). */
export function topClasses(outputs: Float32Array, classes: number): Int32Array {
  const n = classes ? outputs.length / classes : 0;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (outputs[i * classes + c] > outputs[i * classes + best]) best = c;
    out[i] = best;
  }
  return out;
}

/**
 * True when rows of `values` (samples × width) look like class probabilities: every value
 * in [0, 1] and every row summing to 1 (softmax output). Such an output is a class vector
 * even without labels, so top-1 agreement means something on it.
 */
export function isDistribution(values: Float32Array, width: number): boolean {
  if (width < 2 || values.length === 0) return false;
  for (let i = 0; i < values.length; i += width) {
    let s = 0;
    for (let c = 0; c < width; c++) {
      const v = values[i + c];
      if (!(v >= 0 && v <= 1)) return false;
      s += v;
    }
    if (Math.abs(s - 1) > 1e-3) return false;
  }
  return true;
}

/** One output of the original and of a candidate over every sample. */
export interface OutputPair {
  name: string;
  /** Shape of one sample of the output. */
  shape: number[];
  base: Float32Array;
  cand: Float32Array;
}

/**
 * Fidelity of one output. `labels` are given only for the output they belong to; top-1
 * agreement is computed when the output is a class vector: one axis of at least two
 * values that is either the label output or a probability distribution in the original.
 */
export function compareOutput(p: OutputPair, labels: Int32Array | null): OutputMetrics {
  const width = p.shape.reduce((a, b) => a * b, 1);
  const n = width ? p.base.length / width : 0;
  const classVector = p.shape.length === 1 && width >= 2 && (labels !== null || isDistribution(p.base, width));
  let agree = 0;
  let correct = 0;
  let cosSum = 0;
  let cosMin = 1;
  let worst = 0;
  let maxAbs = 0;
  let signal = 0;
  let noise = 0;
  const tb = classVector ? topClasses(p.base, width) : null;
  const tc = classVector ? topClasses(p.cand, width) : null;
  for (let i = 0; i < n; i++) {
    if (tb && tc) {
      if (tb[i] === tc[i]) agree++;
      if (labels && tc[i] === labels[i]) correct++;
    }
    let dot = 0;
    let na = 0;
    let nb = 0;
    let err = 0;
    for (let c = i * width, end = c + width; c < end; c++) {
      const a = p.base[c];
      const b = p.cand[c];
      dot += a * b;
      na += a * a;
      nb += b * b;
      const d = a - b;
      err += d * d;
      const ad = Math.abs(d);
      if (ad > maxAbs || Number.isNaN(ad)) maxAbs = ad;
    }
    signal += na;
    noise += err;
    // Two zero vectors are identical; one zero vector is orthogonal to anything; NaN is as bad as it gets.
    let cos = na === 0 && nb === 0 ? 1 : na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
    if (Number.isNaN(cos)) cos = -1;
    cos = Math.min(1, Math.max(-1, cos));
    cosSum += cos;
    if (cos < cosMin) {
      cosMin = cos;
      worst = i;
    }
  }
  let sqnrDb: number | null = null;
  if (Number.isNaN(noise)) sqnrDb = SQNR_FLOOR_DB;
  else if (noise > 0) sqnrDb = signal > 0 ? Math.max(SQNR_FLOOR_DB, 10 * Math.log10(signal / noise)) : SQNR_FLOOR_DB;
  return {
    name: p.name,
    shape: p.shape,
    accuracy: labels && classVector ? (n ? correct / n : 0) : null,
    agreement: classVector ? (n ? agree / n : 1) : null,
    cosineMin: cosMin,
    cosineMean: n ? cosSum / n : 1,
    sqnrDb,
    maxAbsError: maxAbs,
    worstSample: worst,
  };
}

const minOf = (xs: (number | null)[]): number | null => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? Math.min(...v) : null;
};

/** The headline: the worst output for every figure; accuracy from the label output. */
export function combineOutputs(outputs: OutputMetrics[], labelOutput: number | null): Metrics {
  let w = 0;
  for (let k = 1; k < outputs.length; k++) if (outputs[k].cosineMin < outputs[w].cosineMin) w = k;
  return {
    accuracy: labelOutput === null ? null : outputs[labelOutput].accuracy,
    agreement: minOf(outputs.map((o) => o.agreement)),
    cosineMin: outputs[w].cosineMin,
    cosineMean: Math.min(...outputs.map((o) => o.cosineMean)),
    // Identical outputs (null) are better than any finite SQNR.
    sqnrDb: minOf(outputs.map((o) => o.sqnrDb)),
    maxAbsError: Math.max(...outputs.map((o) => o.maxAbsError)),
    worst: { output: outputs[w].name, sample: outputs[w].worstSample },
    outputs,
  };
}
