#!/usr/bin/env node
// `npm run bench`: throughput and peak memory of every step on seeded synthetic models,
// against cp, gzip, zstd and brotli on the same bytes. Not a test: nothing here fails on
// a slow machine; it measures, writes JSON and prints tables (docs/performance.md).
//
//   node scripts/bench.mjs [--small MiB] [--large MiB] [--out file.json] [--tmp dir] [--keep]
//
// Defaults: a 256 MiB model (4 MiB shards) and a 2560 MiB one (a first shard over 2 GiB
// ending inside a tensor), written to a fresh temporary folder that is removed at the end
// (`--keep` keeps it and its files).
// Every step runs in its own process (scripts/bench-step.mjs), after `sync`, so its peak
// RSS is its own and earlier writes are not flushed on its time. The models are in the
// page cache throughout (the machine has the memory), for the steps and the baselines alike.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readSync, readdirSync, rmSync, statSync, statfsSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeModel } from './bench-model.mjs';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const MiB = 1024 * 1024;
const MB = 1e6;

function args() {
  const a = process.argv.slice(2);
  const opt = (k, d) => {
    const i = a.indexOf(k);
    return i >= 0 ? a[i + 1] : d;
  };
  return {
    small: Number(opt('--small', '256')),
    large: Number(opt('--large', '2560')),
    out: path.resolve(opt('--out', path.join(ROOT, 'bench', 'results.json'))),
    tmp: opt('--tmp', os.tmpdir()),
    keep: a.includes('--keep'),
  };
}

const started = Date.now();
const log = (...x) => console.error(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s]`, ...x);

/** Longest a single step or baseline may take before it is stopped and noted. */
const STEP_TIMEOUT_MS = 300_000;

/** Run a command; returns its wall seconds and output. Throws on failure or timeout. */
function run(cmd, argv, opts = {}) {
  const t = performance.now();
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 * MiB, timeout: STEP_TIMEOUT_MS, ...opts });
  const wall = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.slice(0, 2).join(' ')} failed (${r.signal ?? r.status}): ${(r.stderr || String(r.error ?? '')).trim().split('\n').pop()}`);
  return { wall, stdout: r.stdout, stderr: r.stderr };
}

const sync = () => spawnSync('sync');
const has = (cmd) => spawnSync(cmd, ['--version'], { encoding: 'utf8' }).status === 0;

/** Bytes under a path. */
function sizeOf(p) {
  const st = statSync(p);
  return st.isDirectory() ? readdirSync(p).reduce((n, f) => n + sizeOf(path.join(p, f)), 0) : st.size;
}

/** The shard files of a generated model, in order. */
function shardsOf(dir) {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bin'))
    .sort((a, b) => Number(/shard(\d+)of/.exec(a)[1]) - Number(/shard(\d+)of/.exec(b)[1]))
    .map((f) => path.join(dir, f));
}

/** The first `n` bytes of a model's weights, as a file (a subset for the slow baselines). */
function prefixFile(dir, n, to) {
  const out = openSync(to, 'w');
  const buf = Buffer.alloc(4 * MiB);
  let left = n;
  for (const s of shardsOf(dir)) {
    const fd = openSync(s, 'r');
    let pos = 0;
    while (left > 0) {
      const got = readSync(fd, buf, 0, Math.min(buf.length, left), pos);
      if (got === 0) break;
      for (let w = 0; w < got; ) w += writeSync(out, buf, w, got - w);
      pos += got;
      left -= got;
    }
    closeSync(fd);
    if (left === 0) break;
  }
  closeSync(out);
  return n - left;
}

/** One library step in its own process: scripts/bench-step.mjs. */
function step(name, input, output, env = {}) {
  sync();
  const r = run(process.execPath, [path.join(ROOT, 'scripts', 'bench-step.mjs'), name, input, ...(output ? [output] : [])], { env: { ...process.env, ...env } });
  const j = JSON.parse(r.stdout.trim().split('\n').pop());
  return { ...j, wallSeconds: r.wall };
}

/** Median of numbers. */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const opts = args();
  if (!existsSync(path.join(ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run npm run build first (npm run bench does)');
  const need = (opts.small + opts.large) * MiB * 3.3 + 2 * 1024 * MiB;
  const st = statfsSync(opts.tmp);
  const free = st.bavail * st.bsize;
  if (free < need) throw new Error(`${opts.tmp}: ${(free / 2 ** 30).toFixed(1)} GiB free, the bench needs about ${(need / 2 ** 30).toFixed(1)} GiB (use --tmp or a smaller --large)`);
  const tmp = mkdtempSync(path.join(opts.tmp, 'maas-bench-'));
  log(`working in ${tmp}`);
  const notes = [];
  const zstd = has('zstd');
  if (!zstd) notes.push('zstd CLI not found (Debian: apt-get install -y zstd): zstd baselines skipped');
  const results = {
    schemaVersion: 1,
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      platform: `${os.type()} ${os.release()} ${os.arch()}`,
      zstd: zstd ? run('zstd', ['--version']).stdout.trim() : null,
      gzip: run('gzip', ['--version']).stdout.split('\n')[0],
      /** 1-minute load average when the bench started and ended: above 1, something else was using a core. */
      load: { start: os.loadavg()[0] },
    },
    models: {},
    steps: [],
    baselines: [],
    notes,
  };
  try {
    const sizes = { small: opts.small, large: opts.large };
    for (const [which, mib] of Object.entries(sizes)) {
      if (!mib) continue;
      const dir = path.join(tmp, which);
      log(`generating the ${which} model (${mib} MiB)`);
      const info = makeModel(dir, mib * MiB, { seed: 1, shardSize: which === 'large' ? 'big' : 4 * MiB });
      results.models[which] = { bytes: info.bytes, tensors: info.tensors, shards: info.shards, largestTensor: info.largestTensor, firstShard: info.firstShard, straddles: info.straddles };
      const bytes = info.bytes;
      const add = (s, extra = {}) => {
        const row = { model: which, inputBytes: bytes, ...s, ...extra };
        row.mbPerSec = row.inputBytes / MB / row.seconds;
        results.steps.push(row);
        log(`${which} ${row.step}${extra.variant ? ` (${extra.variant})` : ''}: ${row.seconds.toFixed(2)} s, ${row.mbPerSec.toFixed(0)} MB/s, peak RSS ${(row.maxRssBytes / MiB).toFixed(0)} MiB`);
        return row;
      };
      // A failing or stuck step becomes a note; the others still run.
      const attempt = (label, fn) => {
        try {
          fn();
        } catch (e) {
          notes.push(`${which} ${label}: not measured (${e.message})`);
          log(`${which} ${label}: FAILED: ${e.message}`);
        }
      };
      const out = path.join(tmp, `${which}-out`);
      const mcz = path.join(tmp, `${which}.mcz`);
      const lossy = path.join(tmp, `${which}-lossy.mcz`);
      attempt('read', () => add(step('read', dir)));
      for (const name of ['quantize-float16', 'quantize-int8', 'prune-layer', 'prune-global']) {
        attempt(name, () => add(step(name, dir, out)));
        rmSync(out, { recursive: true, force: true });
      }
      attempt('quantize-int8 (2 workers)', () => add(step('quantize-int8', dir, out, { BENCH_WORKERS: '2' }), { variant: '2 workers' }));
      rmSync(out, { recursive: true, force: true });
      attempt('pack', () => add(step('pack', dir, mcz)));
      attempt('pack (2 workers)', () => add(step('pack', dir, path.join(tmp, `${which}-w2.mcz`), { BENCH_WORKERS: '2' }), { variant: '2 workers' }));
      rmSync(path.join(tmp, `${which}-w2.mcz`), { force: true });
      attempt('compress', () => add(step('compress-int8pc', dir, lossy), { recipe: 'prune 50 % layer + int8 per channel' }));
      if (existsSync(mcz)) {
        const mczBytes = sizeOf(mcz);
        attempt('unpack', () => add(step('unpack', mcz, out), { packedBytes: mczBytes }));
        rmSync(out, { recursive: true, force: true });
        attempt('decode-file', () => {
          const df = step('decode-file', mcz);
          add(df, { inputBytes: df.decodedBytes, packedBytes: mczBytes });
        });
        if (mczBytes < 2 ** 31 - 1) {
          attempt('loader-decode', () => {
            const ld = step('loader-decode', mcz);
            add({ ...ld, seconds: ld.decodeSeconds }, { inputBytes: ld.decodedBytes, packedBytes: mczBytes, note: 'parseMcz + mczArtifacts on the file in memory (reading it not counted)' });
          });
        } else notes.push(`${which}: loader decode skipped: the loader takes the whole file in memory and this .mcz is over 2 GiB (decode-file reads it in place)`);
      }

      // Baselines on the same bytes.
      const base = (tool, s, inputBytes, outputBytes, extra = {}) => {
        const row = { model: which, tool, seconds: s, inputBytes, mbPerSec: inputBytes / MB / s, outputBytes, ratio: outputBytes / inputBytes, ...extra };
        results.baselines.push(row);
        log(`${which} baseline ${tool}${extra.subset ? ` (first ${(inputBytes / MiB).toFixed(0)} MiB)` : ''}: ${s.toFixed(2)} s, ${row.mbPerSec.toFixed(0)} MB/s, ${outputBytes} bytes`);
        return row;
      };
      attempt('cp -r', () => {
        const cps = [];
        for (let k = 0; k < 3; k++) {
          rmSync(out, { recursive: true, force: true });
          sync();
          cps.push(run('cp', ['-r', dir, out]).wall);
        }
        base('cp -r', median(cps), sizeOf(dir), sizeOf(out), { runs: cps });
      });
      rmSync(out, { recursive: true, force: true });
      sync();
      attempt('cp -r && sync', () => base('cp -r && sync', run('sh', ['-c', `cp -r '${dir}' '${out}' && sync`]).wall, sizeOf(dir), sizeOf(dir)));
      rmSync(out, { recursive: true, force: true });
      const shards = shardsOf(dir);
      const q = (xs) => xs.map((x) => `'${x}'`).join(' ');
      const comp = (tool, cmd, files, inputBytes, extra = {}) => {
        const o = path.join(tmp, 'baseline.out');
        sync();
        try {
          const r = run('sh', ['-c', `${cmd} ${q(files)} > '${o}'`]);
          base(tool, r.wall, inputBytes, statSync(o).size, extra);
        } finally {
          rmSync(o, { force: true });
        }
      };
      const prefix = path.join(tmp, 'prefix.bin');
      // gzip runs at about 30 MB/s: all of the small model, a 256 MiB prefix of the large.
      attempt('gzip -6', () => {
        if (which !== 'large') return comp('gzip -6', 'gzip -6 -c', shards, bytes);
        comp('gzip -6', 'gzip -6 -c', [prefix], prefixFile(dir, 256 * MiB, prefix), { subset: true });
      });
      if (zstd) {
        attempt('zstd -3', () => comp('zstd -3', 'zstd -3 -q -c', shards, bytes));
        attempt('zstd -19', () => comp('zstd -19', 'zstd -19 -q -c', [prefix], prefixFile(dir, 16 * MiB, prefix), { subset: true }));
      }
      attempt('brotli', () => {
        const n = prefixFile(dir, 8 * MiB, prefix);
        const r = step('brotli-11', prefix);
        base('brotli -q 11 (node:zlib)', r.seconds, n, r.compressedBytes, { subset: true });
      });
      rmSync(prefix, { force: true });
      if (!opts.keep) {
        rmSync(lossy, { force: true });
        rmSync(mcz, { force: true });
        rmSync(dir, { recursive: true, force: true });
      }
    }
    // report's size part (raw, gzip -9, brotli -q 11 of every served file) on a 16 MiB model:
    // brotli at quality 11 is too slow for more.
    try {
      const dir = path.join(tmp, 'sizes');
      makeModel(dir, 16 * MiB, { seed: 2 });
      const r = step('report-size', dir);
      const bytes = sizeOf(dir);
      results.steps.push({ model: 'sizes', ...r, inputBytes: bytes, mbPerSec: bytes / MB / r.seconds });
      log(`report size part (16 MiB model): ${r.seconds.toFixed(1)} s, ${(bytes / MB / r.seconds).toFixed(2)} MB/s, peak RSS ${(r.maxRssBytes / MiB).toFixed(0)} MiB`);
      if (!opts.keep) rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      notes.push(`report size part: not measured (${e.message})`);
    }
  } finally {
    if (!opts.keep) rmSync(tmp, { recursive: true, force: true });
  }
  results.durationSeconds = (Date.now() - started) / 1000;
  results.machine.load.end = os.loadavg()[0];
  results.comparisons = compare(results);
  mkdirSync(path.dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(render(results));
  log(`wrote ${opts.out} (${results.durationSeconds.toFixed(0)} s in all)`);
}

/** Ratios against the baselines, per model (null where a row is missing). */
function compare(r) {
  const out = {};
  for (const which of Object.keys(r.models)) {
    const s = (name, variant) => r.steps.find((x) => x.model === which && x.step === name && (x.variant ?? null) === (variant ?? null));
    const b = (tool) => r.baselines.find((x) => x.model === which && x.tool === tool);
    const ratio = (fn) => {
      try {
        const v = fn();
        return Number.isFinite(v) ? v : null;
      } catch {
        return null;
      }
    };
    const pack = s('pack');
    const c = {
      // Speed ratios on wall time of the whole process (what a user waits for), both copying the same model.
      quantizeInt8VsCp: ratio(() => b('cp -r').seconds / s('quantize-int8').wallSeconds),
      quantizeInt8VsCpSync: ratio(() => b('cp -r && sync').seconds / s('quantize-int8').wallSeconds),
      quantizeInt8WorkersVsCp: ratio(() => b('cp -r').seconds / s('quantize-int8', '2 workers').wallSeconds),
      packMBps: pack?.mbPerSec ?? null,
      packWorkersMBps: s('pack', '2 workers')?.mbPerSec ?? null,
      compressMBps: s('compress-int8pc')?.mbPerSec ?? null,
      loaderMBps: s('loader-decode')?.mbPerSec ?? null,
      mczRatio: pack ? pack.outputBytes / pack.inputBytes : null,
      // How much smaller the lossless .mcz is than each baseline's output (ratio of ratios for subsets).
      mczSmallerThan: {},
      packSpeedVs: {},
      peakRssBytes: Math.max(...r.steps.filter((x) => x.model === which && !x.variant && x.step !== 'loader-decode').map((x) => x.maxRssBytes)),
    };
    for (const x of r.baselines.filter((y) => y.model === which && y.tool !== 'cp -r' && y.tool !== 'cp -r && sync')) {
      if (c.mczRatio !== null) c.mczSmallerThan[x.tool] = 1 - c.mczRatio / x.ratio;
      if (pack) c.packSpeedVs[x.tool] = pack.mbPerSec / x.mbPerSec;
    }
    out[which] = c;
  }
  return out;
}

const mb = (x) => (x / MB).toFixed(1);
const mib = (x) => (x / MiB).toFixed(0);

/** Markdown tables of the results. */
function render(r) {
  const lines = [];
  lines.push(
    `Machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, ${r.machine.platform}; ` +
      `load average ${r.machine.load.start.toFixed(2)} at the start, ${r.machine.load.end.toFixed(2)} at the end`,
  );
  for (const [which, m] of Object.entries(r.models)) {
    lines.push('', `### ${which}: ${mb(m.bytes)} MB float32 (${m.tensors} tensors, ${m.shards} shards, largest tensor ${mb(m.largestTensor)} MB${m.firstShard > 2 ** 31 ? `, first shard ${mb(m.firstShard)} MB` : ''})`, '');
    lines.push('| step | seconds | MB/s | peak RSS (MiB) | output (MB) |', '| --- | ---: | ---: | ---: | ---: |');
    for (const s of r.steps.filter((x) => x.model === which)) {
      lines.push(`| ${s.step}${s.variant ? ` (${s.variant})` : ''} | ${s.seconds.toFixed(2)} | ${s.mbPerSec.toFixed(0)} | ${mib(s.maxRssBytes)} | ${s.outputBytes ? mb(s.outputBytes) : '-'} |`);
    }
    lines.push('', '| baseline | seconds | MB/s | output (MB) | output / input | .mcz smaller by |', '| --- | ---: | ---: | ---: | ---: | ---: |');
    const c = r.comparisons[which];
    for (const b of r.baselines.filter((x) => x.model === which)) {
      const smaller = c.mczSmallerThan[b.tool];
      lines.push(`| ${b.tool}${b.subset ? ` (first ${mib(b.inputBytes)} MiB)` : ''} | ${b.seconds.toFixed(2)} | ${b.mbPerSec.toFixed(0)} | ${mb(b.outputBytes)} | ${b.ratio.toFixed(3)} | ${smaller === undefined ? '-' : `${(smaller * 100).toFixed(1)} %`} |`);
    }
    const f = (x, d = 2) => (x === null || x === undefined ? 'n/a' : x.toFixed(d));
    lines.push(
      '',
      `.mcz (pack, lossless) output / input: ${f(c.mczRatio, 3)}; pack ${f(c.packMBps, 0)} MB/s (${f(c.packWorkersMBps, 0)} MB/s with 2 workers); ` +
        `quantize int8 speed / cp -r speed: ${f(c.quantizeInt8VsCp)} (with 2 workers ${f(c.quantizeInt8WorkersVsCp)}; against cp -r && sync ${f(c.quantizeInt8VsCpSync)}); ` +
        `peak RSS of the default steps ${mib(c.peakRssBytes)} MiB`,
    );
  }
  const sz = r.steps.find((x) => x.model === 'sizes');
  if (sz) lines.push('', `report size part (raw, gzip -9, brotli -q 11 of each file) on a ${mb(sz.inputBytes)} MB model: ${sz.seconds.toFixed(1)} s, ${sz.mbPerSec.toFixed(2)} MB/s, peak RSS ${mib(sz.maxRssBytes)} MiB`);
  for (const n of r.notes) lines.push(`- ${n}`);
  lines.push('', `(${r.durationSeconds.toFixed(0)} s in all)`);
  return lines.join('\n');
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
