/**
 * The package as users install it: `npm pack` of the built checkout, installed into an empty
 * temporary project offline, from the npm cache that `npm ci` filled. Then the installed
 * CLI (`npx maas-compress --version`, `report`, `report --browser`), the two entry points
 * (`import('maas-compress')`, `import('maas-compress/loader')`) and their types (a small
 * .ts file type-checked by the repository's tsc against the installed package), and what
 * the tarball holds and weighs.
 *
 * Why a lockfile: `npm install --offline <tarball>` resolves every dependency through its
 * registry metadata, which `npm ci` never fetches (it installs from the lockfile's URLs),
 * so it fails with ENOTCACHED on a CI cache. The project is given the repository's
 * lockfile entries instead (the versions CI installed) and installed with `npm ci
 * --offline`. `--omit=optional` leaves out @tensorflow/tfjs-node, whose install script
 * downloads libtensorflow, which cannot work offline.
 */
import { type ExecFileSyncOptions, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/synthetic.js';
import { CHROMIUM } from '../helpers/browser.js';

const REPO = path.resolve('.');
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { name: string; version: string; license: string; bin: unknown; engines: unknown; dependencies: Record<string, string>; optionalDependencies?: Record<string, string> };

/** The tarball's bounds: 449 kB packed, 1.72 MB unpacked and 379 files when set, with a margin for growth. */
const MAX_PACKED = 768 * 1024;
const MAX_UNPACKED = 3 * 1024 * 1024;

/** What may be in the tarball: the `files` of package.json, and what npm always adds. */
const ALLOWED = /^(bin\/maas-compress\.js|dist\/.+|docs\/[^/]+\.md|README\.md|package\.json|LICENSE(\.md)?)$/;
/** What must never be: tests, fixtures, caches, scratch space, sources and scripts, dependencies, temporaries. */
const FORBIDDEN = /(^|\/)(test|tests|fixtures|\.cache|\.scratch|node_modules|coverage|src|scripts|bench|\.ci)\/|\.test\.|\.tmp-|\.vitest-results/;

let project: string;
let packed: { filename: string; size: number; unpackedSize: number; entryCount: number; files: { path: string }[] };

/** Run a command offline; its stdout, or a failure that shows its stderr. */
function sh(cmd: string, args: string[], opts: ExecFileSyncOptions = {}): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000, ...opts, env: { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false', ...opts.env } }) as string;
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} exited ${err.status}:\n${err.stderr ?? ''}${err.stdout ?? ''}`);
  }
}

beforeAll(() => {
  for (const f of ['dist/index.js', 'dist/loader.d.ts', 'dist/browser/loader.iife.min.js']) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run npm run build first (CI builds before testing)`);
  }
  project = tempDir('mc-install-');
  // --ignore-scripts: the checkout is already built; `prepare` would only build it again.
  const out = sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project, REPO]);
  packed = JSON.parse(out.slice(out.indexOf('[')))[0];
  const tarball = path.join(project, packed.filename);
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  const spec = `file:${packed.filename}`;
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const packages: Record<string, unknown> = {
    '': { name: 'installed', dependencies: { [pkg.name]: spec } },
    [`node_modules/${pkg.name}`]: { version: pkg.version, resolved: spec, integrity, license: pkg.license, dependencies: pkg.dependencies, optionalDependencies: pkg.optionalDependencies, bin: pkg.bin, engines: pkg.engines },
  };
  for (const [k, v] of Object.entries(lock.packages)) if (k.startsWith('node_modules/') && !v.dev) packages[k] = v;
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'installed', private: true, type: 'module', dependencies: { [pkg.name]: spec } }, null, 2));
  writeFileSync(path.join(project, 'package-lock.json'), JSON.stringify({ name: 'installed', lockfileVersion: 3, requires: true, packages }, null, 2));
  sh('npm', ['ci', '--offline', '--omit=optional', '--no-audit', '--no-fund'], { cwd: project });
}, 300_000);

describe('the packed tarball', () => {
  it('holds only the package files: no tests, fixtures, caches or scratch files', () => {
    const files = packed.files.map((f) => f.path);
    expect(files.filter((f) => !ALLOWED.test(f))).toEqual([]);
    expect(files.filter((f) => FORBIDDEN.test(f))).toEqual([]);
    for (const f of ['bin/maas-compress.js', 'dist/index.js', 'dist/index.d.ts', 'dist/loader.js', 'dist/loader.d.ts', 'dist/browser/loader.iife.min.js', 'dist/browser/loader.min.js', 'README.md']) expect(files).toContain(f);
  });

  it(`stays under ${MAX_PACKED / 1024} KiB packed and ${MAX_UNPACKED / 1024 / 1024} MiB unpacked`, () => {
    expect(packed.size).toBe(statSync(path.join(project, packed.filename)).size);
    expect(packed.size).toBeLessThan(MAX_PACKED);
    expect(packed.unpackedSize).toBeLessThan(MAX_UNPACKED);
  });
});

describe('the installed package', () => {
  it('runs npx maas-compress --version', () => {
    expect(sh('npx', ['maas-compress', '--version'], { cwd: project }).trim()).toBe(pkg.version);
  });

  it('runs report on a bundled fixture', () => {
    const out = sh('npx', ['maas-compress', 'report', path.join(REPO, 'fixtures/digits-cnn'), '--data', path.join(REPO, 'fixtures/digits-cnn/test.csv'), '--json'], { cwd: project });
    const r = JSON.parse(out) as { passed: boolean; models: { name: string; metrics: { accuracy: number } }[] };
    expect(r.passed).toBe(true);
    expect(r.models.length).toBe(4);
    expect(r.models[0].metrics.accuracy).toBeGreaterThan(0.9);
  }, 120_000);

  it.skipIf(!existsSync(CHROMIUM))('runs report --browser with the loader bundle it ships', () => {
    const out = sh('npx', ['maas-compress', 'report', path.join(REPO, 'fixtures/digits-cnn'), path.join(REPO, 'fixtures/digits-cnn'), '--browser', '--runs', '1', '--network', 'broadband', '--json'], { cwd: project });
    const r = JSON.parse(out) as { models: { browser: Record<string, { timeToFirstPredictionMs: number; transferMs: number }> }[] };
    for (const m of r.models) expect(m.browser.broadband.timeToFirstPredictionMs).toBeGreaterThanOrEqual(m.browser.broadband.transferMs);
  }, 120_000);

  it("resolves import('maas-compress') and import('maas-compress/loader')", () => {
    const script = "const m = await import('maas-compress'); const l = await import('maas-compress/loader'); console.log(JSON.stringify([typeof m.buildReport, typeof m.VERSION, typeof l.mczLoader, typeof l.parseMcz]));";
    expect(JSON.parse(sh(process.execPath, ['--input-type=module', '-e', script], { cwd: project }))).toEqual(['function', 'string', 'function', 'function']);
  });

  it('type-checks a .ts file against the installed types (which are real, not any)', () => {
    writeFileSync(
      path.join(project, 'check.ts'),
      `import { VERSION, McError, buildReport, type Report } from 'maas-compress';
import { mczLoader, parseMcz } from 'maas-compress/loader';
export const version: string = VERSION;
export const build: typeof buildReport = buildReport;
export const schema: Report['schemaVersion'] = 2;
export const handler = mczLoader(new Uint8Array(0));
export const parse: typeof parseMcz = parseMcz;
export const isError = (e: unknown): boolean => e instanceof McError;
// @ts-expect-error VERSION is a string
export const wrong: number = VERSION;
// @ts-expect-error the loader takes bytes or a URL
mczLoader(42);
`,
    );
    writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2022', 'DOM'], strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['check.ts'] }),
    );
    sh(process.execPath, [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: project });
  });
});
