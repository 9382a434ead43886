/**
 * A small pool of worker threads for the per-tensor work of the pipeline (tasks.ts), and
 * an ordered map that keeps a few tensors in flight while results come back in input
 * order, so output files are byte-identical to a single-threaded run. The main thread
 * keeps the I/O (positional reads, writes); workers get each tensor's bytes moved to them,
 * not copied, and move their results back.
 *
 * Memory: each tensor in flight holds its input and its worker's working arrays (about
 * 2-3 times its stored size); `inFlight` tensors are in flight at once, plus the one
 * being written.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { McError, type McErrorCode } from '../errors.js';
import { TASKS, type TaskName, type TaskResult } from './tasks.js';

/** Models smaller than this run inline: starting workers (tens of ms each) would cost more than they save. */
export const PARALLEL_FROM_BYTES = 32 * 1024 * 1024;
/** Most workers started (each adds tensors in flight to peak memory). */
export const MAX_WORKERS = 4;
/** Peak memory the pipeline plans for unless told otherwise (docs/performance.md). */
export const DEFAULT_MEMORY_BUDGET = 512 * 1024 * 1024;
/** What the process takes before any tensor: Node, V8, the code (measured: about 100 MB). */
const BASE_BYTES = 112 * 1024 * 1024;

/**
 * Peak memory per tensor in flight, in multiples of the largest tensor's stored bytes, as
 * measured on models of 16-64 MB tensors (docs/performance.md): on the main thread alone
 * (the tensor, the one read ahead, their outputs, and garbage not yet collected), and
 * what each worker thread adds. `stock`: a tfjs folder output; `section`: a .mcz output.
 */
const LANE_FACTORS = {
  stock: { main: 4.75, worker: 2 },
  section: { main: 4.5, worker: 2.25 },
} as const;

/** The kinds of work a pool runs (see LANE_FACTORS). */
export type WorkKind = keyof typeof LANE_FACTORS;

/** Options of the pool, as CompressOptions carry them. */
export interface ParallelOptions {
  /**
   * Worker threads: 0 runs everything on the main thread. Default: as many as there are
   * cores (at most 4, at least 2, or none) for models from 32 MiB, when the estimated peak
   * memory with them stays within `memoryBudget`; otherwise none.
   */
  workers?: number;
  /** Peak memory to plan for, in bytes (default 512 MiB); it decides the default of `workers`. */
  memoryBudget?: number;
  /** Where the built worker entry is (default: worker.js beside this module); for tests and bundlers. */
  workerScript?: string | URL;
}

/** The default worker entry: dist/parallel/worker.js (absent when running from TypeScript sources). */
const DEFAULT_SCRIPT = new URL('./worker.js', import.meta.url);

/** Estimated peak memory for `workers` workers when the largest tensor has `largest` stored bytes. */
export function estimatePeak(kind: WorkKind, largest: number, workers: number): number {
  const f = LANE_FACTORS[kind];
  return BASE_BYTES + largest * (f.main + f.worker * workers);
}

/** How many workers to start for a model of `bytes` bytes whose largest tensor has `largest`. */
export function workersFor(kind: WorkKind, bytes: number, largest: number, opts: ParallelOptions): number {
  if (opts.workers !== undefined) return Math.max(0, Math.floor(opts.workers));
  if (bytes < PARALLEL_FROM_BYTES) return 0;
  const budget = opts.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
  // One worker only moves the work off the main thread; from two on, they share it.
  for (let w = Math.min(MAX_WORKERS, availableParallelism()); w >= 2; w--) if (estimatePeak(kind, largest, w) <= budget) return w;
  return 0;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: { mc: boolean; code: McErrorCode | null; message: string; stack?: string };
}

/** Runs tasks on worker threads, or inline when it has none. */
export class TaskPool {
  private readonly idle: Worker[] = [];
  private readonly queue: Array<{ id: number; kind: TaskName; payload: unknown; transfer: ArrayBuffer[] }> = [];
  private readonly pending = new Map<number, Pending>();
  private readonly busy = new Map<Worker, number>();
  private nextId = 0;
  private failed: unknown = null;

  private constructor(private readonly workers: Worker[]) {
    for (const w of workers) {
      w.on('message', (m: Reply) => this.settle(w, m));
      w.on('error', (e) => this.fail(w, e));
      w.on('exit', (code) => {
        if (this.busy.has(w) || this.queue.length) this.fail(w, new Error(`a worker thread exited (code ${code}) during a task`));
      });
      this.idle.push(w);
    }
  }

  /** A pool of `size` workers (0: inline); inline too when the worker script is not built. */
  static open(size: number, script: string | URL = DEFAULT_SCRIPT): TaskPool {
    const file = script instanceof URL ? fileURLToPath(script) : script;
    if (size <= 0 || !existsSync(file)) return new TaskPool([]);
    return new TaskPool(Array.from({ length: size }, () => new Worker(file)));
  }

  /** Worker threads (0: inline). */
  get size(): number {
    return this.workers.length;
  }

  /**
   * What an ordered map should keep in flight for tensors of at most `largest` bytes:
   * inline, the tensor being worked on and the next one, read meanwhile; with workers,
   * enough to keep each busy (up to 64 small tensors) but no more than one largest
   * tensor's bytes a worker, which bounds memory.
   */
  inFlight(largest: number): InFlight {
    const n = this.workers.length;
    return n === 0 ? { count: 2, weight: 2 * Math.max(largest, 1 << 20) } : { count: 64, weight: n * Math.max(largest, 1 << 20) };
  }

  /**
   * Run a task. `transfer`: buffers of `payload` to move to the worker (they become
   * unusable here); results arrive with their buffers moved back.
   */
  run<K extends TaskName>(kind: K, payload: Parameters<(typeof TASKS)[K]>[0], transfer: ArrayBuffer[] = []): Promise<TaskResult<K>> {
    if (this.workers.length === 0) {
      return new Promise((resolve) => resolve(TASKS[kind](payload as never).value as TaskResult<K>));
    }
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.queue.push({ id, kind, payload, transfer });
      this.pump();
    });
  }

  /** Stop every worker (pending tasks are rejected). */
  async close(): Promise<void> {
    const ws = this.workers.splice(0);
    this.failed ??= new Error('the worker pool was closed');
    for (const p of this.pending.values()) p.reject(this.failed);
    this.pending.clear();
    await Promise.all(ws.map((w) => w.terminate()));
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop() as Worker;
      const t = this.queue.shift() as (typeof this.queue)[number];
      this.busy.set(w, t.id);
      w.postMessage({ id: t.id, kind: t.kind, payload: t.payload }, t.transfer);
    }
  }

  private settle(w: Worker, m: Reply): void {
    this.busy.delete(w);
    this.idle.push(w);
    const p = this.pending.get(m.id);
    this.pending.delete(m.id);
    if (p) {
      if (m.ok) p.resolve(m.value);
      else p.reject(rebuild(m.error as NonNullable<Reply['error']>));
    }
    this.pump();
  }

  private fail(w: Worker, e: unknown): void {
    this.failed ??= e;
    const id = this.busy.get(w);
    this.busy.delete(w);
    if (id !== undefined) {
      this.pending.get(id)?.reject(e);
      this.pending.delete(id);
    }
    // Tasks not started yet cannot run on a broken pool.
    for (const t of this.queue.splice(0)) {
      this.pending.get(t.id)?.reject(e);
      this.pending.delete(t.id);
    }
  }
}

/** The error a worker reported, as the caller would have seen it inline. */
function rebuild(e: NonNullable<Reply['error']>): Error {
  if (e.mc && e.code) return new McError(e.code, e.message);
  const err = new Error(e.message);
  if (e.stack) err.stack = e.stack;
  return err;
}

/** How much orderedMap keeps in flight: at most `count` calls, and at most `weight` units (bytes) unless only one is running. */
export interface InFlight {
  count: number;
  weight: number;
}

/**
 * Map `items` through `fn` with several calls running at once, yielding results in input
 * order. A call starts while fewer than `limit.count` run and their weights (`weightOf`,
 * e.g. a tensor's bytes) stay within `limit.weight`; one always may, however heavy. A
 * failure surfaces when its turn comes, as it would in a plain loop; later calls'
 * failures are then ignored.
 */
export async function* orderedMap<I, O>(
  items: Iterable<I> | AsyncIterable<I>,
  fn: (item: I) => Promise<O>,
  limit: InFlight,
  weightOf: (item: I) => number = () => 0,
): AsyncGenerator<O> {
  const running: Array<{ p: Promise<O>; weight: number }> = [];
  let weight = 0;
  const next = async (): Promise<O> => {
    const r = running.shift() as { p: Promise<O>; weight: number };
    weight -= r.weight;
    return r.p;
  };
  for await (const item of items) {
    const w = weightOf(item);
    while (running.length > 0 && (running.length >= limit.count || weight + w > limit.weight)) yield await next();
    const p = fn(item);
    p.catch(() => undefined); // handled when its turn comes
    running.push({ p, weight: w });
    weight += w;
  }
  while (running.length) yield await next();
}
