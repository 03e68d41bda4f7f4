/**
 * render, a batch of steps at a time (the streaming compile, src/compile-stream.ts): the same files, byte
 * for byte, as renderRunDir, with the DAG and plan.json made in the order they are written — their heads
 * from the plan's head, then each batch's nodes and lines, then their tails once every step is known — so
 * that no step's view is held after its batch is written. A value the quoting helpers refuse throws its
 * UnsafeValueError (the compile then renders the whole plan, which says where).
 */
import type { Plan, PlannedDag, PlannedStep } from '../plan/plan-types.js';
import { planJsonWriter } from './plan-json.js';
import {
  dagViewOf,
  headFiles,
  isTuned,
  maxStepMemoryMiB,
  parentLines,
  type RunDirFile,
  scriptsFor,
  stepView,
  tailFiles,
} from './render-run-dir.js';
import { loadTemplates, type Templates } from './templates.js';

/** Edges rendered per piece of the DAG's tail. */
const BATCH = 256;

export interface RunDirStream {
  /** The submit files of the plan's head (compute.sub, and vms.sub, stop.sub with VMs; gate.sub comes last). */
  headFiles: RunDirFile[];
  /** The DAG file's path, and its text before the step nodes. */
  dagFile: string;
  dagHead: string;
  /** plan.json's text before its steps. */
  planHead: string;
  /** The next steps: their DAG nodes and their plan.json lines. */
  steps(steps: readonly PlannedStep[]): { dag: string; plan: string };
  /**
   * After the last step, with the DAG's nodes and edges: the DAG's and plan.json's remaining pieces, and the
   * files that follow the DAG (the DAGMan config, the helper scripts).
   */
  finish(dag: PlannedDag): { dagTail: Iterable<string>; planTail: Iterable<string>; files: RunDirFile[] };
}

/** `head`: the plan without its steps and DAG nodes and edges (planHead). */
export function renderStream(head: Plan, templates: Templates = loadTemplates()): RunDirStream {
  const files = headFiles(head, templates).map(
    (f): RunDirFile => ({ path: f.path, content: f.render(), mode: 0o644 }),
  );
  // The DAG's frame around its `{{#each steps}}` block, whose body renders each batch's nodes; the edges
  // are not known yet, so the text after the nodes is rendered again at the end.
  const stand = dagViewOf(head, [], []);
  const first = templates.split('dag', stand, [stand.steps, stand.edges]);
  const nodesBlock = first.blocks[0];
  if (!nodesBlock || nodesBlock.list !== stand.steps)
    throw new Error('dag template: no {{#each steps}} block');
  const dagHead = first.texts[0] as string;
  const plan = planJsonWriter(head);
  let collect = false;
  let stepMemoryMiB = 0;
  // The nodes whose outputs a POST script collects (few: steps on several VMs with outputs), for REAP.
  const post = new Set<string>();
  return {
    headFiles: files,
    dagFile: head.dag.file,
    dagHead,
    planHead: plan.head(),
    steps(steps) {
      stepMemoryMiB = maxStepMemoryMiB(steps, stepMemoryMiB);
      const views = steps.map((s) => {
        const v = stepView(s);
        if (v.collect !== null) {
          collect = true;
          post.add(v.node);
        }
        return v;
      });
      return { dag: nodesBlock.render(views), plan: plan.steps(steps) };
    },
    finish(dag) {
      // The PARENT lines are made a batch at a time while written (parentLines, as renderRunDir makes them
      // all at once); the frame is rendered with a stand-in list, there when there are edges.
      const lines = dag.edges.length > 0 ? [null] : [];
      const view = dagViewOf({ ...head, dag }, [], lines);
      const last = templates.split('dag', view, [view.steps, lines]);
      if (last.texts[0] !== dagHead || last.blocks[0]?.list !== view.steps)
        throw new Error('dag template: the text before the step nodes depends on the edges');
      const dagTail = {
        *[Symbol.iterator]() {
          for (let i = 1; i < last.texts.length; i++) {
            const block = last.blocks[i - 1];
            if (i > 1 && block) {
              if (block.list !== lines) throw new Error('dag template: an unexpected {{#each}} block');
              for (const batch of parentLines(dag.edges, BATCH)) yield block.render(batch);
            }
            yield last.texts[i] as string;
          }
        },
      };
      const after: RunDirFile[] = [];
      if (head.vm)
        for (const f of tailFiles(head, head.vm, templates, stepMemoryMiB, dag, post))
          after.push({ path: f.path, content: f.render(), mode: 0o644 });
      after.push({
        path: dag.configFile,
        content: templates.render('dagman.config', { dag, tuned: isTuned(head) }),
        mode: 0o644,
      });
      for (const s of scriptsFor(head, collect))
        after.push({ path: s, content: templates.script(s), mode: 0o755 });
      return { dagTail, planTail: plan.tail(dag), files: after };
    },
  };
}
