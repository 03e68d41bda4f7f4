import type { Command } from 'commander';
import type { CommandIo, Output } from './types.js';

/**
 * A sub-command: how it is declared to the argument parser, and what it does. `run` receives the positional
 * arguments, the parsed options and what the CLI hands down (`io`), writes through `out` and returns the exit
 * code.
 */
export interface CommandSpec {
  name: string;
  summary: string;
  /** Declare arguments and options on the commander sub-command (always gets `--json` added). */
  configure(cmd: Command): void;
  run(args: string[], opts: Record<string, unknown>, out: Output, io: CommandIo): Promise<number>;
}
