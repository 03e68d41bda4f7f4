/**
 * What changed for each DAG node between the run directory a run ran with and the workflow recompiled now
 * (restart). A node's definition is: its lines in the .dag file (JOB, VARS, SCRIPT, RETRY, ABORT-DAG-ON, …;
 * VARS compared variable by variable), its parents (PARENT … CHILD), the text of its submit file, and the
 * content of its input files (its `vmdag_inputs`, judged by the caller). Pure: texts in, changes out.
 */

export interface NodeChange {
  node: string;
  /** Plain words, one per change: `vmdag_args: "…" → "…"`, `submit file compute.sub changed`, … */
  changes: string[];
}

export interface RestartChanges {
  /** Nodes that succeeded (DONE in the rescue file) and changed: a restart must refuse. */
  refused: NodeChange[];
  /** Nodes that did not succeed and changed: the restart takes the change. */
  taken: NodeChange[];
}

interface NodeDef {
  submitFile?: string;
  vars: Map<string, string>;
  /** Other lines naming the node (normalised whitespace), VARS and JOB aside. */
  lines: string[];
  parents: string[];
}

function tokens(line: string): string[] {
  return line.trim().split(/\s+/);
}

/** `key="value"` pairs of a VARS line (DAGMan's quoting: `\"` inside). */
function varsOf(rest: string): [string, string][] {
  const out: [string, string][] = [];
  const re = /(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(rest); m; m = re.exec(rest)) out.push([m[1] ?? '', m[2] ?? '']);
  return out;
}

/** Every node's definition in a .dag file. */
export function dagDefinitions(dagText: string): Map<string, NodeDef> {
  const defs = new Map<string, NodeDef>();
  const def = (n: string): NodeDef => {
    const d = defs.get(n) ?? { vars: new Map(), lines: [], parents: [] };
    defs.set(n, d);
    return d;
  };
  for (const raw of dagText.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const t = tokens(line);
    const kw = (t[0] ?? '').toUpperCase();
    if (kw === 'PARENT') {
      const c = t.findIndex((x) => x.toUpperCase() === 'CHILD');
      if (c < 0) continue;
      for (const child of t.slice(c + 1)) def(child).parents.push(...t.slice(1, c));
      continue;
    }
    if (['JOB', 'SERVICE', 'FINAL', 'PROVISIONER'].includes(kw) && t[1]) {
      const d = def(t[1]);
      if (t[2]) d.submitFile = t[2];
      if (t.length > 3) d.lines.push(t.join(' '));
      continue;
    }
    if (kw === 'VARS' && t[1]) {
      const rest = line.slice(line.indexOf(t[1]) + t[1].length);
      for (const [k, v] of varsOf(rest)) def(t[1]).vars.set(k, v);
      continue;
    }
    if (kw === 'SCRIPT') {
      const at = t.findIndex((x) => /^(PRE|POST|HOLD)$/i.test(x));
      const n = at >= 0 ? t[at + 1] : undefined;
      if (n) def(n).lines.push(t.join(' '));
      continue;
    }
    // RETRY, ABORT-DAG-ON, PRIORITY, CATEGORY, PRE_SKIP, DIR, NOOP…: the node is the second word.
    if (t[1] && defs.has(t[1])) def(t[1]).lines.push(t.join(' '));
  }
  return defs;
}

/** The input files a node's job takes (`vmdag_inputs`, comma-separated), as the .dag spells them. */
export function nodeInputs(dagText: string, node: string): string[] {
  const v = dagDefinitions(dagText).get(node)?.vars.get('vmdag_inputs') ?? '';
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function diffNode(
  was: NodeDef | undefined,
  now: NodeDef | undefined,
  submitText: { was: (f: string) => string | undefined; now: (f: string) => string | undefined },
): string[] {
  if (was?.submitFile === undefined) return now?.submitFile !== undefined ? ['new in the workflow'] : [];
  if (now?.submitFile === undefined) return ['no longer in the workflow'];
  const out: string[] = [];
  if (was.submitFile !== now.submitFile)
    out.push(`submit file ${was.submitFile ?? '(none)'} → ${now.submitFile ?? '(none)'}`);
  else if (now.submitFile && submitText.was(now.submitFile) !== submitText.now(now.submitFile))
    out.push(`submit file ${now.submitFile} changed`);
  for (const k of new Set([...was.vars.keys(), ...now.vars.keys()])) {
    const a = was.vars.get(k);
    const b = now.vars.get(k);
    if (a !== b)
      out.push(`${k}: ${a === undefined ? '(none)' : `"${a}"`} → ${b === undefined ? '(none)' : `"${b}"`}`);
  }
  const pa = [...was.parents].sort().join(', ');
  const pb = [...now.parents].sort().join(', ');
  if (pa !== pb) out.push(`runs after: ${pa || '(nothing)'} → ${pb || '(nothing)'}`);
  const la = was.lines.join('\n');
  const lb = now.lines.join('\n');
  if (la !== lb) {
    const gone = was.lines.filter((l) => !now.lines.includes(l));
    const added = now.lines.filter((l) => !was.lines.includes(l));
    out.push(`DAG lines: ${[...gone.map((l) => `- ${l}`), ...added.map((l) => `+ ${l}`)].join('; ')}`);
  }
  return out;
}

/**
 * The changes of every node between `was` (the run directory's .dag and files) and `now` (recompiled), split
 * by whether the node succeeded (`done`, from the rescue file). `changedInputs(node)` names the node's inputs
 * whose content changed since it ran (the caller looks at the files).
 */
export function restartChanges(args: {
  wasDag: string;
  nowDag: string;
  wasFile: (path: string) => string | undefined;
  nowFile: (path: string) => string | undefined;
  done: string[];
  changedInputs?: (node: string) => string[];
}): RestartChanges {
  const was = dagDefinitions(args.wasDag);
  const now = dagDefinitions(args.nowDag);
  const done = new Set(args.done);
  const refused: NodeChange[] = [];
  const taken: NodeChange[] = [];
  for (const node of new Set([...was.keys(), ...now.keys()])) {
    const changes = diffNode(was.get(node), now.get(node), { was: args.wasFile, now: args.nowFile });
    if (done.has(node) && now.get(node)?.submitFile !== undefined)
      changes.push(...(args.changedInputs?.(node) ?? []).map((f) => `input ${f} changed since it ran`));
    if (changes.length === 0) continue;
    (done.has(node) ? refused : taken).push({ node, changes });
  }
  return { refused, taken };
}
