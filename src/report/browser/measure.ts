/**
 * `report --browser`: every model loaded in headless Chromium from a local server, once
 * per network profile and run, each run in a fresh browser context (empty caches) with
 * the cache disabled and DevTools throttling set to the profile; the figures are the
 * median of the runs. The page and tfjs load unthrottled and the backend is initialised
 * before throttling starts: both are the application's, the same for every candidate; what
 * is throttled and timed is the model (docs/report.md, "Measured in a browser").
 */
import type { Browser } from 'playwright-core';
import { McError } from '../../errors.js';
import type { NetworkProfile } from '../transfer.js';
import type { BrowserInfo, BrowserTiming, Encoding } from '../types.js';
import { type BrowserBackend, loaderBundle, tfjsAssets } from './assets.js';
import { findChromium, launchChromium } from './chromium.js';
import { type RunTimes, pageHtml, pageInit, pageMeasure } from './page.js';
import { startServer } from './server.js';
import { devtoolsConditions } from './throttle.js';

/** How to measure in the browser. */
export interface BrowserOptions {
  /** Runs per model and profile; the median is reported (default 3). */
  runs?: number;
  /** tfjs backend in the page (default wasm). */
  backend?: BrowserBackend;
  /** Chromium executable (default: $MAAS_COMPRESS_CHROMIUM, then the usual system paths). */
  chromium?: string;
  /** Called before each run. */
  onProgress?: (done: number, total: number, label: string) => void;
}

/** A model to load: its served files (model.json first, or one .mcz); `runnable` false for a weights-only manifest. */
export interface BrowserSubject {
  name: string;
  files: string[];
  container: boolean;
  runnable: boolean;
}

/** Steady-state predictions timed after the first: at most this many, and past 3 only within STEADY_BUDGET_MS. */
const STEADY_RUNS = 10;
const STEADY_BUDGET_MS = 2000;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (ms: number) => Math.round(ms * 10) / 10;

/** The median figures of a model's runs on one profile. */
function summarize(runs: RunTimes[]): BrowserTiming {
  const f = (k: keyof RunTimes) => round(median(runs.map((r) => r[k])));
  return {
    transferMs: f('transferMs'),
    decodeMs: f('decodeMs'),
    buildMs: f('buildMs'),
    firstPredictionMs: f('firstPredictionMs'),
    // The median of each run's own total, so that it is the figure of a real run.
    timeToFirstPredictionMs: round(median(runs.map((r) => r.transferMs + r.decodeMs + r.buildMs + r.firstPredictionMs))),
    predictionMs: f('predictionMs'),
  };
}

/** Check the options before anything is built; returns the Chromium executable. */
export function checkBrowserOptions(o: BrowserOptions): string {
  const runs = o.runs ?? 3;
  if (!Number.isInteger(runs) || runs < 1 || runs > 100) throw new McError('USAGE', `--runs: expected an integer from 1 to 100, found "${o.runs}"`);
  if (o.backend !== undefined && !['wasm', 'webgl', 'cpu'].includes(o.backend)) throw new McError('USAGE', `--browser-backend: expected wasm, webgl or cpu, found "${o.backend}"`);
  return findChromium(o.chromium);
}

/** One run: a fresh context, the page, the backend, throttling on, then the model. */
async function oneRun(browser: Browser, base: string, url: string, s: BrowserSubject, net: NetworkProfile, backend: BrowserBackend): Promise<RunTimes & { backendInitMs: number }> {
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e.message ?? e)));
    await page.goto(`${base}/`);
    if (errors.length) throw new McError('UNSUPPORTED', `report --browser: the measurement page failed in Chromium: ${errors[0]}`);
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    const init = await page.evaluate(pageInit, backend);
    if (init.backend !== backend) throw new McError('UNSUPPORTED', `--browser-backend ${backend}: Chromium could not initialise it (${init.backend}); try wasm or cpu`);
    await cdp.send('Network.emulateNetworkConditions', { ...devtoolsConditions(net) });
    try {
      const r = await page.evaluate(pageMeasure, { url, container: s.container, steady: STEADY_RUNS, steadyBudgetMs: STEADY_BUDGET_MS });
      return { ...r, backendInitMs: init.backendInitMs };
    } catch (e) {
      const msg = String((e as Error).message ?? e).replace(/^page\.evaluate: (Error: )?/, '').split('\n')[0];
      throw new McError('UNSUPPORTED', `${s.name}: loading and running it in Chromium (${backend}) failed: ${msg}`);
    }
  } finally {
    await ctx.close();
  }
}

/**
 * Measure every runnable subject on every profile; entries for subjects that cannot run
 * (weights-only) are null. The report's JSON holds the result under models[].browser.
 */
export async function measureInBrowser(
  subjects: BrowserSubject[],
  nets: NetworkProfile[],
  encoding: Encoding,
  o: BrowserOptions = {},
): Promise<{ info: BrowserInfo; timings: (Record<string, BrowserTiming> | null)[] }> {
  const executable = checkBrowserOptions(o);
  const runs = o.runs ?? 3;
  const backend = o.backend ?? 'wasm';
  const { scripts, extra } = tfjsAssets(backend);
  const server = await startServer(pageHtml(scripts), [...scripts, ...extra], [{ url: '/loader.js', type: 'text/javascript', body: await loaderBundle() }]);
  let browser: Browser | undefined;
  try {
    const urls = await Promise.all(subjects.map((s, i) => (s.runnable ? server.addModel(i, s.files, s.container, encoding) : Promise.resolve(''))));
    browser = await launchChromium(executable);
    const total = subjects.filter((s) => s.runnable).length * nets.length * runs;
    let done = 0;
    const inits: number[] = [];
    const timings: (Record<string, BrowserTiming> | null)[] = [];
    for (const [i, s] of subjects.entries()) {
      if (!s.runnable) {
        timings.push(null);
        continue;
      }
      const perNet: Record<string, BrowserTiming> = {};
      for (const net of nets) {
        const got: RunTimes[] = [];
        for (let k = 0; k < runs; k++) {
          o.onProgress?.(done++, total, `${s.name} @${net.name}`);
          const r = await oneRun(browser, server.base, urls[i], s, net, backend);
          inits.push(r.backendInitMs);
          got.push(r);
        }
        perNet[net.name] = summarize(got);
      }
      timings.push(perNet);
    }
    o.onProgress?.(total, total, 'done');
    const refused = server.refusedEncodings();
    const info: BrowserInfo = {
      chromium: browser.version(),
      backend,
      runs,
      protocol: 'HTTP/1.1',
      throttling: 'devtools',
      backendInitMs: round(median(inits.length ? inits : [0])),
      ...(refused.length ? { unencoded: refused } : {}),
    };
    return { info, timings };
  } finally {
    await browser?.close().catch(() => undefined);
    await server.close();
  }
}
