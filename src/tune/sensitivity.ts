/**
 * Per-tensor sensitivity: the damage when only one tensor changes, for every candidate
 * encoding of it, without a full-model run per candidate.
 *
 * Method (docs/tune.md): each tensor is probed once: seeded Gaussian noise with the
 * energy of int8 per-channel rounding (per output channel, std = max|w| / 127 / sqrt(12))
 * is put into that tensor alone and the model runs on the inputs. The probe gives, for
 * every output o and sample s, the output error energy per unit of weight noise energy,
 * g[o][s]. For small errors the output error is linear in the weight change, so a
 * candidate whose values differ from the original by noise energy N (measured exactly,
 * by running the candidate through the pipeline) is predicted to cause the error energy
 * g[o][s] * N: its cosine 1 / sqrt(1 + g N / |y|^2) (the error taken orthogonal to the
 * output, the pessimistic case) and its SQNR. Cost: one full-model run per tensor instead
 * of one per candidate. `full: true` measures every candidate with a full run as well, to
 * check the prediction (and gives accuracy drops, which the proxy does not predict).
 */
import type { Model } from '../model/load.js';
import type { Reference, Target } from './capture.js';
import { type CandidateOptions, type Tried, candidatesFor, tryCandidate } from './candidates.js';
import type { PlanEvaluator } from './evaluate.js';

/** Figures of one tensor change: measured by a full run, or predicted from the probe. */
export interface Damage {
  cosineMin: number;
  /** Worst SQNR over outputs in dB; null when the outputs did not change. */
  sqnrDb: number | null;
  /** Accuracy lost on the label output (measured runs with labels only). */
  accuracyDrop: number | null;
}

/** One candidate of one tensor. */
export interface CandidateEffect extends Tried {
  /** Bytes saved against keeping the tensor as it is. */
  saves: number;
  predicted: Damage;
  /** Present when it was measured by a full run (`full`, or the probe's own figures). */
  measured?: Damage;
}

/** The sensitivity of one tensor. */
export interface TensorSensitivity {
  name: string;
  shape: number[];
  /** Bytes of its section when kept. */
  keepBytes: number;
  /** The probe: its noise energy and the damage it measured. */
  probe: { noise: number } & Damage;
  /** max over outputs and samples of g[o][s] / |y[o][s]|^2: relative output error energy per unit of weight noise. */
  gain: number;
  /** max over outputs of sum_s g[o][s] / sum_s |y[o][s]|^2: the same for the output's whole error energy (1 / SQNR per unit of noise). */
  energyGain: number;
  /** Per output, per sample: output error energy per unit of weight noise energy. */
  gains: Float64Array[];
  candidates: CandidateEffect[];
}

/** Options of measureSensitivity. */
export interface SensitivityOptions extends CandidateOptions {
  /** Measure every candidate with a full-model run too (slow; checks the prediction). */
  full?: boolean;
  /** Called before each tensor. */
  onProgress?: (done: number, total: number, name: string) => void;
}

/** Everything measureSensitivity found, tensors most sensitive first. */
export interface Sensitivity {
  tensors: TensorSensitivity[];
  /** Full-model runs it took (the reference run not counted). */
  runs: number;
  method: 'probe' | 'probe+full';
}

/** A small seeded generator (mulberry32), so probes are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The probe's values: the original plus seeded Gaussian noise scaled per output channel as int8 rounding would be. */
export function probeValues(t: Target): { values: Float32Array; noise: number } {
  const v = t.values;
  const inner = t.axis === null ? v.length : t.shape.slice(t.axis + 1).reduce((a, b) => a * b, 1);
  const dim = t.axis === null ? 1 : t.shape[t.axis];
  const channelOf = (i: number) => (t.axis === null ? 0 : Math.floor(i / inner) % dim);
  const max = new Float64Array(dim);
  for (let i = 0; i < v.length; i++) {
    const c = channelOf(i);
    const a = Math.abs(v[i]);
    if (a > max[c] && Number.isFinite(a)) max[c] = a;
  }
  const r = rng(hash(t.name));
  const out = new Float32Array(v.length);
  let noise = 0;
  for (let i = 0; i < v.length; i++) {
    // Box-Muller; one of the pair is enough here.
    const g = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    out[i] = v[i] + g * (max[channelOf(i)] / 127 / Math.sqrt(12));
    const d = out[i] - v[i];
    noise += d * d;
  }
  return { values: out, noise };
}

/** Output error energy per output and sample of `heads` against the reference. */
export function errorEnergy(ref: Reference, heads: { values: Float32Array }[]): Float64Array[] {
  return ref.outputs.map((o, k) => {
    const n = ref.data.samples;
    const width = n ? o.values.length / n : 0;
    const e = new Float64Array(n);
    const c = heads[k].values;
    for (let s = 0; s < n; s++) {
      let sum = 0;
      for (let i = s * width, end = i + width; i < end; i++) {
        const d = c[i] - o.values[i];
        sum += d * d;
      }
      e[s] = sum;
    }
    return e;
  });
}

/** Predicted damage of weight noise energy `noise` from a tensor's gains. */
export function predictDamage(ref: Reference, gains: Float64Array[], noise: number): Damage {
  let cosineMin = 1;
  let sqnr: number | null = null;
  for (const [k, g] of gains.entries()) {
    let signal = 0;
    let err = 0;
    for (let s = 0; s < g.length; s++) {
      const y = ref.energy[k][s];
      const e = g[s] * noise;
      signal += y;
      err += e;
      const cos = e === 0 ? 1 : y === 0 ? 0 : 1 / Math.sqrt(1 + e / y);
      if (cos < cosineMin) cosineMin = cos;
    }
    if (err > 0) {
      const db = signal > 0 ? 10 * Math.log10(signal / err) : -200;
      sqnr = sqnr === null ? db : Math.min(sqnr, db);
    }
  }
  return { cosineMin, sqnrDb: sqnr, accuracyDrop: null };
}

/** max over outputs and samples of g / |y|^2 (samples whose output is all zeros are skipped: no relative error is defined there). */
function relativeGain(ref: Reference, gains: Float64Array[]): number {
  let m = 0;
  for (const [k, g] of gains.entries()) {
    for (let s = 0; s < g.length; s++) {
      const y = ref.energy[k][s];
      if (y > 0 && g[s] / y > m) m = g[s] / y;
    }
  }
  return m;
}

/** max over outputs of the output's error energy over its signal energy, per unit of noise. */
function energyGainOf(ref: Reference, gains: Float64Array[]): number {
  let m = 0;
  for (const [k, g] of gains.entries()) {
    let ge = 0;
    let ye = 0;
    for (let s = 0; s < g.length; s++) {
      ge += g[s];
      ye += ref.energy[k][s];
    }
    if (ye > 0 && ge / ye > m) m = ge / ye;
  }
  return m;
}

/** Measure the sensitivity of every target on `ref`'s inputs. */
export async function measureSensitivity(model: Model, targets: Target[], ev: PlanEvaluator, ref: Reference, opts: SensitivityOptions = {}): Promise<Sensitivity> {
  const runs0 = ev.runs;
  const out: TensorSensitivity[] = [];
  for (const [i, t] of targets.entries()) {
    opts.onProgress?.(i, targets.length, t.name);
    const probe = probeValues(t);
    ev.loadValues(t, probe.values);
    const pm = await ev.measure(ref, `${t.name} (probe)`);
    ev.restore(t);
    const energy = errorEnergy(ref, pm.heads);
    const gains = energy.map((e) => e.map((x) => (probe.noise > 0 ? x / probe.noise : 0)));
    const tried = candidatesFor(t, opts).map((c) => tryCandidate(model, t, c));
    const keepBytes = tried[0].bytes;
    const candidates: CandidateEffect[] = [];
    for (const c of tried) {
      const row: CandidateEffect = { ...c, saves: keepBytes - c.bytes, predicted: predictDamage(ref, gains, c.noise) };
      if (opts.full && c.noise > 0) {
        const m = await ev.evaluate(new Map([[t.name, c.step]]), ref, `${t.name}: ${c.label}`);
        row.measured = { cosineMin: m.metrics.cosineMin, sqnrDb: m.metrics.sqnrDb, accuracyDrop: m.accuracyDrop };
      }
      candidates.push(row);
    }
    ev.load(new Map());
    out.push({
      name: t.name,
      shape: t.shape,
      keepBytes,
      probe: { noise: probe.noise, cosineMin: pm.metrics.cosineMin, sqnrDb: pm.metrics.sqnrDb, accuracyDrop: pm.accuracyDrop },
      gain: relativeGain(ref, gains),
      energyGain: energyGainOf(ref, gains),
      gains,
      candidates,
    });
  }
  opts.onProgress?.(targets.length, targets.length, 'done');
  // Most sensitive first: the worst cosine the probe measured (the same relative noise for every tensor).
  out.sort((a, b) => a.probe.cosineMin - b.probe.cosineMin || b.gain - a.gain);
  return { tensors: out, runs: ev.runs - runs0, method: opts.full ? 'probe+full' : 'probe' };
}
