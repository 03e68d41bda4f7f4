/**
 * `vmdag sites [--json] [--sites FILE]`: each site's resources from its collector (docs/sites.md). Exit 0
 * when at least one site answered, 3 when none did (HTCondor unavailable or every gateway unreachable).
 */
import { existsSync } from 'node:fs';
import { CondorUnavailableError } from '../condor/exec.js';
import { loadSites } from '../load-workflow.js';
import { siteQueriesOf } from '../site-catalog/plan-site.js';
import { querySites } from '../site-catalog/query-site.js';
import type { SiteResources } from '../site-catalog/site-resources.js';
import { findSitesFile } from '../validate/find-sites.js';
import { diagnosticsJson, formatDiagnosticsText } from './format-diagnostics.js';
import { reportError } from './run-target.js';
import type { CommandSpec } from './spec.js';
import { type CommandIo, ExitCode, type Output } from './types.js';

function mib(n: number): string {
  return n >= 10240 ? `${(n / 1024).toFixed(1)} GiB` : `${n} MiB`;
}

export function formatSitesText(sites: SiteResources[]): string {
  const lines: string[] = [];
  for (const s of sites) {
    const where = s.pool ?? 'local pool';
    if (!s.reachable) {
      lines.push(`${s.name} (${where}): UNREACHABLE — ${s.error}`);
      continue;
    }
    const t = s.totals;
    lines.push(
      `${s.name} (${where}): HTCondor ${s.condorVersion ?? '?'}, schedd ${s.schedd ?? `none chosen (${s.schedds.join(', ') || 'none'})`}`,
      `  machines ${t.machines}, VM-capable ${t.vmMachines}, hypervisors ${t.hypervisors.join(', ') || 'none'}`,
      `  cores ${t.cpus} (${t.freeCpus} free), memory ${mib(t.memoryMiB)} (${mib(t.freeMemoryMiB)} free), slots ${t.slots} (${t.freeSlots} free)`,
      `  VMs: ${t.vmSlotsAvailable} more can start (VM_AvailNum), ${mib(t.vmMemoryMiB)} for VMs (VM_Memory)`,
    );
    if (s.access) {
      lines.push(
        s.access.allowed
          ? `  submit: allowed, as ${s.access.identity ?? '?'}${s.access.method ? ` (${s.access.method})` : ''}`
          : `  submit: NOT allowed — ${s.access.error ?? 'refused'}${s.access.fix ? ` — ${s.access.fix}` : ''}`,
      );
    }
    for (const m of s.machines) {
      const vm = m.hasVm
        ? `${m.vmType ?? '?'}${m.vmMemoryMiB !== undefined ? `, VM_Memory ${m.vmMemoryMiB} MiB` : ''}${m.vmAvailNum !== undefined ? `, VM_AvailNum ${m.vmAvailNum}` : ''}${m.vmNetworking ? ', networking' : ''}`
        : 'no VMs';
      const free = m.slots.reduce((n, x) => n + x.freeCpus, 0);
      lines.push(`    ${m.machine}: ${m.totalCpus} cores (${free} free), ${m.slots.length} slots, ${vm}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export async function runSites(opts: Record<string, unknown>, out: Output, io: CommandIo): Promise<number> {
  const json = Boolean(opts.json);
  const flag = typeof opts.sites === 'string' ? opts.sites : undefined;
  const sites = loadSites(flag, io);
  if (sites.found && !sites.catalog) {
    if (json) out.out(`${JSON.stringify(diagnosticsJson(sites.diagnostics), null, 2)}\n`);
    else out.err(formatDiagnosticsText(sites.diagnostics));
    return ExitCode.invalid;
  }
  const src = findSitesFile({ flag, env: io.env, cwd: io.cwd, fileExists: existsSync });
  try {
    const ctx = await io.condor();
    const resources = await querySites(ctx, siteQueriesOf(sites.catalog));
    const ok = resources.some((r) => r.reachable);
    if (json) {
      out.out(
        `${JSON.stringify({ ok, sitesFile: sites.found ? (src?.absPath ?? null) : null, sites: resources }, null, 2)}\n`,
      );
    } else out.out(formatSitesText(resources));
    return ok ? ExitCode.ok : ExitCode.condor;
  } catch (e) {
    if (e instanceof CondorUnavailableError) return reportError(e, out, json);
    throw e;
  }
}

export const sitesCommand: CommandSpec = {
  name: 'sites',
  summary: "each site's VM-capable resources (hypervisors, free cores, memory, VM slots) from its collector",
  configure(cmd) {
    cmd
      .option('--sites <file>', 'site catalog (default: $VMDAG_SITES, else ./sites.yaml when present)')
      .addHelpText(
        'after',
        '\nWithout a catalog the local pool is the one site, "local". An unreachable site is listed as such.\nExit status: 0 when at least one site answered, 1 invalid catalog, 3 none answered.',
      );
  },
  run: (_args, opts, out, io) => runSites(opts, out, io),
};
