/** Process entry: run the CLI on the real process, clean up temporaries on signals. */
import { rmSync } from 'node:fs';
import { temporaries } from '../model/atomic.js';
import { run } from './index.js';

/** Run maas-compress on `process` and set its exit code. */
export function main(): void {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      // Remove half-written outputs; the previous output was never touched.
      for (const p of temporaries()) rmSync(p, { recursive: true, force: true });
      process.stderr.write(`maas-compress: interrupted by ${sig}; no output was written\n`);
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
  run({ argv: process.argv.slice(2), cwd: process.cwd(), env: process.env, stdout: process.stdout, stderr: process.stderr }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`maas-compress: internal error: ${String(e)}\n`);
      process.exitCode = 3;
    },
  );
}
