import { compileCommand } from './compile.js';
import { labCommand } from './lab.js';
import { rmCommand } from './rm.js';
import type { CommandSpec } from './spec.js';
import { statusCommand } from './status.js';
import { submitCommand } from './submit.js';
import { validateCommand } from './validate.js';

/** Every sub-command of vmdag, in the order `--help` lists them. */
export const commands: CommandSpec[] = [
  validateCommand,
  compileCommand,
  submitCommand,
  statusCommand,
  rmCommand,
  labCommand,
];
