// Measures the sub-8-bit codecs (intN in groups, clusters) without calibration data: test
// accuracy and size on the MNIST MLP, worst-case cosine and size on the MobileFace net, for
// the table in docs/quantization.md. Each recipe is written with `compress -o x.mcz`, then
// one `report --json` per model compares them all. Needs `npm run build` first.
// Usage: node scripts/measure-lowbit.mjs [--markdown]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const CLI = path.resolve('bin/maas-compress.js');
const MODELS = [
  { name: 'mnist-mlp', dir: 'fixtures/mnist-mlp', data: 'fixtures/mnist-mlp/test.csv' },
  { name: 'mobileface', dir: 'fixtures/mobileface', data: 'fixtures/mobileface/validation.npy' },
];
const RECIPES = [
  ['int8 per channel', ['--quantize', 'int8', '--per-channel']],
  ...['int8', 'int6', 'int4', 'int3', 'int2'].flatMap((q) => [32, 64, 128].map((g) => [`${q} g${g}`, ['--quantize', q, '--group-size', String(g)]])),
  ['int4 g64 symmetric', ['--quantize', 'int4', '--group-size', '64', '--symmetric']],
  ['int3 g64 symmetric', ['--quantize', 'int3', '--group-size', '64', '--symmetric']],
  ['cluster16', ['--quantize', 'cluster16']],
  ['cluster16 per channel', ['--quantize', 'cluster16', '--per-channel']],
  ['cluster8', ['--quantize', 'cluster8']],
  ['cluster8 per channel', ['--quantize', 'cluster8', '--per-channel']],
];

const dir = mkdtempSync(path.join(tmpdir(), 'mc-lowbit-'));
const rows = new Map(RECIPES.map(([label]) => [label, {}]));
try {
  for (const m of MODELS) {
    const files = RECIPES.map(([label, args], i) => {
      const out = path.join(dir, `${m.name}-${i}.mcz`);
      execFileSync(process.execPath, [CLI, 'compress', m.dir, ...args, '-o', out, '-q']);
      rows.get(label)[m.name] = { bytes: statSync(out).size };
      return out;
    });
    const report = JSON.parse(execFileSync(process.execPath, [CLI, 'report', m.dir, ...files, '--data', m.data, '--json'], { maxBuffer: 1 << 28 }).toString());
    const [original, ...candidates] = report.models;
    rows.get(RECIPES[0][0])[`${m.name}:original`] = original;
    candidates.forEach((c, i) => Object.assign(rows.get(RECIPES[i][0])[m.name], { accuracy: c.metrics.accuracy, drop: c.delta.accuracyDrop, cos: c.metrics.cosineMin, original: original.sizes.raw }));
    console.error(`${m.name}: original ${original.sizes.raw} bytes, accuracy ${original.metrics.accuracy ?? '-'}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const pct = (x) => (x === null || x === undefined ? '-' : `${(100 * x).toFixed(2)} %`);
console.log('| codec | MNIST MLP accuracy | drop (pts) | .mcz bytes | smaller | MobileFace cos min | .mcz bytes | smaller |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const [label] of RECIPES) {
  const a = rows.get(label)['mnist-mlp'];
  const b = rows.get(label).mobileface;
  console.log(
    `| ${label} | ${pct(a.accuracy)} | ${(100 * a.drop).toFixed(2)} | ${a.bytes.toLocaleString('en')} | ${(a.original / a.bytes).toFixed(1)}x | ${b.cos.toFixed(4)} | ${b.bytes.toLocaleString('en')} | ${(b.original / b.bytes).toFixed(1)}x |`,
  );
}
