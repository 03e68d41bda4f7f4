/**
 * `vmdag validate FILE… [--json] [--sites FILE]`: schema + rules for each workflow file, every problem at
 * once (design.md §2–§3). Exit 0 valid, 1 invalid, 2 usage. It runs compile's stages but emit
 * (src/compile.ts renderWorkflow).
 */
import { resolveCompileSettings } from '../compile-options.js';
import { type FrontEndIo, loadSites } from '../load-workflow.js';
import { diagnosticsJson, formatDiagnosticsText, oneLine } from './format-diagnostics.js';
import type { CommandSpec } from './spec.js';
import { ExitCode, type Output } from './types.js';

export async function runValidate(
  files: string[],
  opts: Record<string, unknown>,
  out: Output,
  io: FrontEndIo,
): Promise<number> {
  if (files.length === 0) {
    out.err('vmdag validate: no workflow file given\nusage: vmdag validate FILE… [--json] [--sites FILE]\n');
    return ExitCode.usage;
  }
  // Every check compile makes (plan and render too): a file called valid is one compile writes.
  const { renderWorkflow } = await import('../compile.js');
  const sites = loadSites(typeof opts.sites === 'string' ? opts.sites : undefined, io);
  // compile's own settings (VMDAG_HOLD_TIMEOUT, VMDAG_GATE_TIMEOUT, VMDAG_DEFAULTS), as compile resolves them.
  const settings = resolveCompileSettings({}, io.env);
  const diagnostics = [...sites.diagnostics];
  const valid: string[] = [];
  for (const file of files) {
    const r = renderWorkflow(file, { ...sites, diagnostics: [] }, settings, io);
    diagnostics.push(...r.diagnostics);
    if (r.ok) valid.push(file);
  }
  const json = diagnosticsJson(diagnostics);
  if (opts.json) out.out(`${JSON.stringify(json, null, 2)}\n`);
  else {
    out.err(formatDiagnosticsText(diagnostics));
    for (const file of valid) out.err(`${oneLine(file)}: valid\n`);
  }
  return json.ok ? ExitCode.ok : ExitCode.invalid;
}

export const validateCommand: CommandSpec = {
  name: 'validate',
  summary: 'check workflow files against the schema and the rules; print every problem with its line:column',
  configure(cmd) {
    cmd
      .argument('[files...]', 'workflow files (YAML)')
      .option('--sites <file>', 'site catalog (default: $VMDAG_SITES, else ./sites.yaml when present)')
      .addHelpText(
        'after',
        '\nExit status: 0 valid, 1 invalid, 2 usage error.\nText diagnostics go to stderr as FILE:LINE:COL: error: MESSAGE [CODE]; --json prints {ok, diagnostics} on stdout.',
      );
  },
  run: (args, opts, out) => runValidate(args, opts, out, { cwd: process.cwd(), env: process.env }),
};
