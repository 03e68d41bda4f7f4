/** rule.cycle: the `after` lists must not form a cycle (iterative DFS, so 10,000-step chains are fine). */
import type { RuleContext } from './rule-context.js';
import { stringItems } from './rule-context.js';

export function checkCycles(ctx: RuleContext): void {
  if (!ctx.listForm) return;
  const index = new Map<string, number>();
  ctx.steps.forEach((s, i) => {
    const n = s.value.name;
    if (typeof n === 'string' && !index.has(n)) index.set(n, i);
  });
  const edges = ctx.steps.map((s) =>
    stringItems(s.value.after, `${s.pointer}/after`)
      .map((a) => ({ to: index.get(a.value), pointer: a.pointer }))
      .filter((e): e is { to: number; pointer: string } => e.to !== undefined),
  );
  const state = new Uint8Array(ctx.steps.length); // 0 new, 1 on the stack, 2 done
  const name = (i: number) => String(ctx.steps[i]?.value.name);
  for (let start = 0; start < ctx.steps.length; start++) {
    if (state[start] !== 0) continue;
    const stack: { node: number; next: number }[] = [{ node: start, next: 0 }];
    state[start] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { node: number; next: number };
      const out = edges[top.node] ?? [];
      if (top.next >= out.length) {
        state[top.node] = 2;
        stack.pop();
        continue;
      }
      const edge = out[top.next++] as { to: number; pointer: string };
      if (state[edge.to] === 0) {
        state[edge.to] = 1;
        stack.push({ node: edge.to, next: 0 });
      } else if (state[edge.to] === 1) {
        const from = stack.findIndex((f) => f.node === edge.to);
        const cycle = [...stack.slice(from).map((f) => name(f.node)), name(edge.to)];
        ctx.report.error(
          edge.pointer,
          'rule.cycle',
          `the \`after\` lists form a cycle: ${cycle.reverse().join(' → ')} (each must finish before the next)`,
        );
      }
    }
  }
}
