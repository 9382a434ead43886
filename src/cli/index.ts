/**
 * The CLI core: parse arguments with commander, run a command, map failures to exit
 * codes (0 ok, 1 budget not met, 2 bad usage or input, 3 internal error). It runs
 * against a CliIo, so tests drive it in-process.
 */
import { Command, CommanderError } from 'commander';
import { EXIT, type McError, ioError, isErrnoError, isMcError } from '../errors.js';
import { VERSION } from '../version.js';
import { makeCtx, type RegisterCommand } from './context.js';
import { registerCopy } from './copy.js';
import { registerInspect } from './inspect.js';
import { registerPack } from './pack.js';
import { registerPrune } from './prune.js';
import { registerQuantize } from './quantize.js';
import { registerReport } from './report.js';
import { registerTune } from './tune.js';
import { type CliIo, printable } from './output.js';

export type { CliIo } from './output.js';

/** Every command, in the order help lists them. */
const COMMANDS: RegisterCommand[] = [registerReport, registerInspect, registerQuantize, registerPrune, registerPack, registerCopy, registerTune];

/** Run the CLI once; resolves to the exit code. */
export async function run(io: CliIo): Promise<number> {
  let exit: number = EXIT.ok;
  const program = new Command();
  program
    .name('maas-compress')
    .description('Make TensorFlow.js models smaller for serving, and measure what it cost.')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .option('--json', 'machine-readable output on stdout (errors too)')
    .option('-q, --quiet', 'print only results and errors')
    .option('--no-color', 'no colours (NO_COLOR is honoured too)')
    .option('--debug', 'show stack traces of internal errors')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: () => {
        // Reported once, below, in the project's error format.
      },
    });
  const ctx = makeCtx(io, (c) => {
    exit = Math.max(exit, c);
  });
  for (const register of COMMANDS) register(program, ctx);
  program.commands.forEach((c) => c.exitOverride());
  const json = io.argv.includes('--json');
  const debug = io.argv.includes('--debug');
  try {
    await program.parseAsync(io.argv, { from: 'user' });
    return exit;
  } catch (e) {
    // Writes remove their own temporaries when they fail (src/model/atomic.ts).
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      report(io, json, 'USAGE', e.message.replace(/^error: /, ''));
      return EXIT.input;
    }
    if (isMcError(e)) {
      report(io, json, e.code, e.message);
      return e.exitCode;
    }
    if (isErrnoError(e)) {
      // The file system refused somewhere no closer handler named the file: still bad input or environment, not a defect.
      const m = ioError(e, e.path ?? 'file system', `during ${e.syscall ?? 'a file operation'}`) as McError;
      report(io, json, m.code, m.message);
      return m.exitCode;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    const first = err.message.split('\n')[0];
    report(io, json, 'INTERNAL', `internal error: ${first}${debug ? '' : ' (run with --debug for the stack trace)'}`);
    if (debug && err.stack) io.stderr.write(`${err.stack}\n`);
    return EXIT.internal;
  }
}

/** Print an error as one line on stderr (and as JSON with --json); control characters from a model's names are escaped. */
function report(io: CliIo, json: boolean, code: string, message: string): void {
  const line = printable(message);
  if (json) io.stdout.write(`${JSON.stringify({ schemaVersion: 1, error: { code, message: line } }, null, 2)}\n`);
  io.stderr.write(`maas-compress: error: ${line}\n`);
}
