// Measures the accuracy of quantize / prune recipes on a fixture's test split, for the
// figures in docs/quantization.md and docs/pruning.md. Needs `npm run build` first.
// Usage: node scripts/measure-accuracy.mjs [fixture-dir] [test.csv]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compressInMemory, compressModel } from '../dist/compress.js';
import { useBackend } from '../dist/eval/backend.js';
import { readCsv } from '../dist/eval/data.js';
import { accuracy, loadRunnable, predictAll, runnableFromArtifacts } from '../dist/eval/predict.js';
import { topClasses as argmax } from '../dist/report/metrics.js';
import { modelSizes } from '../dist/size.js';

const model = process.argv[2] ?? 'fixtures/mnist-mlp';
const csv = process.argv[3] ?? path.join(model, 'test.csv');
const q = (dtype, extra = {}) => ({ quantize: { dtype, perChannel: false, include: [], exclude: [], minElements: 0, allowNonfinite: false, ...extra } });
const p = (sparsity, scope, pattern = 'unstructured', minElements = 1024) => ({ prune: { sparsity, scope, pattern, include: [], exclude: [], minElements, allowEmpty: false } });
const RECIPES = [
  ['float16', q('float16')],
  ['uint16 per tensor', q('uint16')],
  ['uint8 per tensor', q('uint8')],
  ['int8 per tensor', q('int8')],
  ['int8 per tensor, min-elements 1024', q('int8', { minElements: 1024 })],
  ['prune 50 % layer', p(0.5, 'layer')],
  ['prune 50 % global', p(0.5, 'global')],
  ['prune 70 % layer', p(0.7, 'layer')],
  ['prune 70 % global', p(0.7, 'global')],
  ['prune 90 % layer', p(0.9, 'layer')],
  ['prune 90 % global', p(0.9, 'global')],
  ['prune 2:4', p(0.5, 'layer', { n: 2, m: 4 })],
  ['prune 50 % layer, min-elements 0', p(0.5, 'layer', 'unstructured', 0)],
  ['prune 50 % global, min-elements 0', p(0.5, 'global', 'unstructured', 0)],
  ['prune 50 % layer + int8', { ...p(0.5, 'layer'), ...q('int8') }],
];
// Per-channel int8 has no stock form: measured in memory, on the values a loader decodes.
const IN_MEMORY = [
  ['int8 per channel (in memory)', q('int8', { perChannel: true })],
  ['prune 50 % layer + int8 per channel (in memory)', { ...p(0.5, 'layer'), ...q('int8', { perChannel: true }) }],
];

await useBackend('wasm');
const data = await readCsv(csv);
const run = async (dir) => {
  const r = typeof dir === 'string' ? await loadRunnable(dir) : await runnableFromArtifacts(dir.artifacts, dir.format);
  const { outputs, classes } = await predictAll(r, data);
  r.dispose();
  return { outputs, classes, acc: accuracy(outputs, classes, data.labels) };
};
const base = await run(model);
const baseTop = argmax(base.outputs, base.classes);
const baseSize = (await modelSizes(model)).total;
const rows = [['original', base.acc, 0, 1, baseSize.raw, baseSize.gzip]];
const tmp = mkdtempSync(path.join(tmpdir(), 'mc-measure-'));
for (const [name, recipe] of RECIPES) {
  const out = path.join(tmp, name.replace(/\W+/g, '-'));
  await compressModel(model, out, recipe);
  const r = await run(out);
  const top = argmax(r.outputs, r.classes);
  const agree = top.reduce((n, t, i) => n + (t === baseTop[i] ? 1 : 0), 0) / top.length;
  const s = (await modelSizes(out)).total;
  rows.push([name, r.acc, base.acc - r.acc, agree, s.raw, s.gzip]);
}
for (const [name, recipe] of IN_MEMORY) {
  const r = await run(await compressInMemory(model, recipe));
  const top = argmax(r.outputs, r.classes);
  const agree = top.reduce((n, t, i) => n + (t === baseTop[i] ? 1 : 0), 0) / top.length;
  rows.push([name, r.acc, base.acc - r.acc, agree, NaN, NaN]);
}
rmSync(tmp, { recursive: true, force: true });
console.log(`model ${model}, data ${csv} (${data.samples} samples), backend wasm\n`);
console.log('| recipe | accuracy | drop (points) | top-1 agreement | raw bytes | gzip -9 bytes |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const [name, acc, drop, agree, raw, gz] of rows) {
  console.log(`| ${name} | ${(acc * 100).toFixed(2)} % | ${(drop * 100).toFixed(2)} | ${(agree * 100).toFixed(2)} % | ${Number.isNaN(raw) ? '-' : raw} | ${Number.isNaN(gz) ? '-' : gz} |`);
}
