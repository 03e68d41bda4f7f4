/**
 * The report as one self-contained HTML page (inline CSS and SVG, nothing fetched): summary cards, the
 * timeline, the phase, timestamp and lane tables. Rendered by templates/report/report.html.hbs through a
 * Handlebars instance of its own with HTML escaping ON (the project's shared instance has noEscape).
 */
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { TEMPLATES_DIR } from '../render/templates.js';
import { type AttemptReport, doneEarlier } from './attempts.js';
import { fmtSeconds, isoSeconds, phaseSpan, phasesOf, timestampsOf, vmCountText } from './render-text.js';
import { notRunText, phaseLabel, timelineView } from './timeline-view.js';
import type { LatencyReport } from './types.js';
import { accelLabel, BOOT_NOTES, bootMeaning, PAIRING_NOTE } from './vm-boot.js';

const PHASE_MEANING = {
  scheduling:
    'HTCondor matching and starting the jobs: DAG submit → every VM executing, and guests ready → compute executing (native: submit → compute executing)',
  vmBoot: 'every VM job executing → the gate saw every guest join the pool',
  compute: 'first compute job executing → last compute job ended',
  teardown: 'last compute job ended → last VM job gone',
  wrapUp: 'the last job gone → DAGMan itself ended',
  total: 'DAG submitted → DAGMan ended (while running: → HTCondor’s latest record)',
} as const;

let compiled: HandlebarsTemplateDelegate | undefined;

function template(): HandlebarsTemplateDelegate {
  if (compiled) return compiled;
  const hb = Handlebars.create();
  compiled = hb.compile(readFileSync(`${TEMPLATES_DIR}report/report.html.hbs`, 'utf8'), { strict: true });
  return compiled;
}

/** The page's table of each VM's boot (null without the gate's record): per VM its sum, then its parts. */
function bootView(r: LatencyReport) {
  const b = r.boot;
  if (!b) return null;
  const rows = b.vms.flatMap((v) => [
    {
      cls: 'total',
      lane: v.lane,
      guest: v.guest,
      part: 'executing → joined',
      seconds: fmtSeconds(v.boot),
      meaning: `the VM's boot; ${accelLabel(v.accel)}${v.clockOffset === null ? '' : `; collector's clock − guest's: ${v.clockOffset} s`}`,
    },
    ...v.parts.map((p) => ({
      cls: '',
      lane: '',
      guest: '',
      part: `${p.from} → ${p.to}`,
      seconds: fmtSeconds(p.seconds),
      meaning: bootMeaning(p.to),
    })),
  ]);
  const notes = [...BOOT_NOTES, ...(b.pairing === 'in order of start' ? [PAIRING_NOTE] : [])];
  return { problem: b.problem ?? '', rows, notes: notes.join(' ') };
}

/** `attempts`: every attempt of a restarted run with its report (the last is `r`), for the steps done before. */
export function latencyHtml(r: LatencyReport, attempts: AttemptReport[] = []): string {
  const earlier = doneEarlier(r, attempts);
  const sub = r.timestamps.submitted;
  const total = r.phases.total;
  const phases = phasesOf(r).map((p) => {
    const v = r.phases[p];
    return {
      key: p,
      label: phaseLabel(p),
      seconds: fmtSeconds(v),
      share: v !== null && total ? `${Math.round((v / total) * 100)}%` : '',
      span: phaseSpan(r, p),
      meaning: PHASE_MEANING[p],
      isTotal: p === 'total',
    };
  });
  const laneSeconds = (l: LatencyReport['lanes'][number], state: string) =>
    fmtSeconds(
      Math.round(
        l.segments
          .filter((g) => g.state === state)
          .reduce((a, g) => a + ((g.end ?? r.asOf ?? g.start) - g.start), 0) / 100,
      ) / 10,
    );
  const view = {
    title: `${r.name} — DAGMan job ${r.dagmanJobId}`,
    name: r.name,
    dagmanJobId: r.dagmanJobId,
    running: r.state === 'running',
    pill: r.state === 'running' ? 'running' : (r.outcome ?? 'finished'),
    stateText:
      r.state === 'finished'
        ? `finished ${r.timestamps.finished === null ? '' : isoSeconds(r.timestamps.finished)}`
        : `still running — as of ${r.asOf === null ? 'the first record' : isoSeconds(r.asOf)} (HTCondor’s latest record)`,
    modeText: r.mode === 'vm' ? vmCountText(r.lanes.filter((l) => l.kind === 'vm').length) : 'native, no VMs',
    submittedText: sub === null ? 'not recorded' : isoSeconds(sub),
    cards: phases.map((p) => ({
      ...p,
      seconds: p.seconds === '-' ? '—' : `${p.seconds} s`,
      label: p.key === r.current || (p.isTotal && r.state === 'running') ? `${p.label} so far` : p.label,
    })),
    timeline: timelineView(r, earlier),
    legendPhases: phases.filter((p) => !p.isTotal),
    phases,
    timestamps: timestampsOf(r).map((t) => {
      const v = r.timestamps[t];
      return {
        name: t,
        utc: v === null ? '—' : isoSeconds(v),
        rel: v !== null && sub !== null ? `+${fmtSeconds((v - sub) / 1000)} s` : '—',
        source: r.sources[t] ?? 'not recorded yet',
      };
    }),
    lanes: r.lanes.map((l) => ({
      kind: l.kind,
      name: l.name,
      jobId: l.jobId ?? '—',
      host: l.host ?? '—',
      attempts: l.attempts,
      queued: laneSeconds(l, 'queued'),
      running: laneSeconds(l, 'running'),
      outcome:
        l.end?.outcome ??
        (l.segments.length ? `${l.segments.at(-1)?.state} now` : notRunText(l.name, r, earlier.get(l.name))),
      outcomeClass: l.end?.outcome ?? (r.doneBefore?.includes(l.name) ? 'done' : 'open'),
    })),
    boot: bootView(r),
    zoneText: `event-log times read as UTC${r.zone.offsetMinutes >= 0 ? '+' : '−'}${fmtSeconds(Math.abs(r.zone.offsetMinutes) / 60)} h: ${r.zone.from}`,
  };
  return template()(view);
}
