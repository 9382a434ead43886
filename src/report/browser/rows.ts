/** The browser figures of a report as rows and notes, shared by the table, markdown and HTML renderers. */
import type { Report } from '../types.js';

/** A duration as the report writes it: milliseconds below a second, seconds with two decimals above. */
const secs = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`);

/** The header of the browser table. */
export const BROWSER_HEADER = ['model', 'profile', 'simulated transfer', 'measured transfer', 'measured ÷ simulated', 'decode', 'build', 'first prediction', 'time to first prediction', 'prediction'];

/** One row per model and profile, `-` for a model that cannot run; null when the report has no browser figures. */
export function browserRows(r: Report): string[][] | null {
  if (!r.browser) return null;
  const body: string[][] = [];
  for (const m of r.models) {
    for (const n of r.networks) {
      const sim = m.transfer[n.name]?.ms;
      const b = m.browser?.[n.name];
      if (!b) {
        body.push([m.name, n.name, secs(sim), '-', '-', '-', '-', '-', 'needs topology', '-']);
        continue;
      }
      body.push([m.name, n.name, secs(sim), secs(b.transferMs), (b.transferMs / sim).toFixed(2), secs(b.decodeMs), secs(b.buildMs), secs(b.firstPredictionMs), secs(b.timeToFirstPredictionMs), secs(b.predictionMs)]);
    }
  }
  return body;
}

/** Median over models of measured ÷ simulated transfer time, per profile. */
export function transferRatios(r: Report): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of r.networks) {
    const xs = r.models.flatMap((m) => (m.browser?.[n.name] ? [m.browser[n.name].transferMs / m.transfer[n.name].ms] : [])).sort((a, b) => a - b);
    if (xs.length) out[n.name] = xs.length % 2 ? xs[xs.length >> 1] : (xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2;
  }
  return out;
}

/** How the browser figures were measured, and how far the simulation is from them, in two sentences. */
export function browserNotes(r: Report): string[] {
  const b = r.browser;
  if (!b) return [];
  const ratios = Object.entries(transferRatios(r)).map(([k, v]) => `${k} ${v.toFixed(2)}`);
  return [
    `measured in headless Chromium ${b.chromium}, tfjs ${b.backend} backend (initialised before throttling: ${secs(b.backendInitMs)}, not in the sums), median of ${b.runs} run${b.runs === 1 ? '' : 's'} per profile, each in a fresh context with the cache disabled, ${b.protocol} from 127.0.0.1 under DevTools throttling (latency = the profile's RTT, throughput = its bandwidth)`,
    `measured ÷ simulated transfer (median over models): ${ratios.join(', ')}; DevTools throttling adds its latency once per request and has no connection set-up, TLS handshake or TCP slow start, which the simulation counts (docs/report.md)`,
    ...(b.unencoded?.length ? [`Chromium did not accept the transfer encoding for ${b.unencoded.length} file(s): they were sent raw, so their transfer is not comparable with the simulation`] : []),
  ];
}
