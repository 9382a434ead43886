/** Comparing a candidate's outputs with the original's, sample by sample. */

/** Metrics of one model's outputs (the original's compared with itself). */
export interface Metrics {
  /** Top-1 accuracy against the labels, or null without labels (a fraction). */
  accuracy: number | null;
  /** Fraction of samples whose top-1 class equals the original's. */
  agreement: number;
  /** Mean over samples of the cosine similarity of the output vectors. */
  cosine: number;
  /** Largest absolute difference of any output value. */
  maxAbsError: number;
  /** For models with several outputs: the metrics of each (the fields above are the first output's). */
  outputs?: Metrics[];
}

/** Top-1 class of each sample. */
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

/** Metrics of `cand` against `base` (both samples × classes) and the labels. */
export function compareOutputs(base: Float32Array, cand: Float32Array, classes: number, labels: Int32Array | null): Metrics {
  const n = classes ? base.length / classes : 0;
  const tb = topClasses(base, classes);
  const tc = topClasses(cand, classes);
  let agree = 0;
  let correct = 0;
  let cosSum = 0;
  let maxAbs = 0;
  for (let i = 0; i < n; i++) {
    if (tb[i] === tc[i]) agree++;
    if (labels && tc[i] === labels[i]) correct++;
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let c = 0; c < classes; c++) {
      const a = base[i * classes + c];
      const b = cand[i * classes + c];
      dot += a * b;
      na += a * a;
      nb += b * b;
      const d = Math.abs(a - b);
      if (d > maxAbs) maxAbs = d;
    }
    // Two zero vectors are identical; one zero vector is orthogonal to anything.
    cosSum += na === 0 && nb === 0 ? 1 : na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
  }
  return {
    accuracy: labels ? (n ? correct / n : 0) : null,
    agreement: n ? agree / n : 1,
    cosine: n ? cosSum / n : 1,
    maxAbsError: maxAbs,
  };
}
