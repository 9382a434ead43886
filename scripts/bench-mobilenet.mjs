// The seeded MobileNet-v1 (224x224x3, about 14 MB of float32 weights) and the real face
// inputs that `npm run bench` measures report and tune on, built once into .cache/bench/.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = path.join(ROOT, '.cache', 'bench');
/** Folder of the model. */
export const MODEL = path.join(CACHE, 'mobilenet-v1-224');
const FACES = path.join(ROOT, '..', 'shared', 'data', 'images', 'lfw_subset.npy');

/** Build the seeded MobileNet-v1 once (tfjs-layers, cpu backend). */
export async function buildModel() {
  if (existsSync(path.join(MODEL, 'model.json'))) return;
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  const tfl = await import('@tensorflow/tfjs-layers');
  await tf.setBackend('cpu');
  let seed = 1;
  const init = () => tfl.initializers.heNormal({ seed: seed++ });
  const input = tfl.input({ shape: [224, 224, 3], name: 'image' });
  const bnRelu = (x, name) => tfl.layers.reLU({ maxValue: 6, name: `${name}_relu` }).apply(tfl.layers.batchNormalization({ name: `${name}_bn` }).apply(x));
  let x = bnRelu(tfl.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: init(), name: 'conv0' }).apply(input), 'conv0');
  const blocks = [[64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2], [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1]];
  blocks.forEach(([filters, strides], i) => {
    x = bnRelu(tfl.layers.depthwiseConv2d({ kernelSize: 3, strides, padding: 'same', useBias: false, depthwiseInitializer: init(), name: `dw${i + 1}` }).apply(x), `dw${i + 1}`);
    x = bnRelu(tfl.layers.conv2d({ filters, kernelSize: 1, padding: 'same', useBias: false, kernelInitializer: init(), name: `pw${i + 1}` }).apply(x), `pw${i + 1}`);
  });
  x = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(x);
  const out = tfl.layers.dense({ units: 512, kernelInitializer: init(), name: 'embedding' }).apply(x);
  const model = tfl.model({ inputs: input, outputs: out, name: 'mobilenet_v1_bench' });
  // Batch-norm statistics away from the identity, as a trained net has them.
  for (const l of model.layers.filter((l) => l.name.endsWith('_bn'))) {
    const n = l.getWeights()[0].shape[0];
    const r = (k) => tf.tensor1d(Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + k * 78.233 + seed) * 0.5 + 0.5));
    l.setWeights([tf.add(0.5, r(1)), tf.mul(0.2, tf.sub(r(2), 0.5)), tf.mul(0.1, tf.sub(r(3), 0.5)), tf.add(0.5, r(4))]);
  }
  mkdirSync(MODEL, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const bin = 'group1-shard1of1.bin';
      writeFileSync(path.join(MODEL, bin), Buffer.from(a.weightData));
      writeFileSync(path.join(MODEL, 'model.json'), JSON.stringify({ format: 'layers-model', generatedBy: 'maas-compress bench', modelTopology: a.modelTopology, weightsManifest: [{ paths: [bin], weights: a.weightSpecs }] }));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

/** `n` faces of lfw_subset.npy from face `first` (float64 [200, 25, 25] in [0, 1]) as [n, 224, 224, 3] float32 (bilinear, grey to RGB). */
export function buildInputs(n, first = 0) {
  const file = path.join(CACHE, first ? `faces-224-${first}-${n}.npy` : `faces-224-${n}.npy`);
  if (existsSync(file)) return file;
  const bytes = readFileSync(FACES);
  const headerLen = bytes.readUInt16LE(8);
  const src = new Float64Array(bytes.buffer.slice(bytes.byteOffset + 10 + headerLen, bytes.byteOffset + 10 + headerLen + 200 * 625 * 8));
  const S = 224;
  const out = new Float32Array(n * S * S * 3);
  for (let k = 0; k < n; k++) {
    for (let y = 0; y < S; y++) {
      const fy = Math.min(24, Math.max(0, ((y + 0.5) * 25) / S - 0.5));
      const y0 = Math.floor(fy);
      const y1 = Math.min(24, y0 + 1);
      for (let x = 0; x < S; x++) {
        const fx = Math.min(24, Math.max(0, ((x + 0.5) * 25) / S - 0.5));
        const x0 = Math.floor(fx);
        const x1 = Math.min(24, x0 + 1);
        const at = (yy, xx) => src[(first + k) * 625 + yy * 25 + xx];
        const v = (at(y0, x0) * (1 - (fx - x0)) + at(y0, x1) * (fx - x0)) * (1 - (fy - y0)) + (at(y1, x0) * (1 - (fx - x0)) + at(y1, x1) * (fx - x0)) * (fy - y0);
        const o = ((k * S + y) * S + x) * 3;
        out[o] = out[o + 1] = out[o + 2] = v;
      }
    }
  }
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n}, ${S}, ${S}, 3), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const h = Buffer.alloc(10);
  h.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  h.writeUInt16LE(header.length, 8);
  writeFileSync(file, Buffer.concat([h, Buffer.from(header, 'latin1'), Buffer.from(out.buffer)]));
  return file;
}

