/** What every command module gets from the CLI core. */
import type { Command } from 'commander';
import { loadConfig, resolveModelArg, type Config } from '../config.js';
import { type CliIo, Output } from './output.js';

/** Shared services for command actions. */
export interface Ctx {
  io: CliIo;
  /** The Output for a command, built from its global options. */
  output(cmd: Command): Output;
  /** The validated config of the working folder (read once). */
  config(): Promise<Config>;
  /** Resolve the model a command works on (argument, config, ./model.json). */
  model(arg: string | undefined): Promise<string>;
  /** Set the process exit code (1 for a budget not met). */
  setExit(code: number): void;
}

/** Build the context for one CLI run. */
export function makeCtx(io: CliIo, setExit: (c: number) => void): Ctx {
  let cfg: Promise<Config> | undefined;
  const config = () => (cfg ??= loadConfig(io.cwd));
  return {
    io,
    output: (cmd) => new Output(io, cmd.optsWithGlobals()),
    config,
    model: async (arg) => resolveModelArg(arg, io.cwd, await config()),
    setExit,
  };
}

/** A command module: adds its command to the program. */
export type RegisterCommand = (program: Command, ctx: Ctx) => void;
