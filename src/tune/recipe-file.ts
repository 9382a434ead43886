/**
 * Recipe files: a recipe (usually a per-tensor plan written by `tune --save-recipe`) that
 * `compress --recipe <file>` and the config's "recipe" re-apply without data. Versioned
 * (docs/tune.md); the model's weights fingerprint lets compress say when a plan is
 * applied to another model than the one it was tuned on.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { McError, ioError } from '../errors.js';
import type { Model } from '../model/load.js';
import { type Recipe, recipeFrom } from '../recipe.js';

/** The value of the "format" field. */
export const RECIPE_FORMAT = 'maas-compress-recipe';
/** The newest recipe file version. */
export const RECIPE_VERSION = 1;

/** A recipe file, as written. */
export interface RecipeFile {
  format: typeof RECIPE_FORMAT;
  version: number;
  /** The model it was tuned on: its manifest's name and the SHA-256 of its weights as stored. */
  model?: { file: string; weightsSha256: string };
  recipe: Recipe;
  /** How it was found (budgets, objective, figures): for people; compress ignores it. */
  tuned?: unknown;
}

/** SHA-256 of a model's stored weight bytes, in manifest order. */
export async function weightsFingerprint(model: Model): Promise<string> {
  const h = createHash('sha256');
  for (const t of model.tensors) h.update(await model.readBytes(t));
  return h.digest('hex');
}

/** True for an object that claims to be a recipe file. */
export function isRecipeFile(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (v as { format?: unknown }).format === RECIPE_FORMAT;
}

/** Validate a parsed recipe file (or a bare recipe object) from `where`. */
export function recipeFileFrom(v: unknown, where: string): RecipeFile {
  if (!isRecipeFile(v)) return { format: RECIPE_FORMAT, version: RECIPE_VERSION, recipe: recipeFrom(v, where) };
  const o = v as Record<string, unknown>;
  if (typeof o.version !== 'number' || !Number.isInteger(o.version) || o.version < 1) throw new McError('CONFIG', `${where}: "version" must be a positive integer, found ${JSON.stringify(o.version)}`);
  if (o.version > RECIPE_VERSION) throw new McError('UNSUPPORTED', `${where}: recipe file version ${o.version} is newer than this maas-compress reads (${RECIPE_VERSION}); upgrade maas-compress`);
  for (const k of Object.keys(o)) if (!['format', 'version', 'model', 'recipe', 'tuned'].includes(k)) throw new McError('CONFIG', `${where}: unknown key "${k}"; known keys: format, version, model, recipe, tuned`);
  const m = o.model as { file?: unknown; weightsSha256?: unknown } | undefined;
  if (m !== undefined && (typeof m !== 'object' || m === null || typeof m.file !== 'string' || typeof m.weightsSha256 !== 'string')) {
    throw new McError('CONFIG', `${where}: "model" must be {"file": "...", "weightsSha256": "..."}`);
  }
  return { format: RECIPE_FORMAT, version: o.version, model: m as RecipeFile['model'], recipe: recipeFrom(o.recipe, `${where}: recipe`), tuned: o.tuned };
}

/** Read and validate a recipe file. */
export async function readRecipeFile(file: string): Promise<RecipeFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw ioError(e, file, 'reading the recipe file');
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new McError('CONFIG', `${file}: not valid JSON (${(e as Error).message})`);
  }
  return recipeFileFrom(v, file);
}

/** The recipe file's text: keys in a fixed order, so the same plan gives the same bytes. */
export function recipeFileText(r: RecipeFile): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}
