/** Debian's chromium driven by playwright-core (nothing is downloaded), for browser tests. */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Where Debian installs chromium (.ci/run installs it when missing). */
export const CHROMIUM = '/usr/bin/chromium';

/** The message a browser test fails with when chromium is missing. */
export const NEEDS_CHROMIUM = `the browser test needs Debian's chromium at ${CHROMIUM}: apt-get install -y chromium`;

/** Launch headless chromium with the flags this offline machine needs; undefined when it is not installed. */
export async function launchChromium(): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) return undefined;
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
