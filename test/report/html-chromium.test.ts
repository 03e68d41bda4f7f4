/**
 * The HTML report in a real browser: every run recorded on the lab pool (fixtures/recorded/runs, among them
 * vm-1-tuned and vm-1-defaults, real 1-VM runs) rendered to HTML, opened in Debian's headless Chromium
 * (test/report/chromium.ts) and screenshotted. From the page as Chromium laid it out: one lane per VM and
 * one per gate, REAP, step and STOP node of the run's plan.json, each label visible inside the timeline.
 * From the PNG Chromium painted: not one colour, and every lane's row has its job bars painted (or says
 * "not submitted"). No VM is booted and nothing is submitted: the records are the real run.
 *
 * The pages and PNGs stay in test-results/report-html/ (printed; docs/report.md) for a person to look at.
 * Chromium missing: skipped on a workstation, a failing test under CI=true / VMDAG_LAB_REQUIRED=1
 * (scripts/test.mjs installs it).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { computeLatency } from '../../src/report/latency.js';
import { latencyHtml } from '../../src/report/render-html.js';
import type { LatencyReport } from '../../src/report/types.js';
import { accelShort } from '../../src/report/vm-boot.js';
import { requireOrSkip } from '../lab/lab-context.js';
import { Chromium, chromiumMissing } from './chromium.js';
import { decodePng } from './png.js';
import { RECORDED, recordedInputs } from './recorded.js';

const OUT = fileURLToPath(new URL('../../test-results/report-html', import.meta.url));
const WIDTH = 1200;
/** Real VM runs whose every node ran: each of their lanes must have painted bars. */
const EVERY_LANE_RAN = ['vm-1-tuned', 'vm-1-defaults'];

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}
interface Laid {
  svg: Box;
  labels: { text: string; cls: string; box: Box }[];
  segs: { cls: string; box: Box }[];
  notSubmitted: Box[];
}

// Boxes in page px (the screenshot's px: one device pixel per CSS px, from the top of the page).
const LAID_OUT = `(() => {
  const box = (e) => { const r = e.getBoundingClientRect();
    return { x: r.x + scrollX, y: r.y + scrollY, w: r.width, h: r.height }; };
  const svg = document.querySelector('svg[role=img]');
  return {
    svg: box(svg),
    labels: [...svg.querySelectorAll('text.lane-label')]
      .map((t) => ({ text: t.textContent, cls: t.getAttribute('class'), box: box(t) })),
    segs: [...svg.querySelectorAll('rect.seg')].map((r) => ({ cls: r.getAttribute('class'), box: box(r) })),
    notSubmitted: [...svg.querySelectorAll('text.muted')].map(box),
  };
})()`;

/**
 * The lane labels the run's plan.json calls for, in the page's order: VMs (with how each ran, when its guest
 * image said it: "VM 0 · KVM"), gate, REAP, steps, STOP.
 */
function expectedLabels(name: string, r: LatencyReport): string[] {
  const plan = JSON.parse(readFileSync(join(RECORDED, name, 'plan.json'), 'utf8')) as {
    vm?: { count: number };
    steps: { name: string }[];
    dag: { nodes: { name: string; kind: string }[] };
  };
  const of = (kind: string, suffix: string) =>
    plan.dag.nodes.filter((n) => n.kind === kind).map((n) => `${n.name}${suffix}`);
  const steps = of('compute', '');
  expect([...steps].sort()).toEqual(plan.steps.map((s) => s.name).sort());
  return [
    'phases',
    ...Array.from({ length: plan.vm?.count ?? 0 }, (_, i) => {
      const accel = accelShort(r.boot?.vms.find((b) => b.lane === `VM ${i}`)?.accel ?? null);
      return `VM ${i}${accel ? ` · ${accel}` : ''}`;
    }),
    ...of('gate', ' (gate)'),
    ...of('reaper', ' (reap)'),
    ...steps,
    ...of('final', ' (stop)'),
  ];
}

const centre = (b: Box) => b.y + b.h / 2;
/** The colour a bar of this class paints (report.html.hbs: --running, the hatch's darker stripe, --held). */
const FILL: Record<string, [number, number, number]> = {
  running: [0x2f, 0x6f, 0xde],
  queued: [0xc5, 0xca, 0xd3],
  held: [0xe0, 0x48, 0x48],
};
/** Whether pixel `p` is the paint of a bar of class `cls` (an open bar is drawn at 75% over the page). */
function painted(cls: string, p: [number, number, number]): boolean {
  const fill = FILL[cls.split(' ')[1] ?? ''];
  if (!fill) throw new Error(`a bar of unknown class ${cls}`);
  const want = /\bopen\b/.test(cls) ? fill.map((c) => 0.75 * c + 0.25 * 250) : fill;
  return want.every((c, i) => Math.abs(c - (p[i] ?? 0)) <= 20);
}

const missing = chromiumMissing();
const runs = readdirSync(RECORDED).sort();

// Under CI (labRequired) a missing Chromium is one failing test that says why, not a quiet skip.
requireOrSkip(missing === undefined, missing ?? '').describe('the HTML report in headless Chromium', () => {
  let chromium: Chromium | undefined;
  const shots: string[] = [];

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    const t0 = Date.now();
    chromium = await Chromium.launch();
    console.log(`chromium: started in ${Date.now() - t0} ms`);
  });

  afterAll(async () => {
    await chromium?.close();
    if (shots.length) console.log(`report pages in Chromium, kept for a look:\n  ${shots.join('\n  ')}`);
  });

  it('renders every recorded run (VM runs among them)', () => {
    expect(runs).toEqual(expect.arrayContaining(EVERY_LANE_RAN));
  });

  for (const name of runs) {
    it(`${name}: one lane per VM and per node, each painted in the PNG`, async () => {
      const html = join(OUT, `${name}.html`);
      const png = join(OUT, `${name}.png`);
      const report = computeLatency(recordedInputs(name));
      writeFileSync(html, latencyHtml(report));
      if (!chromium) throw new Error('chromium did not start');
      const page = await chromium.open(html, WIDTH);
      const laid = await page.evaluate<Laid>(LAID_OUT);
      const shot = await page.screenshot();
      writeFileSync(png, shot);
      shots.push(png);

      // The lanes as Chromium laid them out: the plan's, in order, visible, inside the timeline, one row each.
      const labels = laid.labels.map((l) => l.text);
      expect(labels).toEqual(expectedLabels(name, report));
      const { svg } = laid;
      expect(svg.w).toBeGreaterThan(WIDTH * 0.8);
      for (const l of laid.labels) {
        expect(l.box.w, l.text).toBeGreaterThan(0);
        expect(l.box.h, l.text).toBeGreaterThan(0);
        expect(l.box.x, l.text).toBeGreaterThanOrEqual(svg.x);
        expect(l.box.y + l.box.h, l.text).toBeLessThanOrEqual(svg.y + svg.h);
      }
      const rows = laid.labels.slice(1).map((l) => centre(l.box));
      const pitch = rows.length > 1 ? Math.min(...rows.slice(1).map((y, i) => y - (rows[i] ?? 0))) : 28;
      expect(pitch, 'lanes on rows of their own, top to bottom').toBeGreaterThan(15);

      // The PNG: the whole page at one pixel per CSS px, not blank.
      const px = decodePng(shot);
      expect(px.width).toBe(WIDTH);
      expect(px.height).toBeGreaterThanOrEqual(Math.floor(svg.y + svg.h));
      const colours = new Set<number>();
      for (let y = 0; y < px.height; y += 3)
        for (let x = 0; x < px.width; x += 3) {
          const [r, g, b] = px.rgb(x, y);
          colours.add((r << 16) | (g << 8) | b);
        }
      expect(colours.size, 'distinct colours in the screenshot').toBeGreaterThan(50);

      // Every lane's row: its bars painted in their colours (not just covered by a marker), or "not submitted".
      laid.labels.slice(1).forEach((l, i) => {
        const y0 = rows[i] ?? 0;
        const mine = laid.segs.filter((s) => Math.abs(centre(s.box) - y0) < pitch / 2);
        if (mine.length === 0) {
          expect(EVERY_LANE_RAN, `${l.text}: no bars`).not.toContain(name);
          expect(
            laid.notSubmitted.some((b) => Math.abs(centre(b) - y0) < pitch / 2),
            l.text,
          ).toBe(true);
          return;
        }
        let ink = 0;
        for (const s of mine)
          for (let y = Math.ceil(s.box.y); y < Math.floor(s.box.y + s.box.h); y++)
            for (let x = Math.ceil(s.box.x); x < Math.floor(s.box.x + s.box.w); x++)
              if (painted(s.cls, px.rgb(x, y))) ink++;
        expect(ink, `${l.text}: painted pixels in its bars`).toBeGreaterThan(10);
      });
    }, 60_000);
  }
});
