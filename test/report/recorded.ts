/** Latency inputs of runs recorded on the lab pool (fixtures/recorded/runs/<case>/COMMAND.txt says how). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adNumber, parseAdsJson } from '../../src/condor/classads.js';
import { mergeAds, reportInputs } from '../../src/report/gather-report.js';
import type { LatencyInputs } from '../../src/report/latency.js';
import { readIfExists, readLayout } from '../../src/status/run-dir.js';

export const RECORDED = 'fixtures/recorded/runs';

export function recordedInputs(name: string): LatencyInputs {
  const dir = join(RECORDED, name);
  const layout = readLayout(dir);
  const history = parseAdsJson(readFileSync(join(dir, 'condor_history.json'), 'utf8'));
  const queue = parseAdsJson(readFileSync(join(dir, 'condor_q.json'), 'utf8'));
  const ads = mergeAds(queue, history);
  const dagman = ads.find((ad) => ad.DAGManJobId === undefined || ad.DAGManJobId === null);
  const id = dagman ? adNumber(dagman, 'ClusterId') : undefined;
  if (id === undefined) throw new Error(`${name}: no DAGMan job ad`);
  return reportInputs(layout, id, ads, readIfExists);
}
