/** Hand-built v2 reports for the HTML renderer's tests: realistic figures, long names, every kind of input. */
import type { Metrics, ModelReport, OutputMetrics, Report } from '../../src/report/types.js';
import { NETWORKS, transferTime } from '../../src/report/transfer.js';

const NETS = [NETWORKS['3g'], NETWORKS['4g'], NETWORKS.broadband];

/** One output's figures; cosineMin 1 (with the defaults) is an exact copy of the original's output. */
export function output(name: string, f: { accuracy?: number | null; agreement?: number | null; cosineMin: number; cosineMean?: number; sqnrDb?: number | null; maxAbsError?: number; worstSample?: number }): OutputMetrics {
  return {
    name,
    shape: [10],
    accuracy: f.accuracy ?? null,
    agreement: f.agreement === undefined ? 1 : f.agreement,
    cosineMin: f.cosineMin,
    cosineMean: f.cosineMean ?? Math.min(1, f.cosineMin + (1 - f.cosineMin) * 0.6),
    sqnrDb: f.sqnrDb === undefined ? (f.cosineMin === 1 ? null : 40) : f.sqnrDb,
    maxAbsError: f.maxAbsError ?? (f.cosineMin === 1 ? 0 : 0.004),
    worstSample: f.worstSample ?? 17,
  };
}

/** Headline figures from the outputs: the worst of each, as the report computes them. */
export function metrics(outputs: OutputMetrics[], labelOutput: string | null = null): Metrics {
  const worst = outputs.reduce((a, b) => (b.cosineMin < a.cosineMin ? b : a));
  const sq = outputs.map((o) => o.sqnrDb).filter((v): v is number => v !== null);
  const ag = outputs.map((o) => o.agreement).filter((v): v is number => v !== null);
  return {
    accuracy: outputs.find((o) => o.name === labelOutput)?.accuracy ?? null,
    agreement: ag.length ? Math.min(...ag) : null,
    cosineMin: worst.cosineMin,
    cosineMean: Math.min(...outputs.map((o) => o.cosineMean)),
    sqnrDb: sq.length ? Math.min(...sq) : null,
    maxAbsError: Math.max(...outputs.map((o) => o.maxAbsError)),
    worst: { output: worst.name, sample: worst.worstSample },
    outputs,
  };
}

/** A model row: sizes in bytes (gzip and brotli equal raw when it is a .mcz served as is). */
export function model(name: string, raw: number, m: Metrics | null, opts: { original?: ModelReport; mcz?: boolean; gzip?: number; brotli?: number } = {}): ModelReport {
  const mcz = opts.mcz ?? false;
  const gzip = mcz ? raw : (opts.gzip ?? Math.round(raw * 0.93));
  const brotli = mcz ? raw : (opts.brotli ?? Math.round(raw * 0.91));
  const json = 2400;
  const transfer: Record<string, { ms: number }> = {};
  for (const n of NETS) transfer[n.name] = { ms: mcz ? transferTime({ container: brotli }, n) : transferTime({ json, weights: [brotli - json] }, n) };
  const o = opts.original;
  const drop = o?.metrics?.accuracy != null && m?.accuracy != null ? o.metrics.accuracy - m.accuracy : null;
  return {
    name,
    role: o ? 'candidate' : 'original',
    path: mcz ? `out/${name.length}.mcz` : `out/${name.length}`,
    container: mcz,
    servedAsIs: mcz,
    files: [{ file: mcz ? 'model.mcz' : 'model.json', raw, gzip, brotli }],
    sizes: { raw, gzip, brotli },
    transfer,
    metrics: m,
    delta: { accuracyDrop: o ? drop : null, sizeReduction: o ? o.sizes.raw / raw : 1 },
  };
}

function report(models: ModelReport[], data: Partial<Report['data']>, inputs: Report['inputs'], notes: string[] = []): Report {
  return {
    schemaVersion: 2,
    passed: true,
    backend: 'wasm',
    encoding: 'br',
    inputs,
    data: { source: 'test.csv', samples: 2000, labels: false, synthetic: false, labelOutput: null, ...data },
    networks: NETS,
    models,
    budgets: [],
    notes,
  };
}

/** Names of the labelled report's candidates, the longest over 60 characters. */
export const LONG_NAMES = [
  'float16',
  'int8 per channel',
  'prune 50 % (layer) + int8 per channel',
  'prune 90 % (global scope, kernels only) + uint8 per tensor, biases excluded, packed',
];

/**
 * MNIST-like, labelled: the original and four candidates; two are .mcz served as is.
 * Front (smaller served size, higher accuracy): prune 50 %, int8, float16. The original
 * is beaten by float16 (smaller, same accuracy), prune 90 % by int8 per channel.
 */
export function labelledReport(): Report {
  const one = (acc: number, cos: number, sqnr: number | null) => metrics([output('dense_3', { accuracy: acc, cosineMin: cos, sqnrDb: sqnr, agreement: acc === 0.9665 ? 1 : 0.991 })], 'dense_3');
  const orig = model('original', 1_066_456, one(0.9665, 1, null));
  const r = report(
    [
      orig,
      model(LONG_NAMES[0], 533_560, one(0.9665, 0.99999, 78.2), { original: orig }),
      model(LONG_NAMES[1], 281_312, one(0.966, 0.99962, 41.5), { original: orig, mcz: true }),
      model(LONG_NAMES[2], 152_904, one(0.965, 0.99871, 33.9), { original: orig, mcz: true }),
      model(LONG_NAMES[3], 401_000, one(0.8, 0.71, 6.1), { original: orig }),
    ],
    { labels: true, labelOutput: 'dense_3' },
    'data',
    ['Sizes of a .mcz are its raw bytes: it is served as is, without transfer encoding.'],
  );
  r.passed = false;
  r.budgets = [
    { name: 'max-accuracy-drop', model: LONG_NAMES[3], limit: 0.005, actual: 0.1665, passed: false },
    { name: 'max-accuracy-drop', model: LONG_NAMES[0], limit: 0.005, actual: 0, passed: true },
  ];
  return r;
}

/** Output names of the multi-output graph model. */
export const OUTPUTS = ['StatefulPartitionedCall/detector/box_regression/BiasAdd:0', 'StatefulPartitionedCall/detector/class_scores/Softmax:0'];

/** A two-output graph model whose int8 candidate ruined output 2 (cosineMin 0.34) and kept output 1 exact; a hostile name too. */
export function multiOutputReport(): Report {
  const orig = model('original', 880_000, metrics([output(OUTPUTS[0], { cosineMin: 1, agreement: null }), output(OUTPUTS[1], { cosineMin: 1 })]));
  return report(
    [
      orig,
      model('float16', 440_000, metrics([output(OUTPUTS[0], { cosineMin: 0.99998, agreement: null, sqnrDb: 81 }), output(OUTPUTS[1], { cosineMin: 0.99999, sqnrDb: 84 })]), { original: orig }),
      model('int8 per tensor', 221_000, metrics([output(OUTPUTS[0], { cosineMin: 1, agreement: null, sqnrDb: null }), output(OUTPUTS[1], { cosineMin: 0.34, cosineMean: 0.61, sqnrDb: 2.3, agreement: 0.42, maxAbsError: 0.91, worstSample: 3 })]), { original: orig }),
      model(`<script>alert("x")</script> & 'quoted' "name"`, 300_000, metrics([output(OUTPUTS[0], { cosineMin: 0.999, agreement: null }), output(OUTPUTS[1], { cosineMin: 0.998 })]), { original: orig }),
    ],
    { source: 'frames.npy', samples: 64 },
    'data',
  );
}

/** No data: fidelity from seeded random inputs. */
export function syntheticReport(): Report {
  const one = (cos: number) => metrics([output('logits', { cosineMin: cos })]);
  const orig = model('original', 1_066_456, one(1));
  return report(
    [orig, model('float16', 533_560, one(0.99998), { original: orig }), model('prune 50 % (layer) + int8 per channel', 152_904, one(0.9981), { original: orig, mcz: true })],
    { source: 'synthetic uniform [0, 1)', samples: 256, synthetic: true },
    'synthetic',
    ['No --data: agreement, cosine and error are against the original on seeded random inputs.'],
  );
}

/** A weights-only manifest: no topology, so no metrics. */
export function weightsOnlyReport(): Report {
  const orig = model('original', 4_200_000, null);
  return report(
    [orig, model('float16', 2_100_000, null, { original: orig }), model('int8 per channel', 1_080_000, null, { original: orig, mcz: true })],
    { source: 'none', samples: 0 },
    'none',
    ['Weights-only manifest: no topology, so no fidelity figures.'],
  );
}

/** Eight candidates crowded onto almost the same point: the dot numbers must still not collide. */
export function crowdedReport(): Report {
  const orig = model('original', 1_000_000, metrics([output('y', { accuracy: 0.95, cosineMin: 1 })], 'y'));
  const models = [orig];
  for (let i = 0; i < 8; i++) models.push(model(`recipe ${i} with a name long enough to wrap in the legend of the chart, variant ${i}`, 500_000 + i * 300, metrics([output('y', { accuracy: 0.949 - i * 0.00002, cosineMin: 0.999 })], 'y'), { original: orig }));
  return report(models, { labels: true, labelOutput: 'y' }, 'data');
}
