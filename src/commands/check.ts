/**
 * `vmdag check FILE|RUN [--json] [--sites F] [--site S]`: does the pool (or the chosen site) accept what vmdag
 * generated? Nothing is submitted (src/usecases/check.ts). Exit 0 accepted, 1 problems found (or an invalid
 * workflow), 2 usage, 3 HTCondor unavailable or the site did not answer.
 */
import { type CheckProblem, type CheckResult, checkRun, resolveCheckOptions } from '../usecases/check.js';
import { diagnosticsJson, formatDiagnosticsText, formatDiagnosticText } from './format-diagnostics.js';
import { printFailure } from './run-target.js';
import type { CommandSpec } from './spec.js';
import { ExitCode, type Output } from './types.js';

const USAGE = 'usage: vmdag check FILE|RUN [--json] [--sites FILE] [--site NAME]';

/** The JSON document of `vmdag check --json`. */
export function checkJson(r: CheckResult): Record<string, unknown> {
  return {
    ok: r.ok,
    kind: r.kind,
    target: r.target,
    site: r.site,
    checked: r.checked,
    problems: r.problems.map((p) => ({
      ...diagnosticsJson([p]).diagnostics[0],
      ...(p.node !== undefined ? { node: p.node } : {}),
      ...(p.submitFile !== undefined ? { submitFile: p.submitFile } : {}),
    })),
  };
}

function problemText(p: CheckProblem): string {
  return formatDiagnosticText(p);
}

export function formatCheckText(r: CheckResult): string {
  const where = `site ${r.site.name}${r.site.pool ? ` (${r.site.pool}, schedd ${r.site.schedd ?? '?'})` : ''}`;
  const lines = r.checked.map((c) => `checked: ${c}`);
  if (r.ok) lines.push(`ok: ${where} accepts ${r.target}; nothing was submitted`);
  else {
    lines.push(...r.problems.map(problemText));
    const n = r.problems.filter((p) => p.severity === 'error').length;
    lines.push(
      `${n} problem${n === 1 ? '' : 's'}: ${where} would not run ${r.target} as it is; nothing was submitted`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function runCheck(
  args: string[],
  opts: Record<string, unknown>,
  out: Output,
  io: Parameters<CommandSpec['run']>[3],
): Promise<number> {
  const json = Boolean(opts.json);
  if (args.length !== 1) {
    out.err(`vmdag check: give exactly one workflow file or run directory\n${USAGE}\n`);
    return ExitCode.usage;
  }
  const r = await checkRun(
    await io.condor(),
    resolveCheckOptions(
      {
        target: args[0] as string,
        ...(typeof opts.sites === 'string' ? { sites: opts.sites } : {}),
        ...(typeof opts.site === 'string' ? { site: opts.site } : {}),
      },
      io,
    ),
  );
  if (!r.ok && r.kind === 'diagnostics') {
    if (json) out.out(`${JSON.stringify(diagnosticsJson(r.diagnostics), null, 2)}\n`);
    else out.err(formatDiagnosticsText(r.diagnostics));
    return ExitCode.invalid;
  }
  if (!r.ok && (r.kind === 'invalid' || r.kind === 'usage' || r.kind === 'condor'))
    return printFailure(r, out, json);
  const result = r as CheckResult;
  if (json) out.out(`${JSON.stringify(checkJson(result), null, 2)}\n`);
  else (result.ok ? out.out.bind(out) : out.err.bind(out))(formatCheckText(result));
  if (result.ok) return ExitCode.ok;
  const others = result.problems.some((p) => p.severity === 'error' && p.code !== 'check.site-unreachable');
  return result.unreachable && !others ? ExitCode.condor : ExitCode.invalid;
}

export const checkCommand: CommandSpec = {
  name: 'check',
  summary: 'whether the pool (or the chosen site) accepts what vmdag generated — nothing is submitted',
  configure(cmd) {
    cmd
      .argument('[target]', 'workflow file, or a compiled run directory')
      .option('--sites <file>', 'site catalog (default: $VMDAG_SITES, else ./sites.yaml when present)')
      .option(
        '--site <name>',
        'check against this catalog site (default: the one plan chooses; a run: its own)',
      )
      .addHelpText(
        'after',
        "\nEvery node through condor_submit -dry-run, the DAG through condor_dag_checker and condor_submit_dag\n-no_submit (in a scratch copy), the site's machines, condor_ping, the image (docs/guide.md).\nExit status: 0 accepted, 1 problems found or invalid workflow, 2 usage, 3 HTCondor unavailable or the site did not answer.",
      );
  },
  run: (args, opts, out, io) => runCheck(args, opts, out, io),
};
