#!/usr/bin/env node
// npm run fuzz [-- --runs N] [-- --seed S] [-- --only NAME]: the fuzzing suite (test/fuzz; --only
// data, model or mcz: that file alone) with many more cases
// than CI runs (CI: a fixed seed and a few hundred cases per property). Prints the cases run
// and their outcomes per property; a failure prints fast-check's counterexample and seed, which
// `npm run fuzz -- --seed S` replays. Exit code: vitest's.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const runs = Number(opt('runs', '10000'));
const seed = Number(opt('seed', String(Math.floor(Math.random() * 2 ** 31))));
const only = opt('only', '');
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed) || !/^[a-z]*$/.test(only)) {
  console.error('usage: npm run fuzz -- [--runs N] [--seed S] [--only data|model|mcz]');
  process.exit(2);
}
const report = path.join(tmpdir(), `maas-compress-fuzz-${process.pid}.jsonl`);
rmSync(report, { force: true });
console.log(`fuzzing${only ? ` (${only})` : ''}: ${runs} cases per property, seed ${seed}`);
const started = Date.now();
const r = spawnSync('npx', ['vitest', 'run', only ? `test/fuzz/${only}.test.ts` : 'test/fuzz', '--testTimeout', String(24 * 3600 * 1000)], {
  stdio: 'inherit',
  env: { ...process.env, FUZZ_RUNS: String(runs), FUZZ_SEED: String(seed), FUZZ_REPORT: report },
});
const lines = existsSync(report) ? readFileSync(report, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
let total = 0;
console.log(`\n${'property'.padEnd(90)} ${'cases'.padStart(7)}  outcomes`);
for (const l of lines) {
  total += l.cases;
  console.log(`${l.property.padEnd(90)} ${String(l.cases).padStart(7)}  ${JSON.stringify(l.outcomes)}`);
}
console.log(`\n${total} reader runs over ${lines.length} properties in ${Math.round((Date.now() - started) / 1000)} s, seed ${seed}: ${r.status === 0 ? 'no failures' : 'FAILED (see above)'}`);
rmSync(report, { force: true });
process.exit(r.status ?? 1);
