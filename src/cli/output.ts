/**
 * Everything the CLI prints goes through an Output: human text (coloured only when the
 * stream is a TTY and neither --no-color nor NO_COLOR says otherwise), `--json`
 * documents, warnings and errors. Nothing outside src/cli/ writes to the terminal.
 */
import { Chalk, type ChalkInstance } from 'chalk';

/** Control characters, Unicode line separators and bidirectional overrides: what a hostile name could use to fake or hide terminal output. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `s` with every control character escaped (\n, \u001b, ...), so text from a model prints as one inert line. */
export function printable(s: string): string {
  const short: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  return s.replace(UNPRINTABLE, (c) => short[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The process-like surface the CLI runs against (a fake one in tests). */
export interface CliIo {
  argv: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
}

/** Global options every command sees. */
export interface GlobalOptions {
  json?: boolean;
  quiet?: boolean;
  color?: boolean;
  debug?: boolean;
}

/** The printer a command gets. */
export class Output {
  readonly c: ChalkInstance;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly warnings: string[] = [];

  constructor(
    readonly io: CliIo,
    opts: GlobalOptions,
  ) {
    this.json = Boolean(opts.json);
    this.quiet = Boolean(opts.quiet);
    const colour = opts.color !== false && !('NO_COLOR' in io.env && io.env.NO_COLOR !== '') && Boolean(io.stdout.isTTY);
    this.c = new Chalk({ level: colour ? 1 : 0 });
  }

  /** Human output line (suppressed by --json and --quiet). */
  line(s = ''): void {
    if (!this.json && !this.quiet) this.io.stdout.write(`${s}\n`);
  }

  /** Result line that --quiet keeps (suppressed only by --json). */
  result(s: string): void {
    if (!this.json) this.io.stdout.write(`${s}\n`);
  }

  /** A warning on stderr (kept for --json documents too). */
  warn(s: string): void {
    this.warnings.push(s);
    if (!this.json) this.io.stderr.write(`${this.c.yellow('warning:')} ${printable(s)}\n`);
  }

  /** The machine-readable document of a --json run. */
  document(doc: unknown): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  }
}
