/**
 * The work a worker thread does for the pipeline, as pure functions of plain data (no
 * file access): one tensor's passes and its output form, stock bytes or a .mcz section.
 * The main thread reads and writes; these run in worker threads (pool.ts) or, for small
 * models and where no worker script is built, inline, with byte-identical results.
 */
import { encodeTensorSection, type EncodedSection } from '../mcz/write.js';
import { type Produced, type TensorJob, type TensorOutcome, produceOn, runJobOn } from '../pipeline.js';
import type { Recipe } from '../recipe.js';

/** One job and its stored bytes (as read from the shards). */
export interface JobPayload {
  job: TensorJob;
  stored: Uint8Array;
  recipe: Recipe;
}

/** A .mcz section of a job, with the job's outcome. */
export interface SectionResult {
  section: EncodedSection;
  outcome: TensorOutcome;
  warnings: string[];
  /** The payload's `stored` bytes, handed back for reuse (the section does not use them). */
  input: Uint8Array;
}

/** A job's stock output and outcome. */
export interface StockResult extends Produced {
  /** The payload's `stored` bytes, handed back for reuse; `out.bytes` may be a view of them (pruned in place). */
  input: Uint8Array;
}

/** A task's result and the buffers to move (not copy) back to the caller. */
interface Done<T> {
  value: T;
  transfer: ArrayBuffer[];
}

/** The buffers under some byte views, each once (views may share one). */
function buffersOf(...views: ArrayBufferView[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of views) if (v.buffer instanceof ArrayBuffer) out.add(v.buffer);
  return [...out];
}

/** Every task, by name. */
export const TASKS = {
  /** A job's output in the stock form (saveModel's input). */
  stock(p: JobPayload): Done<StockResult> {
    const r = produceOn(p.job, p.stored, p.recipe);
    return { value: { ...r, input: p.stored }, transfer: buffersOf(r.out.bytes, p.stored) };
  },
  /** A job's output as an encoded .mcz section. */
  section(p: JobPayload): Done<SectionResult> {
    const r = runJobOn(p.job, p.stored, p.recipe);
    const entry = p.job.info.entry;
    const section = encodeTensorSection(r.enc ? { entry, encoded: r.enc } : { entry, stored: r.stored });
    return { value: { section, outcome: r.outcome, warnings: r.warnings, input: p.stored }, transfer: buffersOf(section.section, p.stored) };
  },
};

/** Task names. */
export type TaskName = keyof typeof TASKS;
/** What a task gives back. */
export type TaskResult<K extends TaskName> = ReturnType<(typeof TASKS)[K]>['value'];
