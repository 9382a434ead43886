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
import { type ProbeJob, probeAll } from './probe.js';

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
  /** Called as each tensor's probe is done. */
  onProgress?: (done: number, total: number, name: string) => void;
  /** Probe on worker threads: what they need to open the model, and how many (0: on this thread). */
  parallel?: { job: Omit<ProbeJob, 'names' | 'data' | 'outputs' | 'energy'>; threads: number };
}

/** Everything measureSensitivity found, tensors most sensitive first. */
export interface Sensitivity {
  tensors: TensorSensitivity[];
  /** Full-model runs it took (the reference run not counted). */
  runs: number;
  method: 'probe' | 'probe+full';
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
  // This thread measures every candidate's bytes and noise while the worker threads start probing, then probes too.
  const triedAll: Tried[][] = [];
  const measure = async () => {
    for (const t of targets) {
      const row: Tried[] = [];
      for (const c of candidatesFor(t, opts)) {
        row.push(tryCandidate(model, t, c));
        // Let the workers' messages in between candidates, so that each gets its next tensor without waiting.
        if (opts.parallel?.threads) await new Promise((r) => setImmediate(r));
      }
      triedAll.push(row);
    }
  };
  const probing = probeAll(targets, ev, ref, opts.parallel?.job ?? { model: '', backend: 'wasm', minElements: 0, labelAt: 0 }, opts.parallel?.threads ?? 0, opts.onProgress, measure);
  const probes = await probing;
  for (const [i, t] of targets.entries()) {
    const pr = probes[i];
    const gains = pr.energy.map((e) => e.map((x) => (pr.noise > 0 ? x / pr.noise : 0)));
    const tried = triedAll[i];
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
      probe: { noise: pr.noise, cosineMin: pr.cosineMin, sqnrDb: pr.sqnrDb, accuracyDrop: pr.accuracyDrop },
      gain: relativeGain(ref, gains),
      energyGain: energyGainOf(ref, gains),
      gains,
      candidates,
    });
  }
  // Most sensitive first: the worst cosine the probe measured (the same relative noise for every tensor).
  out.sort((a, b) => a.probe.cosineMin - b.probe.cosineMin || b.gain - a.gain);
  // Probes on worker threads are not counted by this thread's evaluator.
  return { tensors: out, runs: ev.runs - runs0 + probes.filter((p) => p.remote).length, method: opts.full ? 'probe+full' : 'probe' };
}
