/**
 * `vmdag lab up|down|status|exec`: the personal HTCondor pool on this machine that tests and first-time users
 * submit to (see docs/lab.md).
 */
import { labExec } from '../lab/exec.js';
import { LabError, type LabStatus, labDown, labStatus, labUp, leftoverGuests } from '../lab/index.js';
import type { CommandSpec } from './spec.js';
import { ExitCode, type Output } from './types.js';

const ACTIONS = ['up', 'down', 'status', 'exec'] as const;

function describe(st: LabStatus): string {
  if (!st.running) return 'lab: not running (start it with: vmdag lab up)\n';
  const lines = [
    `lab: running, HTCondor ${st.htcondorVersion}, tuning ${st.tuning}`,
    ...st.pools.map(
      (p) => `pool ${p.name}: collector ${p.collector}, schedd ${p.schedd}${p.vm ? ', VMs' : ', no VMs'}`,
    ),
    ...(st.sitesFile ? [`site catalog (--sites, VMDAG_SITES): ${st.sitesFile}`] : []),
    `root: ${st.root}`,
    `network namespace: ${st.netns}`,
    `command prefix (VMDAG_CONDOR_PREFIX): ${(st.prefix ?? []).join(' ')}`,
    `libvirt domains: ${st.domains.length ? st.domains.join(', ') : 'none'}`,
    ...(st.leftoverGuests ?? []).map(
      (g) =>
        `leftover guest ${g.name} of run ${g.workflow} in ${g.pool} (${g.state}): its VM job is gone but its ad is still in the collector`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

async function run(args: string[], opts: Record<string, unknown>, out: Output): Promise<number> {
  const [action, ...rest] = args;
  const labOpts = {
    ...(typeof opts.htcondor === 'string' ? { htcondor: opts.htcondor } : {}),
    ...(typeof opts.orgs === 'string' ? { orgs: opts.orgs } : {}),
    ...(typeof opts.tuning === 'string' ? { tuning: opts.tuning } : {}),
  };
  const log = (line: string) => out.err(`${line}\n`);
  try {
    switch (action) {
      case 'up': {
        await labUp(labOpts, log);
        const st = await labStatus(labOpts);
        out.out(opts.json ? `${JSON.stringify(st, null, 2)}\n` : describe(st));
        return ExitCode.ok;
      }
      case 'down': {
        await labDown({ ...labOpts, ...(typeof opts.org === 'string' ? { org: opts.org } : {}) }, log);
        if (opts.json) out.out(`${JSON.stringify(await labStatus(labOpts), null, 2)}\n`);
        return ExitCode.ok;
      }
      case 'status': {
        const st = await labStatus(labOpts);
        if (st.running) st.leftoverGuests = await leftoverGuests(st);
        out.out(opts.json ? `${JSON.stringify(st, null, 2)}\n` : describe(st));
        return ExitCode.ok;
      }
      case 'exec': {
        if (rest.length === 0) {
          out.err('usage: vmdag lab exec -- CMD [ARGS...]\n');
          return ExitCode.usage;
        }
        return await labExec(rest);
      }
      default:
        out.err(`vmdag lab: unknown action '${action ?? ''}' (choose ${ACTIONS.join(', ')})\n`);
        return ExitCode.usage;
    }
  } catch (e) {
    if (e instanceof LabError) {
      out.err(`vmdag lab ${action}: ${e.message}\n`);
      return e.code;
    }
    out.err(`vmdag lab ${action}: ${(e as Error).message}\n`);
    return ExitCode.condor;
  }
}

export const labCommand: CommandSpec = {
  name: 'lab',
  summary: 'a real personal HTCondor pool on this machine: up | down | status | exec -- CMD…',
  configure(cmd) {
    cmd
      .argument('<action>', ACTIONS.join(' | '))
      .argument('[args...]', 'for exec: the command and its arguments (after --)')
      .option('--htcondor <version>', 'HTCondor of the lab: 25 (Debian sid, default) or 23 (Debian 13)')
      .option(
        '--orgs <n>',
        'up: 1 (org-a, the lab pool with VMs; default), 2 (also org-b: an organisation apart, native slots) or 3 (also org-c: apart, with VMs)',
      )
      .option(
        '--tuning <name>',
        "up: the pool's latency knobs: lab (default), recommended (docs/report.md's suggested values) or defaults (HTCondor's); another than the running lab's restarts it",
      )
      .option('--org <name>', 'down: stop only this organisation (org-b or org-c), leaving the rest running')
      .allowUnknownOption();
  },
  run,
};
