/**
 * `vmdag plan FILE [--json] [--sites FILE]`: which site the workflow runs at and why, VMs per host, whether
 * the image is transferred (size, sha256) or used in place, and whether it was checked here (what its header
 * says it is); refusal with the reasons per site (docs/sites.md). Exit 0 a site fits, 1 invalid workflow (a
 * bad image among its problems) / no site fits / sha256 mismatch, 3 HTCondor unavailable or no site answered.
 */
import { CondorUnavailableError } from '../condor/exec.js';
import { resolveLocalImages } from '../image-staging/images-folder.js';
import { decideSite, type SiteDecision, type SiteDecisionInput } from '../site-catalog/plan-site.js';
import { diagnosticsJson, formatDiagnosticsText } from './format-diagnostics.js';
import { reportError } from './run-target.js';
import type { CommandSpec } from './spec.js';
import { type CommandIo, ExitCode, type Output } from './types.js';

/** The JSON document of `vmdag plan --json` (docs/sites.md). */
export function planJson(d: SiteDecision): Record<string, unknown> {
  const choice = d.choice;
  const chosen = choice?.ok ? choice.verdicts.find((v) => v.site === choice.site) : undefined;
  const vm = d.workflow?.vm;
  const doc: Record<string, unknown> = {
    ok: Boolean(choice?.ok) && d.sha256Error === undefined,
    site: choice?.ok ? { ...d.site, fitsNow: chosen?.fitsNow ?? false } : null,
    mode: vm ? 'vm' : 'native',
    why: choice?.ok ? choice.why : [],
  };
  if (!choice?.ok && choice) doc.error = choice.error;
  if (d.sha256Error) doc.error = d.sha256Error;
  if (vm)
    doc.vms = {
      hypervisor: vm.hypervisor,
      count: vm.count,
      cpus: vm.cpus,
      memoryMiB: vm.memoryMiB,
      perHost: chosen?.placement ?? [],
    };
  else doc.nodesPerHost = chosen?.placement ?? [];
  if (d.image) doc.image = d.image;
  doc.sites = choice?.verdicts ?? [];
  // The sha256 mismatch, located at vm.image.sha256 (docs/sites.md).
  if (d.diagnostics.length > 0) doc.diagnostics = diagnosticsJson(d.diagnostics).diagnostics;
  return doc;
}

function formatPlanText(d: SiteDecision): string {
  const doc = planJson(d);
  const lines: string[] = [];
  const choice = d.choice;
  if (choice?.ok) {
    lines.push(
      `site: ${choice.site}${d.site?.pool ? ` (${d.site.pool}, schedd ${d.site.schedd ?? '?'})` : ''}`,
    );
    for (const w of choice.why) lines.push(`  ${w}`);
    const per = (doc.vms as { perHost?: { machine: string; count: number }[] } | undefined)?.perHost ?? [];
    if (per.length > 0) lines.push(`VMs per host: ${per.map((p) => `${p.machine} ${p.count}`).join(', ')}`);
  } else if (choice) lines.push(`refused: ${choice.error}`);
  const img = d.image;
  if (img) {
    const facts = [
      img.bytes !== undefined ? `${img.bytes} bytes` : undefined,
      img.sha256 ? `sha256 ${img.sha256}` : undefined,
      img.sha256Verified === true ? 'matches the workflow' : undefined,
    ]
      .filter(Boolean)
      .join(', ');
    const how =
      img.delivery === 'staged'
        ? img.reuse
          ? `already staged at the site as ${img.stagedPath}: reused, nothing copied`
          : `staged once per run to ${img.stagedPath}`
        : img.delivery === 'per-vm'
          ? 'transferred with each VM job (once per VM)'
          : img.transferred
            ? 'transferred to the site'
            : 'used in place at the site';
    lines.push(`image: ${img.path} ${how}${facts ? ` (${facts})` : ''}${img.note ? ` — ${img.note}` : ''}`);
    if (img.deliveryReason && img.delivery !== 'in-place') lines.push(`  ${img.deliveryReason}`);
    if (img.check)
      lines.push(
        img.check.checked
          ? `  checked here: ${img.check.summary}`
          : `  not checked here: ${img.check.reason}`,
      );
  }
  return `${lines.join('\n')}\n${formatDiagnosticsText(d.diagnostics)}`;
}

/**
 * The one place plan's options get their values: the catalog from `--sites` (else design.md §1 discovery),
 * the local pool's images folder from `VMDAG_IMAGES` (else /var/lib/vmdag/images; docs/sites.md).
 */
export function resolvePlanOptions(
  file: string,
  opts: Record<string, unknown>,
  io: { cwd: string; env: Record<string, string | undefined> },
): Omit<SiteDecisionInput, 'ctx'> {
  return {
    file,
    cwd: io.cwd,
    env: io.env,
    localImages: resolveLocalImages(io.env, io.cwd),
    ...(typeof opts.sites === 'string' ? { sites: opts.sites } : {}),
  };
}

export async function runPlan(
  args: string[],
  opts: Record<string, unknown>,
  out: Output,
  io: Pick<CommandIo, 'cwd' | 'env' | 'condor'>,
): Promise<number> {
  const json = Boolean(opts.json);
  if (args.length !== 1) {
    out.err('vmdag plan: give exactly one workflow file\nusage: vmdag plan FILE [--json] [--sites FILE]\n');
    return ExitCode.usage;
  }
  try {
    const ctx = await io.condor();
    const d = await decideSite({ ...resolvePlanOptions(args[0] as string, opts, io), ctx });
    if (!d.choice) {
      if (json) out.out(`${JSON.stringify(diagnosticsJson(d.diagnostics), null, 2)}\n`);
      else out.err(formatDiagnosticsText(d.diagnostics));
      return ExitCode.invalid;
    }
    if (json) out.out(`${JSON.stringify(planJson(d), null, 2)}\n`);
    else (d.choice.ok && !d.sha256Error ? out.out.bind(out) : out.err.bind(out))(formatPlanText(d));
    if (d.choice.ok && !d.sha256Error) return ExitCode.ok;
    const noneAnswered = (d.resources ?? []).every((r) => !r.reachable);
    return noneAnswered && !d.sha256Error ? ExitCode.condor : ExitCode.invalid;
  } catch (e) {
    if (e instanceof CondorUnavailableError) return reportError(e, out, json);
    throw e;
  }
}

export const planCommand: CommandSpec = {
  name: 'plan',
  summary:
    'which site a workflow runs at and why: VMs per host, image transferred or in place (size, sha256)',
  configure(cmd) {
    cmd
      .argument('[file]', 'workflow file (YAML)')
      .option('--sites <file>', 'site catalog (default: $VMDAG_SITES, else ./sites.yaml when present)')
      .addHelpText(
        'after',
        '\nAsks every site of the catalog (or the local pool) for its resources, then chooses (docs/sites.md).\nExit status: 0 a site fits, 1 invalid workflow, no site fits or sha256 mismatch, 3 no site answered.',
      );
  },
  run: (args, opts, out, io) => runPlan(args, opts, out, io),
};
