import { compileCommand } from './compile.js';
import { labCommand } from './lab.js';
import { planCommand } from './plan.js';
import { reportCommand } from './report.js';
import { rmCommand } from './rm.js';
import { siteConfigCommand } from './site-config.js';
import { sitesCommand } from './sites.js';
import type { CommandSpec } from './spec.js';
import { statusCommand } from './status.js';
import { submitCommand } from './submit.js';
import { validateCommand } from './validate.js';

/** Every sub-command of vmdag, in the order `--help` lists them. */
export const commands: CommandSpec[] = [
  validateCommand,
  compileCommand,
  planCommand,
  sitesCommand,
  submitCommand,
  statusCommand,
  reportCommand,
  rmCommand,
  labCommand,
  siteConfigCommand,
];
