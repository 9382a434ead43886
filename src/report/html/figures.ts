/** How the HTML report writes its figures, shared by its table and charts. */
import type { Encoding, ModelReport, Report } from '../types.js';

/** A duration: milliseconds below a second, seconds with two decimals above. */
export const secs = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);

/** A fraction as a percentage with two decimals; null as an en dash. */
export const pct = (x: number | null): string => (x === null ? '–' : `${(x * 100).toFixed(2)} %`);

/**
 * A cosine with five decimals, rounded down: a worst case just under 1 must not read
 * as an exact 1.00000.
 */
export const cos = (x: number): string => (x === 1 ? '1' : (Math.floor(x * 1e5) / 1e5).toFixed(5));

/** An SQNR in dB; null means the outputs are identical (infinite SQNR). */
export const sqnr = (x: number | null): string => (x === null ? 'exact' : x.toFixed(1));

/** A maximum absolute error. */
export const err = (x: number): string => (x === 0 ? '0' : x.toExponential(2));

/** The name of the transfer encoding as the page says it. */
export const encodingName = (e: Encoding): string => (e === 'br' ? 'brotli' : e === 'gzip' ? 'gzip' : 'raw');

/** Bytes a model costs on the wire: its transfer-encoded size, or its raw size when it is served as is. */
export function servedBytes(m: ModelReport, e: Encoding): number {
  if (m.servedAsIs || e === 'none') return m.sizes.raw;
  return e === 'br' ? m.sizes.brotli : m.sizes.gzip;
}

/**
 * What the fidelity chart plots: accuracy when the report has labels and every measured
 * model has an accuracy, the worst-case cosine otherwise (it exists for every model that
 * ran, with or without labels).
 */
export function fidelityMeasure(r: Report): 'accuracy' | 'cosineMin' {
  const measured = r.models.filter((m) => m.metrics !== null);
  return r.data.labels && measured.length > 0 && measured.every((m) => m.metrics?.accuracy !== null) ? 'accuracy' : 'cosineMin';
}

/** Distinct fills for the models, in report order; status never relies on them alone. */
export const COLORS = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#ff9da6', '#9d755d'];
