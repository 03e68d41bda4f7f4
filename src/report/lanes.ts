/** Pure: the timeline's lanes — one per VM (a proc of the SERVICE node's cluster), one per gate/reap/compute/stop node. */
import type { RunLayout } from '../model/run.js';
import type { ProcTrack } from './tracks.js';
import type { Lane, LaneKind } from './types.js';

function lane(kind: LaneKind, name: string, attempts: ProcTrack[]): Lane {
  const sorted = [...attempts].sort((a, b) => a.cluster - b.cluster);
  const last = sorted.at(-1);
  return {
    kind,
    name,
    jobId: last ? `${last.cluster}.${last.proc}` : null,
    host: sorted.findLast((t) => t.host)?.host ?? null,
    attempts: sorted.length,
    segments: sorted.flatMap((t) => t.segments),
    end: last?.end ?? null,
  };
}

export function buildLanes(
  layout: RunLayout,
  tracks: Map<string, ProcTrack>,
  nodeOf: Map<number, string>,
  vmCluster: number | undefined,
): Lane[] {
  const all = [...tracks.values()];
  const ofNode = (name: string) => all.filter((t) => nodeOf.get(t.cluster) === name);
  const lanes: Lane[] = [];
  const vmNode = layout.nodes.find((n) => n.kind === 'vms');
  if (vmNode) {
    const vmTracks = ofNode(vmNode.name);
    const procs = Math.max(
      layout.vmCount,
      ...vmTracks.filter((t) => t.cluster === vmCluster).map((t) => t.proc + 1),
    );
    for (let i = 0; i < procs; i++)
      lanes.push(
        lane(
          'vm',
          `VM ${i}`,
          vmTracks.filter((t) => t.proc === i),
        ),
      );
  }
  const order: LaneKind[] = ['gate', 'reap', 'compute', 'stop'];
  for (const kind of order)
    for (const n of layout.nodes.filter((x) => x.kind === kind))
      lanes.push(
        lane(
          kind,
          n.name,
          ofNode(n.name).filter((t) => t.proc === 0),
        ),
      );
  return lanes;
}
