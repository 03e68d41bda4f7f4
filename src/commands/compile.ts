/**
 * `vmdag compile FILE [-o DIR] [--json] [--sites FILE]`: write the run directory (design.md §3). Exit 0
 * written, 1 invalid input (nothing written), 2 usage. stdout: the run directory's path, or with --json
 * `{ok, outDir, dag, files}` / `{ok: false, diagnostics}`.
 */
import { basename, relative } from 'node:path';
import type { CompileOptions } from '../compile.js';
import { type CompileFlags, parseHoldTimeout, resolveCompileSettings } from '../compile-options.js';
import { diagnosticsJson, formatDiagnosticsText } from './format-diagnostics.js';
import type { CommandSpec } from './spec.js';
import { ExitCode, type Output } from './types.js';

/**
 * The one place compile's options get their values: the flags, then `VMDAG_HOLD_TIMEOUT`,
 * `VMDAG_GATE_TIMEOUT` and `VMDAG_DEFAULTS` (src/compile-options.ts: flag > env > default); a flag that is
 * not valid → its usage message. An environment value that is not valid is kept in the options, for
 * compile to report on the workflow file.
 */
export function resolveCompileOptions(
  opts: Record<string, unknown>,
  io: { cwd: string; env: Record<string, string | undefined> },
): CompileOptions | { usage: string } {
  const flags: CompileFlags = {};
  if (typeof opts.holdTimeout === 'string') {
    const parsed = parseHoldTimeout(opts.holdTimeout, '--hold-timeout');
    if (typeof parsed === 'string') return { usage: parsed };
    flags.holdRemoveSeconds = parsed;
  }
  if (typeof opts.gateTimeout === 'string') {
    const parsed = parseHoldTimeout(opts.gateTimeout, '--gate-timeout');
    if (typeof parsed === 'string') return { usage: parsed };
    flags.gateTimeoutSeconds = parsed;
  }
  if (opts.defaults === true) flags.tuning = 'defaults';
  return {
    ...resolveCompileSettings(flags, io.env),
    cwd: io.cwd,
    env: io.env,
    ...(typeof opts.output === 'string' ? { outDir: opts.output } : {}),
    ...(typeof opts.sites === 'string' ? { sites: opts.sites } : {}),
  };
}

export async function runCompile(
  args: string[],
  opts: Record<string, unknown>,
  out: Output,
  io: { cwd: string; env: Record<string, string | undefined> },
): Promise<number> {
  if (args.length !== 1) {
    out.err('vmdag compile: give exactly one workflow file\nusage: vmdag compile FILE [-o DIR] [--json]\n');
    return ExitCode.usage;
  }
  const file = args[0] as string;
  if (opts.output === '') {
    out.err('vmdag compile: -o/--output is empty: give the run directory to write\n');
    return ExitCode.usage;
  }
  const resolved = resolveCompileOptions(opts, io);
  if ('usage' in resolved) {
    out.err(`vmdag compile: ${resolved.usage}\n`);
    return ExitCode.usage;
  }
  // Loaded on use: the pipeline (YAML, schema validators, Handlebars) costs every other command nothing.
  const { compile } = await import('../compile.js');
  const r = await compile(file, resolved);
  if (!r.ok || r.outDir === undefined) {
    if (opts.json) out.out(`${JSON.stringify(diagnosticsJson(r.diagnostics), null, 2)}\n`);
    else out.err(formatDiagnosticsText(r.diagnostics));
    return ExitCode.invalid;
  }
  if (opts.json) {
    out.out(`${JSON.stringify({ ok: true, outDir: r.outDir, dag: r.dag, files: r.files }, null, 2)}\n`);
  } else {
    out.err(formatDiagnosticsText(r.diagnostics));
    const rel = relative(io.cwd, r.outDir);
    const shown = rel === '' ? '.' : rel.startsWith('..') ? r.outDir : rel;
    out.err(`${file}: wrote ${shown}/ (${r.files?.length ?? 0} files; DAG ${basename(r.dag ?? '')})\n`);
    out.out(`${r.outDir}\n`);
  }
  return ExitCode.ok;
}

export const compileCommand: CommandSpec = {
  name: 'compile',
  summary: 'write the run directory of a workflow: the DAG, submit files, DAGMan config, scripts, plan.json',
  configure(cmd) {
    cmd
      .argument('[file]', 'workflow file (YAML)')
      .option('-o, --output <dir>', 'run directory to write (default: ./<name>.run)')
      .option('--sites <file>', 'site catalog (default: $VMDAG_SITES, else ./sites.yaml when present)')
      .option(
        '--hold-timeout <seconds>',
        'remove a step or VM held longer than this (default: $VMDAG_HOLD_TIMEOUT, else 300)',
      )
      .option(
        '--gate-timeout <seconds>',
        'fail the run when its VMs have not all joined the pool by then (default: $VMDAG_GATE_TIMEOUT, else 600 + 30 per VM)',
      )
      .option(
        '--defaults',
        "leave out the latency tuning: the DAG as HTCondor's defaults run it, for comparison (default: $VMDAG_DEFAULTS=1)",
      )
      .addHelpText(
        'after',
        '\nThe folder is written atomically: nothing is written when the workflow has an error, and an\n' +
          'existing run directory (compiled, not yet submitted) is replaced only once the new one is complete.\n' +
          'Exit status: 0 written, 1 invalid input, 2 usage error. stdout: the run directory (or --json).',
      );
  },
  run: (args, opts, out) => runCompile(args, opts, out, { cwd: process.cwd(), env: process.env }),
};
