/**
 * The one place that looks up configuration: `maas-compress.config.json` in the working
 * folder, else the `"maas-compress"` key of its package.json. Unknown keys are errors.
 * Paths in the config are relative to the file that holds them.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { McError } from './errors.js';

/** The config file name looked up in the working folder. */
export const CONFIG_FILE = 'maas-compress.config.json';

/** How each known key is checked; later commands add their keys here. */
const str = (v: unknown) => typeof v === 'string' && v !== '';
const strList = (v: unknown) => Array.isArray(v) && v.every(str);
const obj = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
const BUDGET_KEYS = ['maxAccuracyDrop', 'minSizeReduction', 'maxSize', 'maxTransferTime', 'maxTimeToFirstPrediction', 'minCosine', 'minSqnr', 'minAgreement'];
const KEYS: Record<string, (v: unknown) => boolean> = {
  model: str,
  shardSize: (v) => Number.isInteger(v) && (v as number) > 0,
  candidates: strList,
  recipes: (v) => Array.isArray(v) && v.every(obj),
  recipe: (v) => obj(v) || str(v),
  data: str,
  labels: str,
  noLabels: (v) => typeof v === 'boolean',
  samples: (v) => Number.isInteger(v) && (v as number) > 0,
  networks: strList,
  encoding: (v) => v === 'br' || v === 'gzip' || v === 'none',
  backend: (v) => v === 'wasm' || v === 'cpu' || v === 'node',
  budgets: (v) => obj(v) && Object.keys(v as object).every((k) => BUDGET_KEYS.includes(k)),
  labelOutput: str,
};

/** Expected form of each key, for error messages. */
const EXPECTED: Record<string, string> = {
  model: 'a path to model.json or its folder',
  shardSize: 'a positive integer number of bytes',
  candidates: 'a list of paths (tfjs folders, model.json files or .mcz files)',
  recipe: 'a recipe for compress, like {"prune": {"sparsity": 0.75}, "quantize": {"dtype": "int8", "perChannel": true}}, or the path of a recipe file (tune --save-recipe)',
  recipes: 'a list of recipes like {"prune": {"sparsity": 0.5}, "quantize": {"dtype": "int8", "perChannel": true}}',
  data: 'a path to a .csv, .json, .npy or .npz data file',
  labels: 'a path to a .npy labels file',
  noLabels: 'true or false',
  samples: 'a positive integer',
  networks: 'a list of network profiles like ["3g", "4g", "slow=400/2000"]',
  encoding: '"br", "gzip" or "none"',
  backend: '"wasm", "cpu" or "node"',
  budgets: `an object with any of ${BUDGET_KEYS.join(', ')}`,
  labelOutput: 'the name of the output the labels belong to',
};

/** A validated config and where it came from. */
export interface Config {
  /** The file it was read from, or null when there is none. */
  source: string | null;
  /** Folder that relative paths in it are resolved against. */
  base: string;
  model?: string;
  shardSize?: number;
  candidates?: string[];
  recipes?: unknown[];
  recipe?: unknown;
  data?: string;
  labels?: string;
  noLabels?: boolean;
  samples?: number;
  networks?: string[];
  encoding?: 'br' | 'gzip' | 'none';
  backend?: 'wasm' | 'cpu' | 'node';
  budgets?: Record<string, string | number>;
  labelOutput?: string;
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

async function readIfFile(p: string): Promise<string | null> {
  return (await isFile(p)) ? readFile(p, 'utf8') : null;
}

function parse(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new McError('CONFIG', `${file}: expected valid JSON, found a syntax error (${(e as Error).message})`);
  }
}

/** Validate a config object; `where` names it in errors. */
export function validateConfig(raw: unknown, where: string, base: string): Config {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new McError('CONFIG', `${where}: expected an object of settings`);
  }
  const out: Config = { source: where, base };
  for (const [k, v] of Object.entries(raw)) {
    // Own keys only: "__proto__" or "constructor" must not find Object.prototype's members.
    const ok = Object.hasOwn(KEYS, k) ? KEYS[k] : undefined;
    if (!ok) throw new McError('CONFIG', `${where}: unknown key "${k}"; known keys: ${Object.keys(KEYS).join(', ')}`);
    if (!ok(v)) throw new McError('CONFIG', `${where}: "${k}" must be ${EXPECTED[k]}, found ${JSON.stringify(v)}`);
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Find and validate the config for `cwd`. */
export async function loadConfig(cwd: string): Promise<Config> {
  const file = path.join(cwd, CONFIG_FILE);
  const text = await readIfFile(file);
  if (text !== null) return validateConfig(parse(text, file), file, cwd);
  const pkgFile = path.join(cwd, 'package.json');
  const pkg = await readIfFile(pkgFile);
  if (pkg !== null) {
    const j = parse(pkg, pkgFile) as Record<string, unknown>;
    if (j && typeof j === 'object' && 'maas-compress' in j) {
      return validateConfig(j['maas-compress'], `${pkgFile} ("maas-compress" key)`, cwd);
    }
  }
  return { source: null, base: cwd };
}

/**
 * The model a command works on: the argument, else the config's `model`, else
 * `./model.json` when it exists.
 */
export async function resolveModelArg(arg: string | undefined, cwd: string, config: Config): Promise<string> {
  if (arg) return path.resolve(cwd, arg);
  if (config.model) return path.resolve(config.base, config.model);
  const fallback = path.join(cwd, 'model.json');
  if (await isFile(fallback)) return fallback;
  throw new McError(
    'USAGE',
    `no model given: pass a path to model.json, set "model" in ${CONFIG_FILE}, or run where a model.json is`,
  );
}
