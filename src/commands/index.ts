import { compileCommand } from './compile.js';
import { labCommand } from './lab.js';
import type { CommandSpec } from './spec.js';
import { validateCommand } from './validate.js';

/** Every sub-command of vmdag, in the order `--help` lists them. */
export const commands: CommandSpec[] = [validateCommand, compileCommand, labCommand];
