/**
 * What a run's guests left in the pool after their VMs ended: a guest leaves with its VM, so its startd
 * ad must be gone from the collector and the schedd must hold no claim on it. The guests are found by the
 * run's VM jobs (`cluster.proc`) through their serial console logs (the lab's site kit keeps them), which
 * give each guest's address and what its PID 1 saw at power-off; the schedd's view comes from its log:
 * a guest the schedd claimed must have sent RELEASE_CLAIM ("Got RELEASE_CLAIM from <addr:…>"), and the
 * dedicated scheduler must never have failed to reach it to release a claim ("canot connect to startd").
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type CondorContext, runCondor } from '../../src/condor/exec.js';
import { labStatus } from '../../src/lab/index.js';

/** A daemon log line's time ("12/02/26 07:52:23 …", the lab's daemons log in UTC), or NaN. */
function logTime(line: string): number {
  const m = /^(\d\d)\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d) /.exec(line);
  if (!m) return Number.NaN;
  const [, mo, d, y, h, mi, s] = m.map(Number) as number[];
  return Date.UTC(2000 + (y as number), (mo as number) - 1, d, h, mi, s);
}

export interface GuestSeen {
  /** The VM job: cluster.proc. */
  job: string;
  address?: string;
  host?: string;
  /** condor_master started in the guest. */
  joined: boolean;
  /** The guest's PID 1 saw HTCondor finish its shutdown before the power went. */
  leftThePool: boolean;
  /** The console log's last lines (the lab's guests add their MasterLog and StartLog tails at power-off). */
  tail: string;
}

/** The guests of these VM clusters, from the lab's console logs. */
export async function guestsOf(clusters: readonly string[]): Promise<GuestSeen[]> {
  const root = (await labStatus()).root;
  const dir = root ? path.join(root, 'var/log/vmdag-guests') : '';
  if (!dir || !existsSync(dir)) return [];
  const seen: GuestSeen[] = [];
  for (const f of readdirSync(dir)) {
    const m = /_(\d+)\.(\d+)\.log$/.exec(f);
    if (!m || !clusters.includes(m[1] as string)) continue;
    const text = readFileSync(path.join(dir, f), 'utf8');
    const net = /network up: \S+ ([\d.]+)\/\d+ as (\S+)/.exec(text);
    seen.push({
      job: `${m[1]}.${m[2]}`,
      ...(net ? { address: net[1] as string, host: net[2] as string } : {}),
      joined: /condor_master started/.test(text),
      leftThePool: /HTCondor left the pool/.test(text),
      tail: text.trimEnd().split('\n').slice(-100).join('\n'),
    });
  }
  return seen;
}

/**
 * Everything these VM clusters' guests left behind, as readable lines (none when clean), waiting up to
 * `ms` for the collector to drop their ads.
 */
export async function guestLeftovers(
  ctx: CondorContext,
  clusters: readonly string[],
  /** When the run began (ms since the epoch): the schedd's log is read from there on (addresses recur). */
  since: number,
  ms = 30_000,
): Promise<string[]> {
  const root0 = (await labStatus()).root;
  // Without the console logs nothing below could see a guest: that is a failure to check, not a clean run.
  if (clusters.length > 0 && (!root0 || !existsSync(path.join(root0, 'var/log/vmdag-guests'))))
    return [`cannot see the guests' console logs (lab root ${root0 ?? 'unknown'}/var/log/vmdag-guests)`];
  const guests = await guestsOf(clusters);
  const hosts = guests.filter((g) => g.host).map((g) => g.host as string);
  const problems: string[] = [];
  const t0 = Date.now();
  for (;;) {
    const left: string[] = [];
    if (hosts.length > 0) {
      const constraint = hosts.map((h) => `Machine == "${h}"`).join(' || ');
      const r = await runCondor(
        ctx,
        'condor_status',
        ['-any', '-const', constraint, '-af', 'MyType', 'Name'],
        {
          allowFailure: true,
          cwd: '/',
        },
      );
      if (r.exitCode !== 0) left.push(`condor_status failed: ${r.stderr.trim()}`);
      left.push(
        ...r.stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => `ad in the collector: ${l}`),
      );
    }
    if (left.length === 0 || Date.now() - t0 > ms) {
      problems.push(...left);
      break;
    }
    await new Promise((res) => setTimeout(res, 1000));
  }
  const root = (await labStatus()).root;
  const schedLog = root ? path.join(root, 'var/log/condor/SchedLog') : '';
  const log = (schedLog && existsSync(schedLog) ? readFileSync(schedLog, 'utf8') : '')
    .split('\n')
    .filter((l) => logTime(l) >= since - 1000)
    .join('\n');
  for (const g of guests) {
    if (g.joined && !g.leftThePool)
      problems.push(`guest of VM job ${g.job} (${g.host}): powered off before HTCondor left the pool`);
    if (!g.address) continue;
    const at = `<${g.address}:`;
    if (log.includes(`canot connect to startd ${at}`)) {
      problems.push(`the schedd could not release its claim on ${g.host} (the guest was gone)`);
    }
    const claimed = log.split('\n').some((l) => l.includes(at) && !/RELEASE_CLAIM from/.test(l));
    if (claimed && !log.includes(`Got RELEASE_CLAIM from ${at}`)) {
      problems.push(`the schedd talked to ${g.host} but never got its RELEASE_CLAIM`);
    }
  }
  // What is needed to tell why, in the failure itself (a CI machine keeps nothing else).
  if (problems.length > 0) {
    for (const g of guests) {
      const at = g.address ? `<${g.address}:` : undefined;
      const said = at ? log.split('\n').filter((l) => l.includes(at)) : [];
      problems.push(
        `evidence, VM job ${g.job} (${g.host ?? 'no address'}): console log ends\n${g.tail}\n` +
          `SchedLog lines naming it:\n${said.slice(-40).join('\n')}`,
      );
    }
  }
  return problems;
}
