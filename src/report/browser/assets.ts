/**
 * What the measurement page loads besides the models: the stock tfjs bundles and wasm
 * binaries from node_modules (resolved from this package, so an installed maas-compress
 * finds its own dependencies) and the .mcz loader's classic-script bundle. Nothing comes
 * from a CDN: the measurement runs offline.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { McError } from '../../errors.js';

/** Backends the page can run on. */
export type BrowserBackend = 'wasm' | 'webgl' | 'cpu';

/** The browser backends, in the order `--browser-backend` lists them. */
export const BROWSER_BACKENDS: readonly BrowserBackend[] = ['wasm', 'webgl', 'cpu'];

/** The package root: three levels above this file in both src/report/browser and dist/report/browser. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const require = createRequire(import.meta.url);

/** The UMD bundle of a tfjs package, as the page loads it. */
function umd(pkg: string, file: string): string {
  try {
    return require.resolve(`@tensorflow/${pkg}/dist/${file}`);
  } catch {
    throw new McError('MISSING_FILE', `report --browser: @tensorflow/${pkg}/dist/${file} not found; reinstall maas-compress's dependencies (npm install)`);
  }
}

/** One static file the page fetches: its URL path, content type and where it lies on disk. */
export interface Asset {
  url: string;
  type: string;
  file: string;
}

/** The scripts the page loads, in order, and the wasm binaries the wasm backend fetches. */
export function tfjsAssets(backend: BrowserBackend): { scripts: Asset[]; extra: Asset[] } {
  const js = (url: string, pkg: string, file: string): Asset => ({ url, type: 'text/javascript', file: umd(pkg, file) });
  const scripts = [js('/tf/tf-core.js', 'tfjs-core', 'tf-core.min.js')];
  // The cpu backend is loaded for every backend: it is tfjs's fallback and what webgl and
  // wasm fall back to for the few kernels they lack, as in a stock tfjs page.
  scripts.push(js('/tf/tf-backend-cpu.js', 'tfjs-backend-cpu', 'tf-backend-cpu.min.js'));
  if (backend === 'wasm') scripts.push(js('/tf/tf-backend-wasm.js', 'tfjs-backend-wasm', 'tf-backend-wasm.min.js'));
  if (backend === 'webgl') scripts.push(js('/tf/tf-backend-webgl.js', 'tfjs-backend-webgl', 'tf-backend-webgl.min.js'));
  scripts.push(js('/tf/tf-layers.js', 'tfjs-layers', 'tf-layers.min.js'), js('/tf/tf-converter.js', 'tfjs-converter', 'tf-converter.min.js'));
  const extra =
    backend === 'wasm'
      ? ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'].map((f) => ({ url: `/tf/${f}`, type: 'application/wasm', file: umd('tfjs-backend-wasm', f) }))
      : [];
  return { scripts, extra };
}

/**
 * The loader's classic-script bundle (global `maasCompressLoader`). In a checkout it is
 * built from src/loader.ts (scripts/build-loader.mjs, esbuild), so it is never stale; an
 * installed package has no scripts/ and uses the dist/browser bundle it ships.
 */
export async function loaderBundle(): Promise<Uint8Array> {
  const script = path.join(ROOT, 'scripts', 'build-loader.mjs');
  if (existsSync(script) && existsSync(path.join(ROOT, 'src', 'loader.ts'))) {
    const { buildLoader } = (await import(pathToFileURL(script).href)) as { buildLoader: () => Promise<{ code: { iife: Uint8Array } }> };
    return (await buildLoader()).code.iife;
  }
  const built = path.join(ROOT, 'dist', 'browser', 'loader.iife.min.js');
  if (!existsSync(built)) throw new McError('MISSING_FILE', `report --browser: ${built} not found; run npm run build:loader`);
  return readFile(built);
}
