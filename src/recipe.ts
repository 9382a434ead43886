import { McError } from './errors.js';
import { parsePattern, parseSparsity } from './passes/prune.js';
import { QUANTIZER_NAMES } from './passes/registry.js';
import { parseCount } from './units.js';

/**
 * A recipe: which passes to run with which options. CLI flags and config are validated
 * into a Recipe before any weight is read (plan, then execute).
 */

/** The quantizers, by the name `--quantize` / `--dtype` takes (`cluster` is named `cluster<K>` there). */
export type QuantizerName = 'float16' | 'int8' | 'uint8' | 'uint16' | 'int2' | 'int3' | 'int4' | 'int5' | 'int6' | 'int7' | 'cluster';

/** The intN group codecs below 8 bits (int8 is one too when given a group size). */
export const INTN_NAMES: readonly QuantizerName[] = ['int2', 'int3', 'int4', 'int5', 'int6', 'int7'];

/** Group size of int2..int7 when none is given: 64 weights per scale (the GPTQ default; 0.25 bits a weight of float16 scales). */
export const DEFAULT_GROUP_SIZE = 64;

/** Bits of an intN group codec step (int2..int7, or int8 with a group size), else null. */
export function intnBits(q: Pick<QuantizeStep, 'dtype' | 'groupSize'>): number | null {
  if (INTN_NAMES.includes(q.dtype)) return Number(q.dtype.slice(3));
  return q.dtype === 'int8' && q.groupSize != null ? 8 : null;
}

/** The group size an intN step encodes with: its own, 64 when absent, Infinity (one group per channel) when null. */
export function groupSizeOf(q: Pick<QuantizeStep, 'groupSize'>): number {
  return q.groupSize === undefined ? DEFAULT_GROUP_SIZE : q.groupSize === null ? Infinity : q.groupSize;
}

/** N:M structured pattern, or unstructured magnitude pruning. */
export type PrunePattern = 'unstructured' | { n: number; m: number };

/** Options of the quantize step. */
export interface QuantizeStep {
  dtype: QuantizerName;
  /** int8: one scale per output channel (stored in .mcz only); cluster: one codebook per output channel. */
  perChannel: boolean;
  /**
   * intN group codecs: input-axis weights per scale. int2..int7: absent means 64
   * (DEFAULT_GROUP_SIZE), null one group per channel; int8: absent or null is the plain
   * int8 codec, a number the int8 group codec; null for the others. Optional (like the two
   * below) so that steps written before these codecs stay valid; quantizeStep fills all three.
   */
  groupSize?: number | null;
  /** intN group codecs: symmetric grid instead of affine (absent: affine; plain int8 is symmetric whatever it says). */
  symmetric?: boolean;
  /** cluster: centroids per codebook, 2..256 (`cluster16`); null for the others. */
  clusters?: number | null;
  include: string[];
  exclude: string[];
  /** Tensors with fewer elements stay float32. */
  minElements: number;
  /** Encode NaN/Infinity instead of failing (see docs/quantization.md). */
  allowNonfinite: boolean;
}

/** Options of the prune step. */
export interface PruneStep {
  /** Fraction of the targeted weights to be zero, in [0, 1]. */
  sparsity: number;
  scope: 'layer' | 'global';
  pattern: PrunePattern;
  include: string[];
  exclude: string[];
  /** Tensors with fewer elements are not pruned. */
  minElements: number;
  /** Global scope: allow a tensor to end up all zeros. */
  allowEmpty: boolean;
}

/** A quantizer as one tensor of a per-tensor plan gets it (no name selection: the plan names the tensor). */
export type TensorQuantize = Omit<QuantizeStep, 'include' | 'exclude' | 'minElements'>;

/** One tensor's passes in a per-tensor plan (`tune` writes them, `compress --recipe` re-applies them). */
export interface TensorStep {
  /** Fraction of its weights to zero (unstructured, by magnitude, this tensor alone); 0: not pruned. */
  sparsity: number;
  /** Its quantizer; null keeps its values (float32, or the form they are stored in). */
  quantize: TensorQuantize | null;
}

/**
 * Passes to run, in order: prune, then quantize. `tensors` gives named tensors their own
 * passes instead (a per-tensor plan); the others follow `prune` / `quantize`.
 */
export interface Recipe {
  prune?: PruneStep;
  quantize?: QuantizeStep;
  tensors?: Record<string, TensorStep>;
  /** Data-aware solvers on calibration data (solvers/model.ts); absent: round to nearest and magnitude pruning. */
  calibration?: CalibrationStep;
}

/** The data-aware solvers: the calibration data and which method each pass uses with it. */
export interface CalibrationStep {
  /** The calibration data file (any format `report --data` reads), relative to the working folder. */
  file: string;
  /** gptq: error-compensating quantization (the default with calibration); rtn: round to nearest. */
  quantizeMethod: 'rtn' | 'gptq';
  /** obs: second-order masks with reconstruction (the default with calibration); magnitude: as without. */
  pruneMethod: 'magnitude' | 'obs';
  /** gptq: quantize the inputs in order of decreasing activation energy (H diagonal). */
  actOrder: boolean;
  /** Subtract each solved layer's mean output shift from its bias. */
  biasCorrection: boolean;
}

/** Calibration options as flags or config give them. */
export interface CalibrationInput {
  file?: string;
  quantizeMethod?: string;
  pruneMethod?: string;
  actOrder?: boolean;
  biasCorrection?: boolean;
}

/**
 * Validate calibration options: null when no file is given (then only rtn / magnitude may
 * be named, as they are what runs without data).
 */
export function calibrationStep(f: CalibrationInput): CalibrationStep | null {
  const qm = f.quantizeMethod ?? (f.file ? 'gptq' : 'rtn');
  const pm = f.pruneMethod ?? (f.file ? 'obs' : 'magnitude');
  if (qm !== 'rtn' && qm !== 'gptq') throw new McError('USAGE', `--quantize-method: expected rtn or gptq, found ${JSON.stringify(qm)}`);
  if (pm !== 'magnitude' && pm !== 'obs') throw new McError('USAGE', `--prune-method: expected magnitude or obs, found ${JSON.stringify(pm)}`);
  if (!f.file) {
    if (qm === 'gptq' || pm === 'obs') throw new McError('USAGE', `--${qm === 'gptq' ? 'quantize-method gptq' : 'prune-method obs'} needs calibration data: pass --calibration <file>`);
    if (f.actOrder) throw new McError('USAGE', '--act-order needs --calibration <file> and --quantize-method gptq');
    return null;
  }
  if (typeof f.file !== 'string') throw new McError('USAGE', `--calibration: expected a file name, found ${JSON.stringify(f.file)}`);
  return { file: f.file, quantizeMethod: qm, pruneMethod: pm, actOrder: Boolean(f.actOrder), biasCorrection: f.biasCorrection ?? true };
}

/**
 * Default --min-elements of quantize and prune: smaller tensors are left alone. They hold
 * little of a model's bytes (under 1 % of the MNIST MLP) and are the most sensitive:
 * pruning its 100x10 output kernel at 50 % alone costs 2 points of accuracy
 * (docs/pruning.md), and quantizing biases saves almost nothing.
 */
export const DEFAULT_MIN_ELEMENTS = 1024;

/** A short human description of a recipe, e.g. "prune 50 % (layer) + int8 per channel". */
export function describeRecipe(r: Recipe): string {
  const parts: string[] = [];
  if (r.prune) {
    const p = r.prune.pattern === 'unstructured' ? `${Math.round(r.prune.sparsity * 1000) / 10} % (${r.prune.scope})` : `${r.prune.pattern.n}:${r.prune.pattern.m}`;
    parts.push(`prune ${p}`);
  }
  if (r.quantize) parts.push(describeQuantize(r.quantize));
  if (r.tensors) parts.push(`per-tensor plan (${Object.keys(r.tensors).length} tensors)`);
  return parts.join(' + ') || 'no passes';
}

/** A quantize step in words: "int8 per channel", "int4 g64 affine", "cluster16 per channel". */
export function describeQuantize(q: Pick<QuantizeStep, 'dtype' | 'perChannel' | 'groupSize' | 'symmetric' | 'clusters'>): string {
  const bits = intnBits(q);
  if (bits !== null) return `int${bits} ${q.groupSize === null ? 'per channel' : `g${groupSizeOf(q)}`} ${q.symmetric ? 'symmetric' : 'affine'}`;
  if (q.dtype === 'cluster') return `cluster${q.clusters}${q.perChannel ? ' per channel' : ''}`;
  return `${q.dtype}${q.perChannel ? ' per channel' : ''}`;
}

/** Quantize options as flags or config give them (strings or numbers). */
export interface QuantizeInput {
  /** A quantizer name, or `cluster<K>`. */
  dtype?: string;
  perChannel?: boolean;
  /** intN: weights per scale (default 64 for int2..int7; none: plain int8). */
  groupSize?: string | number;
  /** intN: symmetric (true) or affine (false, the default). */
  symmetric?: boolean;
  /** cluster: centroids (also given by the name, `cluster16`). */
  clusters?: string | number;
  include?: string[];
  exclude?: string[];
  minElements?: string | number;
  allowNonfinite?: boolean;
}

/** Prune options as flags or config give them. */
export interface PruneInput {
  sparsity?: string | number;
  scope?: string;
  pattern?: string;
  include?: string[];
  exclude?: string[];
  minElements?: string | number;
  allowEmpty?: boolean;
}

/** Validate quantize options into a step. */
export function quantizeStep(f: QuantizeInput): QuantizeStep {
  const named = typeof f.dtype === 'string' ? /^cluster(\d+)$/.exec(f.dtype) : null;
  const dtype = (named ? 'cluster' : f.dtype) as QuantizerName;
  if (!QUANTIZER_NAMES.includes(dtype)) {
    throw new McError('USAGE', `--quantize: expected one of ${QUANTIZER_NAMES.filter((n) => n !== 'cluster').join(', ')} or cluster<K> (K in 2..256), found ${JSON.stringify(f.dtype)}`);
  }
  const codec = codecOptions(dtype, f, named ? named[1] : undefined);
  return {
    dtype,
    perChannel: Boolean(f.perChannel),
    ...codec,
    include: f.include ?? [],
    exclude: f.exclude ?? [],
    minElements: parseCount(f.minElements ?? DEFAULT_MIN_ELEMENTS, '--min-elements'),
    allowNonfinite: Boolean(f.allowNonfinite),
  };
}

/** Group size, symmetry and clusters of a quantize step, checked against its dtype. */
function codecOptions(dtype: QuantizerName, f: QuantizeInput, namedK: string | undefined): Pick<QuantizeStep, 'groupSize' | 'symmetric' | 'clusters'> {
  const intn = INTN_NAMES.includes(dtype);
  if (f.groupSize !== undefined && !intn && dtype !== 'int8') throw new McError('USAGE', `--group-size: only the intN codecs (int2..int8) have groups, not ${dtype}`);
  // Forms without a choice still state theirs in a written step (int8 per tensor: symmetric; the others: not); reading it back must accept it.
  const fixedSymmetric = intn || (dtype === 'int8' && f.groupSize !== undefined) ? undefined : dtype === 'int8';
  if (f.symmetric !== undefined && fixedSymmetric !== undefined && Boolean(f.symmetric) !== fixedSymmetric) {
    throw new McError('USAGE', `--symmetric/--affine: only the intN group codecs (int2..int7, int8 with --group-size) take them, not ${dtype}`);
  }
  if (f.clusters !== undefined && dtype !== 'cluster') throw new McError('USAGE', `clusters: only cluster<K> has centroids, not ${dtype}`);
  if (dtype === 'cluster') {
    if (namedK !== undefined && f.clusters !== undefined && Number(f.clusters) !== Number(namedK)) throw new McError('USAGE', `cluster${namedK} disagrees with clusters ${f.clusters}`);
    const k = Number(namedK ?? f.clusters);
    if (!(Number.isInteger(k) && k >= 2 && k <= 256)) throw new McError('USAGE', `--quantize cluster<K>: expected K in 2..256, found ${JSON.stringify(namedK ?? f.clusters ?? null)}`);
    return { groupSize: null, symmetric: false, clusters: k };
  }
  if (f.perChannel && f.groupSize !== undefined) throw new McError('USAGE', `--per-channel and --group-size: ${dtype} takes one scale per channel or one per group, not both; drop one`);
  // int2..int7 per channel: one group per channel.
  let groupSize: number | null = intn && !f.perChannel ? DEFAULT_GROUP_SIZE : null;
  if (f.groupSize !== undefined) {
    groupSize = Number(f.groupSize);
    if (!(Number.isInteger(groupSize) && groupSize >= 1 && groupSize <= 2 ** 31 - 1)) throw new McError('USAGE', `--group-size: expected a whole number of weights >= 1, found ${JSON.stringify(f.groupSize)}`);
  }
  const grouped = intn || (dtype === 'int8' && groupSize !== null);
  return { groupSize, symmetric: grouped ? Boolean(f.symmetric) : dtype === 'int8', clusters: null };
}

/** Validate prune options into a step. */
export function pruneStep(f: PruneInput): PruneStep {
  const pattern = parsePattern(f.pattern ?? 'unstructured');
  if (pattern === 'unstructured' && f.sparsity === undefined) {
    throw new McError('USAGE', 'missing --sparsity <0..1 or %>: the fraction of weights to zero (or give --pattern N:M)');
  }
  const sparsity = pattern === 'unstructured' ? parseSparsity(String(f.sparsity)) : 1 - pattern.n / pattern.m;
  if (pattern !== 'unstructured' && f.sparsity !== undefined && Math.abs(parseSparsity(String(f.sparsity)) - sparsity) > 1e-9) {
    throw new McError('USAGE', `--sparsity ${f.sparsity} disagrees with --pattern ${pattern.n}:${pattern.m}, which zeros ${sparsity * 100} % of each group; drop --sparsity`);
  }
  const scope = f.scope ?? 'layer';
  if (scope !== 'layer' && scope !== 'global') throw new McError('USAGE', `--scope: expected layer or global, found ${JSON.stringify(scope)}`);
  return {
    sparsity,
    scope,
    pattern,
    include: f.include ?? [],
    exclude: f.exclude ?? [],
    minElements: parseCount(f.minElements ?? DEFAULT_MIN_ELEMENTS, '--min-elements'),
    allowEmpty: Boolean(f.allowEmpty),
  };
}

/** Validate a recipe object (config form: {"prune": {...}, "quantize": {...}}); `where` names it in errors. */
export function recipeFrom(v: unknown, where: string): Recipe {
  const o = v as Record<string, unknown>;
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new McError('CONFIG', `${where}: expected {"prune": {...}, "quantize": {...}}`);
  for (const k of Object.keys(o)) if (k !== 'prune' && k !== 'quantize' && k !== 'tensors' && k !== 'calibration') throw new McError('CONFIG', `${where}: unknown key "${k}"; known keys: prune, quantize, tensors, calibration`);
  const known = (x: unknown, keys: string[], at: string) => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new McError('CONFIG', `${at}: expected an object of options, found ${JSON.stringify(x)}`);
    for (const k of ['include', 'exclude']) {
      const v = (x as Record<string, unknown>)[k];
      if (v !== undefined && !(Array.isArray(v) && v.every((g) => typeof g === 'string'))) {
        throw new McError('CONFIG', `${at}.${k}: expected a list of name patterns (strings), found ${JSON.stringify(v)}`);
      }
    }
    for (const k of Object.keys(x as object)) if (!keys.includes(k)) throw new McError('CONFIG', `${at}: unknown key "${k}"; known keys: ${keys.join(', ')}`);
  };
  const r: Recipe = {};
  if (o.prune !== undefined) {
    known(o.prune, ['sparsity', 'scope', 'pattern', 'include', 'exclude', 'minElements', 'allowEmpty'], `${where}.prune`);
    r.prune = pruneStep(o.prune as PruneInput);
  }
  if (o.quantize !== undefined) {
    known(o.quantize, ['dtype', 'perChannel', 'groupSize', 'symmetric', 'clusters', 'include', 'exclude', 'minElements', 'allowNonfinite'], `${where}.quantize`);
    r.quantize = quantizeStep(o.quantize as QuantizeInput);
  }
  if (o.tensors !== undefined) r.tensors = tensorSteps(o.tensors, `${where}.tensors`);
  if (!r.prune && !r.quantize && !r.tensors) throw new McError('CONFIG', `${where}: a recipe needs "prune", "quantize", "tensors" or a mix`);
  if (o.calibration !== undefined) {
    known(o.calibration, ['file', 'quantizeMethod', 'pruneMethod', 'actOrder', 'biasCorrection'], `${where}.calibration`);
    const c = o.calibration as CalibrationInput;
    if (typeof c.file !== 'string') throw new McError('CONFIG', `${where}.calibration.file: expected the calibration data file, found ${JSON.stringify(c.file)}`);
    r.calibration = calibrationStep(c) as CalibrationStep;
  }
  return r;
}

/** Validate a per-tensor plan: {"<tensor>": {"sparsity": 0.5, "quantize": {"dtype": "int8", "perChannel": true} | null}}. */
export function tensorSteps(v: unknown, where: string): Record<string, TensorStep> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new McError('CONFIG', `${where}: expected {"<tensor name>": {"sparsity": 0.5, "quantize": {...} | null}}`);
  const out: Record<string, TensorStep> = {};
  for (const [name, step] of Object.entries(v as Record<string, unknown>)) {
    const at = `${where}["${name}"]`;
    const o = step as Record<string, unknown>;
    if (!o || typeof o !== 'object' || Array.isArray(o)) throw new McError('CONFIG', `${at}: expected {"sparsity": <0..1>, "quantize": {...} | null}`);
    for (const k of Object.keys(o)) if (k !== 'sparsity' && k !== 'quantize') throw new McError('CONFIG', `${at}: unknown key "${k}"; known keys: sparsity, quantize`);
    const sparsity = o.sparsity === undefined ? 0 : Number(o.sparsity);
    if (typeof o.sparsity !== 'undefined' && (typeof o.sparsity !== 'number' || !(sparsity >= 0 && sparsity < 1))) {
      throw new McError('CONFIG', `${at}.sparsity: expected a number in [0, 1), found ${JSON.stringify(o.sparsity)}`);
    }
    let quantize: TensorQuantize | null = null;
    if (o.quantize !== undefined && o.quantize !== null) {
      if (typeof o.quantize !== 'object' || Array.isArray(o.quantize)) throw new McError('CONFIG', `${at}.quantize: expected {"dtype": ...} or null`);
      // A written step states unused options as null (no group size, say): read those as absent.
      const given = Object.fromEntries(Object.entries(o.quantize as Record<string, unknown>).filter(([, x]) => x !== null)) as QuantizeInput;
      const { include: _i, exclude: _e, minElements: _m, ...q } = quantizeStep({ ...given, minElements: 0 });
      quantize = q;
    }
    out[name] = { sparsity, quantize };
  }
  return out;
}
