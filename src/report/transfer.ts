/**
 * Simulated transfer time of a model over a network profile (docs/report.md states the
 * formula and a worked example):
 *
 *   total = 2 RTT (TCP + TLS 1.3 handshakes)
 *         + RTT + data(model.json bytes)                 [request, then the response]
 *         + RTT + data(sum of weight file bytes)         [all shards requested at once on
 *                                                         one HTTP/2 connection, sharing it]
 *
 * data(B) follows TCP slow start: the congestion window starts at 10 segments of 1460
 * bytes (RFC 6928) and doubles after each full round trip; while the window is below
 * the bandwidth-delay product a full window costs one RTT, once it reaches it the rest
 * flows at the link rate; the last (partial) window costs its bytes at the link rate.
 * The window carries over from model.json to the weights. Sizes are transfer-encoded
 * (brotli by default). A .mcz container is one file: 2 RTT + RTT + data(file bytes).
 */
import { McError } from '../errors.js';

/** A network: bandwidth and round-trip time. */
export interface NetworkProfile {
  name: string;
  kbitPerSecond: number;
  rttMs: number;
}

/** Built-in profiles (Lighthouse's simulated throttling presets). */
export const NETWORKS: Readonly<Record<string, NetworkProfile>> = {
  '3g': { name: '3g', kbitPerSecond: 700, rttMs: 300 },
  '4g': { name: '4g', kbitPerSecond: 1638.4, rttMs: 150 },
  broadband: { name: 'broadband', kbitPerSecond: 10240, rttMs: 40 },
};

/** TCP initial window: 10 segments of 1460 bytes. */
export const INITIAL_WINDOW = 10 * 1460;

/** Parse `3g`, `4g`, `broadband` or `name=<kbit/s>/<rtt ms>`. */
export function parseNetwork(s: string): NetworkProfile {
  const known = NETWORKS[s.trim()];
  if (known) return known;
  const m = /^\s*([\w.-]+)\s*=\s*(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)\s*$/.exec(s);
  if (!m || Number(m[2]) <= 0) {
    throw new McError('USAGE', `--network: expected ${Object.keys(NETWORKS).join(', ')} or name=<kbit/s>/<rtt ms> (e.g. slow=400/2000), found "${s}"`);
  }
  return { name: m[1], kbitPerSecond: Number(m[2]), rttMs: Number(m[3]) };
}

/** Time to deliver `bytes` from window `window`; returns ms and the window afterwards. */
export function dataTime(bytes: number, net: NetworkProfile, window: number): { ms: number; window: number } {
  const perMs = (net.kbitPerSecond * 1000) / 8 / 1000;
  const bdp = perMs * net.rttMs;
  let remaining = bytes;
  let w = window;
  let ms = 0;
  while (remaining > 0) {
    if (w >= bdp || remaining <= w) {
      ms += remaining / perMs;
      break;
    }
    ms += net.rttMs;
    remaining -= w;
    w *= 2;
  }
  return { ms, window: w };
}

/** Simulated load time of a model: its model.json and weight file sizes (transfer-encoded). */
export function transferTime(files: { json: number; weights: number[] } | { container: number }, net: NetworkProfile): number {
  const setup = 2 * net.rttMs;
  if ('container' in files) return setup + net.rttMs + dataTime(files.container, net, INITIAL_WINDOW).ms;
  const json = dataTime(files.json, net, INITIAL_WINDOW);
  const total = files.weights.reduce((a, b) => a + b, 0);
  const weights = total > 0 ? net.rttMs + dataTime(total, net, json.window).ms : 0;
  return setup + net.rttMs + json.ms + weights;
}
