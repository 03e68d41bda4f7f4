/** A run recorded on the lab pool (fixtures/recorded/runs/<case>/COMMAND.txt says how), as status reads it. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAdsJson } from '../../src/condor/classads.js';
import { assembleInputs } from '../../src/status/gather-status.js';
import { readIfExists, readLayout } from '../../src/status/run-dir.js';

export function recordedRun(name: string) {
  const dir = join('fixtures/recorded/runs', name);
  const layout = readLayout(dir);
  const history = parseAdsJson(readFileSync(join(dir, 'condor_history.json'), 'utf8'));
  const queue = parseAdsJson(readFileSync(join(dir, 'condor_q.json'), 'utf8'));
  const dagman = history.find((ad) => ad.DAGManJobId === undefined || ad.DAGManJobId === null);
  const id = Number(dagman?.ClusterId);
  // The run directory the jobs were submitted from, as COMMAND.txt records it.
  const from = /from (\S+)\n/.exec(readFileSync(join(dir, 'COMMAND.txt'), 'utf8'))?.[1] ?? '';
  return {
    id,
    history,
    queue,
    layout,
    from,
    inputs: assembleInputs(layout, id, queue, history, readIfExists, from),
  };
}
