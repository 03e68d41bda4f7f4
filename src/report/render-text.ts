/** The report as a text table: phases, timestamps (UTC, seconds from submit, source), one line per lane. */
import type { Lane, LatencyReport, PhaseName, TimestampName, VmBoots } from './types.js';
import { PHASE_NAMES, TIMESTAMP_NAMES } from './types.js';
import {
  accelLabel,
  BOOT_NOTES,
  bootMeaning,
  GUESTS_FILE,
  GUESTS_SEEN_FILE,
  PAIRING_NOTE,
} from './vm-boot.js';

const PHASE_MEANING: Record<PhaseName, string> = {
  scheduling: 'HTCondor matching and starting jobs',
  vmBoot: 'VMs executing until every guest joined',
  compute: 'first compute start to last compute end',
  teardown: 'compute end to the last VM gone',
  wrapUp: 'until DAGMan itself ended',
  total: 'DAG submitted to DAGMan ended',
};

export const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');

/** "1 VM", "2 VMs". */
export function vmCountText(n: number): string {
  return `${n} VM${n === 1 ? '' : 's'}`;
}

export function fmtSeconds(s: number | null): string {
  if (s === null) return '-';
  return Number.isInteger(s) ? `${s}` : s.toFixed(1);
}

/** Phases that apply to this run (no VM phases for a native run). */
export function phasesOf(r: LatencyReport): PhaseName[] {
  const used = new Set<PhaseName>(r.intervals.map((i) => i.phase));
  return PHASE_NAMES.filter((p) => p === 'total' || used.has(p));
}

export function timestampsOf(r: LatencyReport): TimestampName[] {
  const used = new Set<TimestampName>(r.intervals.flatMap((i) => [i.from, i.to]));
  return TIMESTAMP_NAMES.filter((t) => used.has(t) || (t === 'vmsQueued' && r.mode === 'vm'));
}

export function phaseSpan(r: LatencyReport, p: PhaseName): string {
  if (p === 'total') return 'submitted → finished';
  return r.intervals
    .filter((i) => i.phase === p)
    .map((i) => `${i.from} → ${i.to}`)
    .join(' + ');
}

function laneLine(l: Lane, r: LatencyReport): string {
  const asOf = r.asOf ?? 0;
  const parts = l.segments.map(
    (g) => `${g.state} ${fmtSeconds(Math.round(((g.end ?? asOf) - g.start) / 1000))}s`,
  );
  const end = l.end
    ? l.end.outcome
    : l.segments.length
      ? `${l.segments.at(-1)?.state ?? ''} now`
      : r.doneBefore?.includes(l.name)
        ? 'done in an earlier attempt (not run again)'
        : 'not submitted';
  return `  ${l.kind.padEnd(8)} ${l.name.padEnd(14)} ${(l.jobId ?? '-').padEnd(8)} ${parts.join(', ') || '-'}${parts.length ? ' → ' : ' '}${end}${l.attempts > 1 ? ` (${l.attempts} attempts)` : ''}${l.host ? `  on ${l.host}` : ''}`;
}

/** Each VM's boot, part by part, and where the marks come from. */
function bootLines(b: VmBoots): string[] {
  const lines = [`  each VM's boot (GATE's record: ${GUESTS_FILE}, ${GUESTS_SEEN_FILE}):`];
  if (b.problem) return [...lines, `    ${b.problem}`];
  for (const v of b.vms) {
    const offset =
      v.clockOffset === null
        ? ''
        : `; collector's clock − guest's ${v.clockOffset >= 0 ? '+' : ''}${v.clockOffset} s`;
    lines.push(
      `  ${v.lane} (guest ${v.guest}): ${fmtSeconds(v.boot)} s executing → joined; ${accelLabel(v.accel)}${offset}`,
    );
    for (const p of v.parts)
      lines.push(
        `    ${`${p.from} → ${p.to}`.padEnd(28)} ${fmtSeconds(p.seconds).padStart(6)} s  ${bootMeaning(p.to)}`,
      );
  }
  if (b.vms.length === 0) lines.push('    no guest of this run in it');
  lines.push(...BOOT_NOTES.map((n) => `  ${n}`));
  if (b.pairing === 'in order of start') lines.push(`  ${PAIRING_NOTE}`);
  return lines;
}

export function latencyText(r: LatencyReport): string {
  const sub = r.timestamps.submitted;
  const lines = [
    `run ${r.dagmanJobId} (${r.name}): ${r.state === 'finished' ? `finished (${r.outcome ?? 'unknown'})` : `running, as of ${r.asOf === null ? '-' : isoSeconds(r.asOf)}`}; ${r.mode === 'vm' ? vmCountText(r.lanes.filter((l) => l.kind === 'vm').length) : 'native (no VMs)'}`,
    '',
    `  ${'phase'.padEnd(12)} ${'seconds'.padStart(8)} ${'share'.padStart(6)}  interval`,
  ];
  const total = r.phases.total;
  for (const p of phasesOf(r)) {
    const v = r.phases[p];
    const share = v !== null && total ? `${Math.round((v / total) * 100)}%` : '';
    lines.push(
      `  ${p.padEnd(12)} ${fmtSeconds(v).padStart(8)} ${share.padStart(6)}  ${phaseSpan(r, p)}  (${PHASE_MEANING[p]})`,
    );
  }
  lines.push('', `  ${'timestamp'.padEnd(15)} ${'UTC'.padEnd(21)} ${'+s'.padStart(6)}  source`);
  for (const t of timestampsOf(r)) {
    const v = r.timestamps[t];
    const rel = v !== null && sub !== null ? fmtSeconds((v - sub) / 1000) : '-';
    lines.push(
      `  ${t.padEnd(15)} ${(v === null ? '-' : isoSeconds(v)).padEnd(21)} ${rel.padStart(6)}  ${r.sources[t] ?? ''}`,
    );
  }
  lines.push('', '  lanes:');
  for (const l of r.lanes) lines.push(laneLine(l, r));
  if (r.boot) lines.push('', ...bootLines(r.boot));
  if (r.zone.offsetMinutes !== 0)
    lines.push(
      '',
      `  event logs read as UTC${r.zone.offsetMinutes > 0 ? '+' : ''}${r.zone.offsetMinutes / 60} h (${r.zone.from})`,
    );
  return `${lines.join('\n')}\n`;
}
