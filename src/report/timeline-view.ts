/**
 * Pure: the SVG timeline of a report as plain shapes (x, y, sizes in px; texts unescaped — the HTML template
 * escapes them). One phase row, one row per lane, phase bands behind, timestamp marks above, axis in seconds.
 */
import type { DoneEarlier } from './attempts.js';
import { fmtSeconds, isoSeconds } from './render-text.js';
import type { Lane, LatencyReport, Outcome, PhaseName, Segment, TimestampName, VmBoot } from './types.js';
import { accelLabel, accelShort, bootMeaning } from './vm-boot.js';

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
  cls: string;
  title: string;
}
export interface Text {
  x: number;
  y: number;
  text: string;
  cls: string;
  anchor: 'start' | 'middle' | 'end';
}
export interface Line {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  cls: string;
  title?: string;
}
export interface Marker {
  x: number;
  y: number;
  outcome: Outcome;
  title: string;
}
export interface TimelineView {
  width: number;
  height: number;
  /** Phase row and phase bands, then grid lines, then job segments: drawn in that order. */
  bands: Rect[];
  rules: Line[];
  rects: Rect[];
  texts: Text[];
  lines: Line[];
  markers: Marker[];
}

const WIDTH = 1120;
const LEFT = 150;
const RIGHT = 24;
const MARK_ROWS = 3;
const MARK_ROW_H = 14;
const PHASE_ROW_H = 28;
const LANE_H = 20;
const LANE_GAP = 8;

const NICE = [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];

function tickStep(spanS: number): number {
  return NICE.find((s) => spanS / s <= 12) ?? Math.ceil(spanS / 12 / 3600) * 3600;
}

/** Tick labels in the unit of the step: seconds below a minute, then minutes, then hours. */
function axisLabel(s: number, step: number): string {
  if (step < 60) return `${s}s`;
  return step < 3600 ? `${s / 60}m` : `${s / 3600}h`;
}

/**
 * `earlier`: the steps this attempt did not run again (`r.doneBefore`) and the attempt each succeeded in
 * (attempts.ts, doneEarlier): their lanes say so, with a done mark whose title has that attempt's times.
 */
export function timelineView(r: LatencyReport, earlier = new Map<string, DoneEarlier>()): TimelineView {
  const starts = r.lanes.flatMap((l) => l.segments.map((g) => g.start));
  const t0 = r.timestamps.submitted ?? (starts.length ? Math.min(...starts) : 0);
  const tEnd = Math.max(r.asOf ?? t0, ...r.lanes.flatMap((l) => l.segments.map((g) => g.end ?? g.start)));
  const span = Math.max(tEnd - t0, 1000);
  const plotW = WIDTH - LEFT - RIGHT;
  const x = (t: number) => Math.round((LEFT + ((t - t0) / span) * plotW) * 10) / 10;
  const rel = (t: number) => `+${fmtSeconds(Math.round((t - t0) / 100) / 10)} s`;
  const bands: Rect[] = [];
  const rules: Line[] = [];
  const rects: Rect[] = [];
  const texts: Text[] = [];
  const lines: Line[] = [];
  const markers: Marker[] = [];

  // Timestamp marks: labels on the first of a few rows where they do not overlap the previous one.
  const marksTop = 4;
  const phaseY = marksTop + MARK_ROWS * MARK_ROW_H + 6;
  const lanesY = phaseY + PHASE_ROW_H + 10;
  const lanesBottom = lanesY + r.lanes.length * (LANE_H + LANE_GAP);
  const axisY = lanesBottom + 4;
  const rowEnd = new Array<number>(MARK_ROWS).fill(-1e9);
  const stamps = (Object.entries(r.timestamps) as [TimestampName, number | null][])
    .filter((e): e is [TimestampName, number] => e[1] !== null)
    .sort((a, b) => a[1] - b[1]);
  for (const [name, t] of stamps) {
    const px = x(t);
    const w = name.length * 6.2;
    // Near the right edge a label ends at its line instead of starting there.
    const flip = px + w > WIDTH - 4;
    const from = flip ? px - w - 2 : px - 2;
    const row = rowEnd.findIndex((end) => from > end);
    const rr = row < 0 ? MARK_ROWS - 1 : row;
    rowEnd[rr] = flip ? px : px + w;
    const y = marksTop + (rr + 1) * MARK_ROW_H - 3;
    texts.push({ x: flip ? px - 2 : px + 2, y, text: name, cls: 'mark', anchor: flip ? 'end' : 'start' });
    rules.push({
      x1: px,
      y1: y - 9,
      x2: px,
      y2: lanesBottom,
      cls: 'stamp',
      title: `${name}: ${isoSeconds(t)} (${rel(t)}) — ${r.sources[name] ?? ''}`,
    });
  }

  if (r.state === 'running' && r.asOf !== null) {
    const px = x(r.asOf);
    texts.push({ x: px - 2, y: marksTop + MARK_ROW_H - 3, text: 'as of', cls: 'mark now', anchor: 'end' });
    rules.push({
      x1: px,
      y1: marksTop,
      x2: px,
      y2: lanesBottom,
      cls: 'now',
      title: `HTCondor's latest record: ${isoSeconds(r.asOf)}`,
    });
  }

  // Phase row and the bands behind the lanes.
  texts.push({
    x: LEFT - 10,
    y: phaseY + PHASE_ROW_H / 2 + 4,
    text: 'phases',
    cls: 'lane-label strong',
    anchor: 'end',
  });
  for (const iv of r.intervals) {
    const a = r.timestamps[iv.from];
    // The phase under way (a running run) reaches HTCondor's latest record.
    const open = a !== null && r.timestamps[iv.to] === null && r.current === iv.phase && r.asOf !== null;
    const b = open ? r.asOf : r.timestamps[iv.to];
    if (a === null || b === null || b < a) continue;
    const w = Math.max(x(b) - x(a), 1);
    const soFar = open ? ' so far' : '';
    const title = `${iv.phase}: ${iv.from} → ${open ? 'now' : iv.to}, ${fmtSeconds((b - a) / 1000)} s${soFar}`;
    bands.push({
      x: x(a),
      y: phaseY,
      w,
      h: PHASE_ROW_H,
      cls: `phase ${iv.phase}${open ? ' open' : ''}`,
      title,
    });
    bands.push({ x: x(a), y: lanesY - 5, w, h: lanesBottom - lanesY + 5, cls: `band ${iv.phase}`, title });
    const label = `${phaseLabel(iv.phase)} ${fmtSeconds((b - a) / 1000)} s${soFar}`;
    if (w > label.length * 6.5 + 8)
      texts.push({
        x: x(a) + w / 2,
        y: phaseY + PHASE_ROW_H / 2 + 4,
        text: label,
        cls: 'phase-text',
        anchor: 'middle',
      });
  }

  // One row per lane.
  r.lanes.forEach((l, i) => {
    const y = lanesY + i * (LANE_H + LANE_GAP);
    const boot = l.kind === 'vm' ? r.boot?.vms.find((b) => b.lane === l.name) : undefined;
    const accel = boot ? accelShort(boot.accel) : undefined;
    texts.push({
      x: LEFT - 10,
      y: y + LANE_H / 2 + 4,
      text: `${laneTitle(l)}${accel ? ` · ${accel}` : ''}`,
      cls: `lane-label ${l.kind}`,
      anchor: 'end',
    });
    rules.push({ x1: LEFT, y1: y + LANE_H / 2, x2: WIDTH - RIGHT, y2: y + LANE_H / 2, cls: 'lane-rule' });
    for (const g of l.segments) rects.push(segmentRect(g, l, y, x, r.asOf ?? tEnd, rel));
    if (boot) rects.push(...bootRects(boot, y, x));
    if (l.end)
      markers.push({
        x: x(l.end.time),
        y: y + LANE_H / 2,
        outcome: l.end.outcome,
        title: `${l.name} ${l.end.outcome} at ${isoSeconds(l.end.time)} (${rel(l.end.time)})`,
      });
    if (l.segments.length > 0) return;
    const done = earlier.get(l.name);
    if (done)
      markers.push({ x: LEFT + 8, y: y + LANE_H / 2, outcome: 'done', title: doneTitle(l.name, done) });
    texts.push({
      x: LEFT + (done ? 18 : 6),
      y: y + LANE_H / 2 + 4,
      text: notRunText(l.name, r, done),
      cls: 'muted',
      anchor: 'start',
    });
  });

  // Axis: seconds from submit.
  lines.push({ x1: LEFT, y1: axisY, x2: WIDTH - RIGHT, y2: axisY, cls: 'axis' });
  const step = tickStep(span / 1000);
  for (let s = 0; s * 1000 <= span + 1; s += step) {
    const px = x(t0 + s * 1000);
    lines.push({ x1: px, y1: axisY, x2: px, y2: axisY + 5, cls: 'axis' });
    texts.push({ x: px, y: axisY + 18, text: axisLabel(s, step), cls: 'tick', anchor: 'middle' });
  }
  texts.push({ x: LEFT - 18, y: axisY + 18, text: 'since submit', cls: 'tick', anchor: 'end' });
  return { width: WIDTH, height: axisY + 28, bands, rules, rects, texts, lines, markers };
}

/** A lane with nothing in this attempt: done in an earlier one (which, when known), or not submitted. */
export function notRunText(step: string, r: LatencyReport, done: DoneEarlier | undefined): string {
  if (done) return `done in attempt ${done.attempt}`;
  return r.doneBefore?.includes(step) ? 'done in an earlier attempt' : 'not submitted';
}

function doneTitle(step: string, d: DoneEarlier): string {
  const what = `${step} done in attempt ${d.attempt} (DAGMan job ${d.dagmanJobId})`;
  const end = d.lane?.end;
  if (!end) return `${what}; its times are not in this report`;
  const run = d.lane?.segments.find((g) => g.state === 'running');
  return `${what}: ${run ? `executing ${isoSeconds(run.start)} → ` : ''}ended ${isoSeconds(end.time)}${d.lane?.host ? ` on ${d.lane.host}` : ''}`;
}

function laneTitle(l: Lane): string {
  const name = l.name.length > 18 ? `${l.name.slice(0, 17)}…` : l.name;
  return l.kind === 'vm' || l.kind === 'compute' ? name : `${name} (${l.kind})`;
}

export function phaseLabel(p: PhaseName): string {
  return {
    scheduling: 'scheduling',
    vmBoot: 'VM boot',
    compute: 'compute',
    teardown: 'teardown',
    wrapUp: 'wrap-up',
    total: 'total',
  }[p];
}

/**
 * A VM's boot, part by part from its job executing on, as a strip along the bottom of its lane (queued →
 * executing is the lane's own segment). A part starts where the parts before it ended (vm-boot.ts).
 */
function bootRects(b: VmBoot, y: number, x: (t: number) => number): Rect[] {
  let at = Number.NEGATIVE_INFINITY;
  const times = b.marks.map((m) => {
    at = Math.max(at, m.time);
    return at;
  });
  const shown = b.parts.flatMap((p, k) => {
    const from = times[k];
    const to = times[k + 1];
    return from === undefined || to === undefined || p.to === 'executing' ? [] : [{ p, from, to }];
  });
  return shown.map(({ p, from, to }, i) => ({
    x: x(from),
    y: y + LANE_H - 7,
    w: Math.max(x(to) - x(from), 1),
    h: 7,
    cls: `boot ${i % 2 ? 'odd' : 'even'}`,
    title: `${b.lane} boot: ${p.from} → ${p.to}, ${fmtSeconds(p.seconds)} s — ${bootMeaning(p.to)} (guest ${b.guest}${b.accel === null ? '' : `; ${accelLabel(b.accel)}`})`,
  }));
}

function segmentRect(
  g: Segment,
  l: Lane,
  y: number,
  x: (t: number) => number,
  asOf: number,
  rel: (t: number) => string,
): Rect {
  const end = g.end ?? asOf;
  const what = g.state === 'running' ? (l.kind === 'vm' ? 'VM running' : 'executing') : g.state;
  return {
    x: x(g.start),
    y: y + (g.state === 'running' ? 0 : 3),
    w: Math.max(x(end) - x(g.start), 2),
    h: g.state === 'running' ? LANE_H : LANE_H - 6,
    cls: `seg ${g.state}${g.end === null ? ' open' : ''}`,
    title: `${l.name} ${what}: ${rel(g.start)} → ${g.end === null ? 'still' : rel(end)} (${fmtSeconds(Math.round((end - g.start) / 100) / 10)} s)${l.host ? ` on ${l.host}` : ''}`,
  };
}
