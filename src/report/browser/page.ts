/**
 * The measurement page: stock tfjs bundles and the .mcz loader as classic scripts, and the
 * two functions the driver runs in it (page.evaluate serialises them, so they use nothing
 * from this module's scope). `pageInit` initialises the backend before throttling starts;
 * `pageMeasure` times one load of one model under throttling: the fetch to the last byte,
 * the loader's decode (.mcz), the model build (stock tfjs), the first prediction (kernel
 * set-up, shader compilation on webgl, wasm memory growth) and then steady predictions.
 */
import type { Asset } from './assets.js';

/** The HTML of the page: every script tag, nothing else. */
export function pageHtml(scripts: Asset[]): string {
  const tags = [...scripts.map((s) => s.url), '/loader.js'].map((u) => `<script src="${u}"></script>`).join('\n');
  return `<!doctype html><meta charset="utf-8"><title>maas-compress browser measurement</title>\n${tags}\n`;
}

/** Figures of one run, in ms (what pageMeasure returns). */
export interface RunTimes {
  transferMs: number;
  decodeMs: number;
  buildMs: number;
  firstPredictionMs: number;
  predictionMs: number;
}

/** The slice of the tfjs global the page functions use. */
interface PageTensor {
  dispose(): void;
  data(): Promise<unknown>;
}
interface PageModel {
  inputs: { name: string; shape?: (number | null)[]; dtype?: string }[];
  predict?(x: unknown): unknown;
  execute?(x: unknown): unknown;
  executeAsync?(x: unknown): Promise<unknown>;
  dispose(): void;
}
interface PageArtifacts {
  format?: string;
  modelTopology?: { node?: unknown };
}
interface PageGlobals {
  tf: {
    env(): { set(flag: string, v: boolean): void };
    setBackend(name: string): Promise<boolean>;
    ready(): Promise<void>;
    getBackend(): string;
    wasm?: { setWasmPaths(prefix: string): void };
    tensor(values: Float32Array | Int32Array, shape: number[], dtype: string): PageTensor;
    io: { http(url: string): { load(): Promise<PageArtifacts> } };
    loadLayersModel(h: { load(): Promise<PageArtifacts> }): Promise<PageModel>;
    loadGraphModel(h: { load(): Promise<PageArtifacts> }): Promise<PageModel>;
  };
  maasCompressLoader: { mczLoader(bytes: Uint8Array, opts: { name: string }): { load(): Promise<PageArtifacts> } };
}

/** In the page: make `backend` tfjs's backend; returns the one in use and how long it took. */
export async function pageInit(backend: string): Promise<{ backend: string; backendInitMs: number }> {
  const g = globalThis as unknown as PageGlobals;
  g.tf.env().set('PROD', true);
  const t = performance.now();
  if (backend === 'wasm') g.tf.wasm?.setWasmPaths('/tf/');
  const ok = await g.tf.setBackend(backend).catch(() => false);
  await g.tf.ready();
  return { backend: ok ? g.tf.getBackend() : `failed: ${g.tf.getBackend()}`, backendInitMs: performance.now() - t };
}

/** In the page: load, build and run the model at `url` once; `steady` caps the steady-state predictions timed. */
export async function pageMeasure(a: { url: string; container: boolean; steady: number; steadyBudgetMs: number }): Promise<RunTimes> {
  const g = globalThis as unknown as PageGlobals;
  const tf = g.tf;
  const t0 = performance.now();
  let artifacts: PageArtifacts;
  let t1: number;
  if (a.container) {
    const res = await fetch(a.url);
    if (!res.ok) throw new Error(`${a.url}: HTTP ${res.status}`);
    const body = new Uint8Array(await res.arrayBuffer());
    t1 = performance.now();
    artifacts = await g.maasCompressLoader.mczLoader(body, { name: a.url }).load();
  } else {
    // What tf.loadLayersModel(url) / tf.loadGraphModel(url) do: model.json, then every weight file at once.
    artifacts = await tf.io.http(a.url).load();
    t1 = performance.now();
  }
  const t2 = performance.now();
  const graph = artifacts.format === 'graph-model' || Array.isArray(artifacts.modelTopology?.node);
  const handler = { load: async () => artifacts };
  const model = graph ? await tf.loadGraphModel(handler) : await tf.loadLayersModel(handler);
  const t3 = performance.now();
  // One sample per input, batch 1, open dimensions 32; the values do not change the time.
  const xs = model.inputs.map((inp) => {
    if (!inp.shape) throw new Error(`input ${inp.name} declares no shape`);
    const shape = inp.shape.map((d, k) => (d === null || d < 0 ? (k === 0 ? 1 : 32) : d));
    const n = shape.reduce((p, d) => p * d, 1);
    const int = inp.dtype === 'int32' || inp.dtype === 'bool';
    const v = int ? new Int32Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = int ? i % 2 : ((i * 7919) % 256) / 255;
    return tf.tensor(v, shape, int ? 'int32' : 'float32');
  });
  const feed: unknown = graph ? Object.fromEntries(model.inputs.map((inp, k) => [inp.name, xs[k]])) : xs.length === 1 ? xs[0] : xs;
  let dynamic = false;
  const once = async () => {
    let y: unknown;
    if (!graph) y = model.predict?.(feed);
    else if (!dynamic) {
      try {
        y = model.execute?.(feed);
      } catch {
        dynamic = true; // control flow or dynamic shapes: only executeAsync runs it
      }
    }
    if (graph && dynamic) y = await model.executeAsync?.(feed);
    const outs = (Array.isArray(y) ? y : y && typeof (y as PageTensor).data === 'function' ? [y] : Object.values(y as object)) as PageTensor[];
    await Promise.all(outs.map((t) => t.data()));
    for (const t of outs) t.dispose();
  };
  await once();
  const t4 = performance.now();
  const steady: number[] = [];
  const until = performance.now() + a.steadyBudgetMs;
  while (steady.length < a.steady && (steady.length < 3 || performance.now() < until)) {
    const s = performance.now();
    await once();
    steady.push(performance.now() - s);
  }
  steady.sort((p, q) => p - q);
  for (const x of xs) x.dispose();
  model.dispose();
  return { transferMs: t1 - t0, decodeMs: t2 - t1, buildMs: t3 - t2, firstPredictionMs: t4 - t3, predictionMs: steady[Math.floor(steady.length / 2)] };
}
