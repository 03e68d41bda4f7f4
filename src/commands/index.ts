import type { CommandSpec } from './spec.js';

/**
 * A sub-command as the registry holds it: its name, and how to load its CommandSpec. Loading on demand keeps
 * `vmdag compile` from importing what `submit`, `status` or `lab` need (execa, the XML parser, the condor and
 * lab modules): the CLI loads only the command it runs, and every command only to list them all in `--help`.
 */
export interface CommandEntry {
  name: string;
  load(): Promise<CommandSpec>;
}

/** Every sub-command of vmdag, in the order `--help` lists them. */
export const commands: CommandEntry[] = [
  { name: 'validate', load: async () => (await import('./validate.js')).validateCommand },
  { name: 'compile', load: async () => (await import('./compile.js')).compileCommand },
  { name: 'plan', load: async () => (await import('./plan.js')).planCommand },
  { name: 'check', load: async () => (await import('./check.js')).checkCommand },
  { name: 'sites', load: async () => (await import('./sites.js')).sitesCommand },
  { name: 'run', load: async () => (await import('./run.js')).runCommand },
  { name: 'submit', load: async () => (await import('./submit.js')).submitCommand },
  { name: 'status', load: async () => (await import('./status.js')).statusCommand },
  { name: 'report', load: async () => (await import('./report.js')).reportCommand },
  { name: 'restart', load: async () => (await import('./restart.js')).restartCommand },
  { name: 'rm', load: async () => (await import('./rm.js')).rmCommand },
  { name: 'lab', load: async () => (await import('./lab.js')).labCommand },
  { name: 'site-config', load: async () => (await import('./site-config.js')).siteConfigCommand },
];
