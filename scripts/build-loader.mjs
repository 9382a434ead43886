#!/usr/bin/env node
/**
 * Bundle maas-compress/loader for browsers with esbuild: minified, fflate included, tfjs
 * not needed at all (the loader only uses tfjs types). Writes
 *   dist/browser/loader.min.js       ES module: export { mczLoader, mczArtifacts, parseMcz, McError }
 *   dist/browser/loader.iife.min.js  classic script: a global `maasCompressLoader` with the same
 * and prints the minified and gzipped (level 9) sizes, with and without fflate, against the
 * loader's size budget (LOADER_GZIP_LIMIT, checked by test/package/loader-size.test.ts).
 * `npm run build` runs it, so the package ships dist/browser.
 * Usage: node scripts/build-loader.mjs [outdir]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** esbuild options shared by every bundle. */
const common = {
  absWorkingDir: root,
  entryPoints: ['src/loader.ts'],
  bundle: true,
  minify: true,
  platform: 'browser',
  target: 'es2022',
  legalComments: 'none',
  write: false,
  logLevel: 'error',
};

const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;

/** The budget of the browser bundle with fflate, minified and gzipped: 12 KiB. */
export const LOADER_GZIP_LIMIT = 12 * 1024;

/**
 * Build the bundles (in memory); returns their code and sizes. `outdir`: also write them there.
 * @param {{ outdir?: string }} opts
 */
export async function buildLoader(opts = {}) {
  const [esm, iife, bare] = await Promise.all([
    build({ ...common, format: 'esm' }),
    build({ ...common, format: 'iife', globalName: 'maasCompressLoader' }),
    build({ ...common, format: 'esm', external: ['fflate'] }),
  ]);
  const code = { esm: esm.outputFiles[0].contents, iife: iife.outputFiles[0].contents };
  const bareCode = bare.outputFiles[0].contents;
  const sizes = {
    withFflate: { min: code.esm.length, gzip: gz(code.esm) },
    withoutFflate: { min: bareCode.length, gzip: gz(bareCode) },
  };
  if (opts.outdir) {
    mkdirSync(opts.outdir, { recursive: true });
    writeFileSync(path.join(opts.outdir, 'loader.min.js'), code.esm);
    writeFileSync(path.join(opts.outdir, 'loader.iife.min.js'), code.iife);
  }
  return { code, sizes };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outdir = path.resolve(process.argv[2] ?? path.join(root, 'dist', 'browser'));
  const { sizes } = await buildLoader({ outdir });
  const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`${path.relative(process.cwd(), outdir) || '.'}/loader.min.js, loader.iife.min.js`);
  console.log(`  with fflate:    ${kb(sizes.withFflate.min)} minified, ${kb(sizes.withFflate.gzip)} gzipped`);
  console.log(`  without fflate: ${kb(sizes.withoutFflate.min)} minified, ${kb(sizes.withoutFflate.gzip)} gzipped`);
  const over = sizes.withFflate.gzip - LOADER_GZIP_LIMIT;
  console.log(`  budget ${kb(LOADER_GZIP_LIMIT)} gzipped with fflate: ${over > 0 ? `OVER by ${over} bytes` : `${-over} bytes to spare`}`);
}
