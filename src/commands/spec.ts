import type { Command } from 'commander';
import type { Output } from './types.js';

/**
 * A sub-command: how it is declared to the argument parser, and what it does. `run` receives the positional
 * arguments and the parsed options, writes through `out` and returns the exit code.
 */
export interface CommandSpec {
  name: string;
  summary: string;
  /** Declare arguments and options on the commander sub-command (always gets `--json` added). */
  configure(cmd: Command): void;
  run(args: string[], opts: Record<string, unknown>, out: Output): Promise<number>;
}
