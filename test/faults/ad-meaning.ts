/**
 * What a generated run directory MEANS to HTCondor: the DAG's lines, and the job ad condor_submit -dry-run
 * makes of each node's submit file with DAGMan's macros — decoded the way the schedd and starter read it
 * (ClassAd string literals, `$$(DOLLARDOLLAR)` expanded at match time, new-syntax argument lists).
 */

/** condor_submit -dry-run prints `Attr=value` lines per proc; the first proc's. */
export function adOf(dryRun: string): Record<string, string> {
  const ad: Record<string, string> = {};
  for (const line of dryRun.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_.]*)=(.*)$/.exec(line);
    if (m && !((m[1] ?? '') in ad)) ad[m[1] ?? ''] = m[2] ?? '';
  }
  return ad;
}

/** A ClassAd string literal `"…"` → its value (escapes `\"` `\\` `\n` …); undefined when not a string. */
export function adString(literal: string | undefined): string | undefined {
  if (literal === undefined || !literal.startsWith('"') || !literal.endsWith('"')) return undefined;
  return literal.slice(1, -1).replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c);
}

/**
 * The schedd's match-time expansion of `$$(…)` in a job ad string: `$$(DOLLARDOLLAR)` is a literal `$$`;
 * any other `$$(` would be replaced from the machine ad, which means the generated file did not say what
 * the plan says: returned as `leak`.
 */
export function expandDollarDollar(s: string): { value: string; leak?: string } {
  let out = '';
  let i = 0;
  for (;;) {
    const j = s.indexOf('$$(', i);
    if (j < 0) return { value: out + s.slice(i) };
    out += s.slice(i, j);
    if (s.startsWith('$$(DOLLARDOLLAR)', j)) {
      out += '$$';
      i = j + '$$(DOLLARDOLLAR)'.length;
    } else {
      return { value: out + s.slice(j), leak: s.slice(j, j + 40) };
    }
  }
}

/** HTCondor's new-syntax raw argument string (the `Arguments` attribute) → argv. */
export function splitArguments(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inArg = false;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (quoted) {
      if (c === "'") {
        if (s[i + 1] === "'") {
          cur += "'";
          i++;
        } else quoted = false;
      } else cur += c;
    } else if (c === "'") {
      quoted = true;
      inArg = true;
    } else if (c === ' ' || c === '\t') {
      if (inArg) out.push(cur);
      cur = '';
      inArg = false;
    } else {
      cur += c;
      inArg = true;
    }
  }
  if (inArg) out.push(cur);
  return out;
}

export interface DagLine {
  keyword: string;
  rest: string;
}

/** The non-comment, non-blank lines of a .dag file, keyword upper-cased. */
export function dagLines(text: string): DagLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'))
    .map((l) => {
      const m = /^(\S+)\s*(.*)$/.exec(l) as RegExpExecArray;
      return { keyword: (m[1] ?? '').toUpperCase(), rest: m[2] ?? '' };
    });
}

/** `name="value" …` of a VARS line, the whole line consumed (anything else → undefined). */
export function parseVars(rest: string): { node: string; vars: [string, string][] } | undefined {
  const m = /^(\S+)((?:\s+[A-Za-z_][A-Za-z0-9_.]*="(?:[^"\\]|\\.)*")*)\s*$/.exec(rest);
  if (!m) return undefined;
  const vars: [string, string][] = [];
  for (const v of (m[2] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_.]*)="((?:[^"\\]|\\.)*)"/g))
    vars.push([v[1] ?? '', (v[2] ?? '').replace(/\\(.)/g, '$1')]);
  return { node: m[1] ?? '', vars };
}
