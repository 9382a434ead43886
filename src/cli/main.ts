/** Process entry: run the CLI on the real process, clean up temporaries on signals and crashes. */
import { cleanupTemporariesSync } from '../model/atomic.js';
import { run } from './index.js';
import { printable } from './output.js';

/** Exit codes of the signals that interrupt a run: 128 + the signal number, as shells report them. */
const SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

/** Run maas-compress on `process` and set its exit code. */
export function main(): void {
  const json = process.argv.includes('--json');
  const debug = process.argv.includes('--debug');
  // One line on stderr (and a JSON error with --json), after removing unfinished outputs; then exit.
  const stop = (code: string, message: string, exit: number, stack?: string): never => {
    cleanupTemporariesSync();
    const line = printable(message);
    if (json) process.stdout.write(`${JSON.stringify({ schemaVersion: 1, error: { code, message: line } }, null, 2)}\n`);
    process.stderr.write(`maas-compress: ${code === 'INTERRUPTED' ? '' : 'error: '}${line}\n`);
    if (debug && stack) process.stderr.write(`${stack}\n`);
    process.exit(exit);
  };
  for (const [sig, exit] of Object.entries(SIGNALS)) {
    // An output is either complete or as it was; temporaries and half-made folders are removed.
    process.once(sig, () => stop('INTERRUPTED', `interrupted by ${sig}; no partial output was left`, exit));
  }
  const crash = (e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    stop('INTERNAL', `internal error: ${err.message.split('\n')[0]}${debug ? '' : ' (run with --debug for the stack trace)'}`, 3, err.stack);
  };
  // A reader that stops early (`| head`) is not an error of ours: stop quietly, as cat does.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') return crash(e);
    cleanupTemporariesSync();
    process.exit(process.exitCode ?? 0);
  });
  process.once('uncaughtException', crash);
  process.once('unhandledRejection', crash);
  run({ argv: process.argv.slice(2), cwd: process.cwd(), env: process.env, stdout: process.stdout, stderr: process.stderr }).then(
    (code) => {
      process.exitCode = code;
    },
    crash,
  );
}
