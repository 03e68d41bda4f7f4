#!/usr/bin/env node
// Manual check of the HTML report in a real browser (docs/report.md): renders every recorded run under
// fixtures/recorded/runs with the built code (npm run build first) and screenshots each page with Debian's
// headless Chromium.   node test/report/screenshot.mjs OUT_DIR
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAdsJson } from '../../dist/condor/classads.js';
import { mergeAds, reportInputs } from '../../dist/report/gather-report.js';
import { computeLatency } from '../../dist/report/latency.js';
import { latencyHtml } from '../../dist/report/render-html.js';
import { readIfExists, readLayout } from '../../dist/status/run-dir.js';

const out = resolve(process.argv[2] ?? join(tmpdir(), 'vmdag-report-shots'));
mkdirSync(out, { recursive: true });
const root = 'fixtures/recorded/runs';
for (const name of readdirSync(root)) {
  const dir = join(root, name);
  const layout = readLayout(dir);
  const read = (f) => parseAdsJson(readIfExists(join(dir, f)) ?? '');
  const ads = mergeAds(read('condor_q.json'), read('condor_history.json'));
  const dagman = ads.find((ad) => ad.DAGManJobId === undefined || ad.DAGManJobId === null);
  const html = join(out, `${name}.html`);
  writeFileSync(html, latencyHtml(computeLatency(reportInputs(layout, Number(dagman?.ClusterId), ads))));
  const png = join(out, `${name}.png`);
  execFileSync(
    'chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${mkdtempSync(join(tmpdir(), 'vmdag-chromium-'))}`,
      `--screenshot=${png}`,
      '--window-size=1200,1000',
      `file://${html}`,
    ],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  console.log(`${png} (${readFileSync(png).length} bytes)`);
}
