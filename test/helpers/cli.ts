/** Run the CLI in-process against a fake process and capture what it prints. */
import { run } from '../../src/cli/index.js';

/** What a CLI run did. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `maas-compress ...argv` in `cwd`. */
export async function cli(argv: string[], opts: { cwd?: string; env?: Record<string, string>; tty?: boolean } = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run({
    argv,
    cwd: opts.cwd ?? process.cwd(),
    env: opts.env ?? {},
    stdout: { write: (s: string) => (stdout += s), isTTY: opts.tty },
    stderr: { write: (s: string) => (stderr += s), isTTY: opts.tty },
  });
  return { code, stdout, stderr };
}
