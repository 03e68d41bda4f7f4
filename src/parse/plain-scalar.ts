/**
 * Plain scalars as js-yaml's core schema resolves them (null, booleans, integers, floats, else the string),
 * with fast answers for the common cases; used by fast-yaml.ts.
 */
import type jsYaml from 'js-yaml';
import { jsYamlLib } from './js-yaml-lib.js';

const DECIMAL = /^(?:0|[1-9][0-9]{0,14})$/;
const NOT_A_NUMBER = /[g-np-wyzG-NP-WYZ]/;
let implicit: jsYaml.Type[] | undefined;

/** A plain scalar's value under the core schema, exactly as js-yaml resolves it. */
export function resolvePlain(s: string): unknown {
  const c = s.charCodeAt(0);
  // A letter starts no integer or float: a null or boolean word (js-yaml's core-schema spellings), else a
  // string.
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) {
    if (s === 'null' || s === 'Null' || s === 'NULL') return null;
    if (s === 'true' || s === 'True' || s === 'TRUE') return true;
    if (s === 'false' || s === 'False' || s === 'FALSE') return false;
    return s;
  }
  if (s === '~') return null;
  // A sign starts a number only before a digit or a dot (`-1`, `+.5`, `-.inf`); `--step` is a string.
  if (c === 45 || c === 43) {
    const d = s.charCodeAt(1);
    if (!((d >= 48 && d <= 57) || d === 46)) return s;
  }
  if (c >= 48 && c <= 57) {
    // A plain decimal is js-yaml's integer; a digit then a letter no integer or float spells (only a-f,
    // b, o, x, e appear in those) is a string: `30m`, `2GiB`.
    if (DECIMAL.test(s)) return Number(s);
    if (NOT_A_NUMBER.test(s)) return s;
  }
  implicit ??= (jsYamlLib().CORE_SCHEMA as unknown as { compiledImplicit: jsYaml.Type[] }).compiledImplicit;
  for (const t of implicit) if (t.resolve(s)) return t.construct(s);
  return s;
}
