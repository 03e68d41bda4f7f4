/** rule.cycle: the `after` lists must not form a cycle (iterative DFS, so 10,000-step chains are fine). */
import type { RuleContext } from './rule-context.js';

export function checkCycles(ctx: RuleContext): void {
  if (!ctx.listForm) return;
  const steps = ctx.steps;
  const index = new Map<string, number>();
  steps.forEach((s, i) => {
    const n = s.value.name;
    if (typeof n === 'string' && !index.has(n)) index.set(n, i);
  });
  // Edges in flat arrays (compressed rows): step i's edges are first[i] … first[i+1]-1, each a target step
  // and the position of the name in its `after` list (for the pointer, built only when reported).
  const first = new Int32Array(steps.length + 1);
  const to: number[] = [];
  const at: number[] = [];
  steps.forEach((s, i) => {
    first[i] = to.length;
    const after = s.value.after;
    if (Array.isArray(after))
      for (let k = 0; k < after.length; k++) {
        const a: unknown = after[k];
        const j = typeof a === 'string' ? index.get(a) : undefined;
        if (j !== undefined) {
          to.push(j);
          at.push(k);
        }
      }
  });
  first[steps.length] = to.length;
  const state = new Uint8Array(steps.length); // 0 new, 1 on the stack, 2 done
  const name = (i: number) => String(steps[i]?.value.name);
  // The DFS stack: step and its next edge, in two parallel lists.
  const nodes: number[] = [];
  const next: number[] = [];
  for (let start = 0; start < steps.length; start++) {
    if (state[start] !== 0) continue;
    nodes.push(start);
    next.push(first[start] as number);
    state[start] = 1;
    while (nodes.length > 0) {
      const top = nodes.length - 1;
      const node = nodes[top] as number;
      const e = next[top] as number;
      if (e >= (first[node + 1] as number)) {
        state[node] = 2;
        nodes.pop();
        next.pop();
        continue;
      }
      next[top] = e + 1;
      const target = to[e] as number;
      if (state[target] === 0) {
        state[target] = 1;
        nodes.push(target);
        next.push(first[target] as number);
      } else if (state[target] === 1) {
        const from = nodes.indexOf(target);
        const cycle = [...nodes.slice(from).map(name), name(target)];
        ctx.report.error(
          `${steps[node]?.pointer}/after/${at[e]}`,
          'rule.cycle',
          `the \`after\` lists form a cycle: ${cycle.reverse().join(' → ')} (each must finish before the next)`,
        );
      }
    }
  }
}
