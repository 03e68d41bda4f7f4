import type { CommandSpec } from './spec.js';

/** Every sub-command of vmdag, in the order `--help` lists them. */
export const commands: CommandSpec[] = [];
