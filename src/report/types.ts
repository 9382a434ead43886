/**
 * The report's JSON contract, schemaVersion 2 (docs/report.md). Version 2 replaced the
 * first output's figures by the worst output's: schemaVersion 1 reported `metrics.cosine`
 * (a mean over samples of the first output), which hid a damaged second output; v2 gives
 * `cosineMin` / `cosineMean` / `sqnrDb` per output and their worst in the headline.
 */
import type { BackendName } from '../eval/backend.js';
import type { Sizes } from '../size.js';
import type { BudgetResult } from './budgets.js';
import type { NetworkProfile } from './transfer.js';

/** Transfer encodings a server may use. */
export type Encoding = 'br' | 'gzip' | 'none';

/**
 * Fidelity figures of a candidate against the original. Per output they are that output's;
 * in a model's headline each is the worst over outputs (accuracy: the label output's).
 */
export interface Fidelity {
  /** Top-1 accuracy against the labels, on the output the labels belong to; otherwise null. */
  accuracy: number | null;
  /** Fraction of samples whose top-1 class equals the original's; null when no output is a class vector. */
  agreement: number | null;
  /** Smallest cosine similarity over samples (and outputs). */
  cosineMin: number;
  /** Mean cosine similarity over samples (headline: the smallest per-output mean). */
  cosineMean: number;
  /** 10·log10(Σy² / Σ(y−ŷ)²) over every sample and value (headline: the smallest); null when identical (infinite). */
  sqnrDb: number | null;
  /** Largest absolute difference of any value. */
  maxAbsError: number;
}

/** Fidelity of one output of a candidate against the same output of the original. */
export interface OutputMetrics extends Fidelity {
  /** The output's name (signature key or output node / layer name). */
  name: string;
  /** Shape of one sample of this output (without the batch dimension). */
  shape: number[];
  /** The sample with the smallest cosine (index into the data). */
  worstSample: number;
}

/** A candidate's fidelity: the worst output in the headline, every output below. */
export interface Metrics extends Fidelity {
  /** Where cosineMin was found. */
  worst: { output: string; sample: number };
  outputs: OutputMetrics[];
}

/** One served file. For a container, gzip and brotli equal raw: it is served as is. */
export interface FileReport {
  file: string;
  raw: number;
  gzip: number;
  brotli: number;
}

/**
 * One model on one network profile, measured in headless Chromium (`report --browser`):
 * the median of the runs, in ms. The simulation stays in `transfer[profile].ms`.
 */
export interface BrowserTiming {
  /** From the first request to the last byte of the model's files, under DevTools throttling. */
  transferMs: number;
  /** The .mcz loader's parse and decode (0 for a stock model: tfjs reads its weights as they are). */
  decodeMs: number;
  /** tf.loadLayersModel / tf.loadGraphModel from the loaded artifacts: topology and weight upload. */
  buildMs: number;
  /** The first prediction of one sample, with its result read: kernel set-up, shader compilation, wasm memory growth. */
  firstPredictionMs: number;
  /** transfer + decode + build + first prediction (the median of each run's own sum). */
  timeToFirstPredictionMs: number;
  /** Steady-state latency of one prediction of one sample, after the first. */
  predictionMs: number;
}

/** How the browser figures were measured (the report's `browser`). */
export interface BrowserInfo {
  /** Chromium's version. */
  chromium: string;
  backend: 'wasm' | 'webgl' | 'cpu';
  runs: number;
  protocol: 'HTTP/1.1';
  throttling: 'devtools';
  /** Median time tf.setBackend took, before throttling starts (the same for every model; not in the sums). */
  backendInitMs: number;
  /** Files sent without their transfer encoding because Chromium did not accept it (normally absent). */
  unencoded?: string[];
}

/** One model's row of the report. */
export interface ModelReport {
  name: string;
  role: 'original' | 'candidate';
  path?: string;
  recipe?: unknown;
  /** True when the model is one self-contained container (.mcz). */
  container: boolean;
  /** True when its files are already entropy coded and served without transfer encoding (.mcz). */
  servedAsIs: boolean;
  files: FileReport[];
  sizes: Sizes;
  transfer: Record<string, { ms: number }>;
  /** Measured in Chromium per profile (`report --browser` only; null for a weights-only manifest). */
  browser?: Record<string, BrowserTiming> | null;
  /** Null for a weights-only manifest (no topology to run). */
  metrics: Metrics | null;
  delta: { accuracyDrop: number | null; sizeReduction: number };
}

/** The report. */
export interface Report {
  schemaVersion: 2;
  passed: boolean;
  backend: BackendName;
  encoding: Encoding;
  /** Where the fidelity figures come from: real data, seeded synthetic inputs, or none (weights-only). */
  inputs: 'data' | 'synthetic' | 'none';
  data: {
    source: string;
    samples: number;
    labels: boolean;
    synthetic: boolean;
    /** The output the labels (and accuracy) refer to, or null without labels. */
    labelOutput: string | null;
  };
  networks: NetworkProfile[];
  /** How the browser figures were measured (`report --browser` only). */
  browser?: BrowserInfo;
  models: ModelReport[];
  budgets: BudgetResult[];
  /** Plain-language notes the renderers print (synthetic inputs, weights-only, .mcz served as is). */
  notes: string[];
}
