/**
 * render, a batch of steps at a time (the streaming compile, src/compile-stream.ts): the same files, byte
 * for byte, as renderRunDir, with the DAG and plan.json made in the order they are written — their heads
 * from the plan's head, then each batch's nodes and lines, then their tails once every step is known — so
 * that no step's view is held after its batch is written. A value the quoting helpers refuse throws its
 * UnsafeValueError (the compile then renders the whole plan, which says where).
 */
import type { Plan, PlannedDag, PlannedStep } from '../plan/plan-types.js';
import { planJsonWriter } from './plan-json.js';
import { dagView, headFiles, type RunDirFile, scriptsFor, stepView } from './render-run-dir.js';
import { loadTemplates, type Templates } from './templates.js';

/** Edges rendered per piece of the DAG's tail. */
const BATCH = 256;

export interface RunDirStream {
  /** The submit files of the plan's head (compute.sub, and vms.sub, gate.sub, stop.sub with VMs). */
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
  const stand = dagView(head, [], []);
  const first = templates.split('dag', stand, [stand.steps, stand.edges]);
  const nodesBlock = first.blocks[0];
  if (!nodesBlock || nodesBlock.list !== stand.steps)
    throw new Error('dag template: no {{#each steps}} block');
  const dagHead = first.texts[0] as string;
  const plan = planJsonWriter(head);
  const nodes: string[] = [];
  let collect = false;
  return {
    headFiles: files,
    dagFile: head.dag.file,
    dagHead,
    planHead: plan.head(),
    steps(steps) {
      const views = steps.map((s) => {
        const v = stepView(s);
        nodes.push(v.node);
        if (v.collect !== null) collect = true;
        return v;
      });
      return { dag: nodesBlock.render(views), plan: plan.steps(steps) };
    },
    finish(dag) {
      const whole: Plan = { ...head, dag };
      const view = dagView(whole, [], nodes);
      const last = templates.split('dag', view, [view.steps, view.edges]);
      if (last.texts[0] !== dagHead || last.blocks[0]?.list !== view.steps)
        throw new Error('dag template: the text before the step nodes depends on the edges');
      const dagTail = {
        *[Symbol.iterator]() {
          for (let i = 1; i < last.texts.length; i++) {
            const block = last.blocks[i - 1];
            if (i > 1 && block)
              for (let at = 0; at < block.list.length; at += BATCH)
                yield block.render(block.list.slice(at, at + BATCH));
            yield last.texts[i] as string;
          }
        },
      };
      const after: RunDirFile[] = [
        { path: dag.configFile, content: templates.render('dagman.config', { dag }), mode: 0o644 },
      ];
      for (const s of scriptsFor(head, collect))
        after.push({ path: s, content: templates.script(s), mode: 0o755 });
      return { dagTail, planTail: plan.tail(dag), files: after };
    },
  };
}
