#!/usr/bin/env node
// Calibration digits for fixtures/mnist-mlp: MNIST digits of the `mnist` dev dependency
// that are not in fixtures/mnist-mlp/test.csv (the model's held-out test split), as CSV
// rows in the same form (784 pixels in [0, 1] as the fixtures write them, label last).
// They are digits the model was trained on, never ones its test split holds, so a search
// that calibrates on them is judged on data it did not see.
//
//   node scripts/mnist-calibration.mjs [--count 2000] [-o .cache/mnist/calibration.csv]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const TEST = path.join(ROOT, 'fixtures', 'mnist-mlp', 'test.csv');

// The form scripts/make-fixtures.mjs writes pixels in: at most 4 decimals, no "-0".
function fmt(x) {
  if (Number.isInteger(x)) return String(x);
  const s = String(Number(x.toFixed(4)));
  return s === '-0' ? '0' : s;
}

/** CSV text of the first `count` digits (in package order, interleaved by class) that test.csv does not hold. */
export function calibrationCsv(count = 2000) {
  const mnist = createRequire(import.meta.url)('mnist');
  const test = new Set(readFileSync(TEST, 'utf8').trim().split('\n'));
  const rows = [];
  // Interleave the classes so that any prefix holds every digit.
  for (let i = 0; rows.length < count; i++) {
    let any = false;
    for (let d = 0; d <= 9 && rows.length < count; d++) {
      if (i >= mnist[d].length) continue;
      any = true;
      const row = `${mnist[d].get(i).map(fmt).join(',')},${d}`;
      if (!test.has(row)) rows.push(row);
    }
    if (!any) break;
  }
  return `${rows.join('\n')}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = (f, d) => (process.argv.includes(f) ? process.argv[process.argv.indexOf(f) + 1] : d);
  const out = path.resolve(at('-o', path.join(ROOT, '.cache', 'mnist', 'calibration.csv')));
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, calibrationCsv(Number(at('--count', 2000))));
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}
