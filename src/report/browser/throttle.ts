/**
 * DevTools network throttling for a report's network profiles, and what that throttling
 * predicts. Chromium applies it per request, above the connection: each request waits
 * `latency` ms before its response starts, and response bodies are metered at
 * `downloadThroughput`, shared by the requests in flight. There is no connection set-up,
 * no TLS handshake and no TCP slow start, which the simulation (transfer.ts) models; the
 * profile's RTT becomes the per-request latency and its bandwidth the throughput, so the
 * gap between the two is exactly those terms (docs/report.md, "Measured in a browser").
 */
import type { NetworkProfile } from '../transfer.js';

/** Parameters of CDP's Network.emulateNetworkConditions. */
export interface DevtoolsConditions {
  offline: boolean;
  /** Per-request latency, ms. */
  latency: number;
  /** Bytes per second. */
  downloadThroughput: number;
  /** Bytes per second. */
  uploadThroughput: number;
}

/** The DevTools conditions of a profile: latency = RTT, throughput = bandwidth both ways. */
export function devtoolsConditions(net: NetworkProfile): DevtoolsConditions {
  const bytesPerSecond = (net.kbitPerSecond * 1000) / 8;
  return { offline: false, latency: net.rttMs, downloadThroughput: bytesPerSecond, uploadThroughput: bytesPerSecond };
}

/**
 * Time to last byte that DevTools throttling gives, in ms, for files fetched as the page
 * fetches them: one request (a .mcz), or model.json and then every weight file at once.
 * `files`: transfer-encoded bytes, model.json first.
 */
export function devtoolsTransferTime(files: { json: number; weights: number[] } | { container: number }, net: NetworkProfile): number {
  const perMs = (net.kbitPerSecond * 1000) / 8 / 1000;
  if ('container' in files) return net.rttMs + files.container / perMs;
  const weights = files.weights.reduce((a, b) => a + b, 0);
  return net.rttMs + files.json / perMs + (files.weights.length ? net.rttMs + weights / perMs : 0);
}
