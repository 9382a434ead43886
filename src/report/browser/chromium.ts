/**
 * Headless Chromium for `report --browser`: a system Chromium (Debian's `chromium`, or
 * Chrome) driven by playwright-core, which downloads no browser. Where none is found the
 * report stops with one line naming what to install.
 */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { McError } from '../../errors.js';

/** Environment variable that names the Chromium executable to use. */
export const CHROMIUM_ENV = 'MAAS_COMPRESS_CHROMIUM';

/** Where a system Chromium or Chrome is looked for, in order, after the environment variable. */
export const CHROMIUM_PATHS: readonly string[] = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

/**
 * The Chromium to run: `explicit` (an option), else $MAAS_COMPRESS_CHROMIUM, else the
 * first of CHROMIUM_PATHS that exists; a one-line McError (exit 2) when there is none.
 */
export function findChromium(explicit?: string, env: Record<string, string | undefined> = process.env, paths: readonly string[] = CHROMIUM_PATHS): string {
  const named = explicit ?? env[CHROMIUM_ENV];
  if (named) {
    if (!existsSync(named)) throw new McError('MISSING_FILE', `report --browser: ${named} does not exist: expected a Chromium or Chrome executable there ($${CHROMIUM_ENV} or the chromium option)`);
    return named;
  }
  const found = paths.find((p) => existsSync(p));
  if (!found) {
    const where = paths.length > 2 ? `${paths.slice(0, 2).join(', ')} and ${paths.length - 2} more places` : paths.join(', ');
    throw new McError('MISSING_FILE', `report --browser needs Chromium and found none (looked in ${where}): install it (Debian/Ubuntu: apt-get install chromium) or set ${CHROMIUM_ENV} to its path`);
  }
  return found;
}

/**
 * Flags for a measurement browser: headless, no background traffic that would share the
 * throttled link, no QUIC (the server speaks HTTP/1.1 over TCP). WebGL still works with
 * --disable-gpu: Chromium falls back to SwiftShader, its software GL.
 */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--enable-unsafe-swiftshader', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-extensions'];

/** Launch headless Chromium; McError when it is missing or will not start. */
export async function launchChromium(executable: string): Promise<Browser> {
  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    throw new McError('MISSING_FILE', 'report --browser needs the playwright-core package (a dependency of maas-compress): reinstall with npm install');
  }
  try {
    return await chromium.launch({ executablePath: executable, args: FLAGS, timeout: 60_000 });
  } catch (e) {
    const first = String((e as Error).message ?? e).split('\n')[0];
    throw new McError('UNSUPPORTED', `report --browser: ${executable} did not start as headless Chromium: ${first}`);
  }
}
