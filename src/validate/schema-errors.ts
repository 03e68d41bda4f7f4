/**
 * ajv errors → diagnostics, each at its node: `required` at the parent's key, `additionalProperties` at the
 * extra key, everything else at the offending value. Codes are `schema.<keyword>` (kebab-case).
 */
import type { ErrorObject } from 'ajv';
import { joinPointer } from '../parse/yaml-source-map.js';
import { type Reporter, readablePath, show } from './reporter.js';

/** Messages for `pattern` errors, by the schema location that holds the pattern. */
const patternMessages: Record<string, string> = {
  '#/$defs/name/pattern':
    "must be a name: a lower-case letter, then up to 62 lower-case letters, digits or '-'",
  '#/$defs/memory/pattern':
    'must be a memory size: an integer (MiB) or a whole number with MiB, GiB, MB or GB, e.g. "512MiB", "2GiB"',
  '#/$defs/duration/pattern':
    'must be a duration: an integer (seconds) or a whole number with s, m, h or d, e.g. "90s", "2h"',
  '#/properties/sha256/pattern': 'must be a SHA-256: 64 lower-case hex digits',
  '#/$defs/site/properties/name/pattern':
    "must be a name: a lower-case letter, then up to 62 lower-case letters, digits or '-'",
  '#/$defs/site/properties/pool/pattern':
    'must be host[:port] of the central manager, e.g. "cm.example.org:9618"',
  '#/$defs/site/properties/schedd/pattern': 'must be a schedd name (letters, digits and @ . _ -)',
  '#/$defs/site/properties/images/pattern': 'must be an absolute path',
  '#/$defs/site/properties/tokens/pattern': 'must be an absolute path (a folder of IDTOKENS)',
};

const typeNames: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  object: 'a mapping',
  array: 'a list',
  boolean: 'true or false',
  null: 'empty',
};

function kebab(keyword: string): string {
  return keyword.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] as number;
      row[j] = Math.min(cur + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] as number;
}

function didYouMean(key: string, allowed: string[]): string {
  const best = allowed
    .map((k) => [k, distance(key.toLowerCase(), k.toLowerCase())] as const)
    .sort((x, y) => x[1] - y[1])[0];
  if (best && best[1] <= Math.max(1, Math.floor(best[0].length / 3))) return `; did you mean "${best[0]}"?`;
  return allowed.length ? ` (allowed: ${allowed.join(', ')})` : '';
}

/** Adds one diagnostic per ajv error to `report`. Pointers in `skip` already have a better diagnostic. */
export function reportSchemaErrors(errors: readonly ErrorObject[], report: Reporter, skip: Set<string>) {
  for (const e of errors) {
    const at = e.instancePath;
    const subject = readablePath(at);
    const code = `schema.${kebab(e.keyword)}`;
    const p = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'if':
        break; // "must match the then/else schema": the branch's own errors say what is wrong.
      case 'required': {
        const missing = String(p.missingProperty);
        const where = at === '' ? 'the workflow' : subject;
        report.error(
          joinPointerChild(at, missing),
          code,
          `${where} is missing the required key "${missing}"`,
          {
            pointer: at,
            mode: 'key',
          },
        );
        break;
      }
      case 'additionalProperties': {
        const extra = String(p.additionalProperty);
        const props = (e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
        const where = at === '' ? 'at the top level' : `in ${subject}`;
        report.error(
          joinPointerChild(at, extra),
          code,
          `unknown key ${JSON.stringify(extra)} ${where}${didYouMean(extra, Object.keys(props ?? {}))}`,
          { mode: 'key' },
        );
        break;
      }
      case 'type': {
        const types = ([] as string[]).concat(p.type as string | string[]);
        const want = types.map((t) => typeNames[t] ?? t).join(' or ');
        report.error(at, code, `${subject} must be ${want} (got ${show(e.data)})`);
        break;
      }
      case 'enum': {
        const allowed = (p.allowedValues as unknown[]).map((v) => String(v)).join(', ');
        report.error(at, code, `${subject} must be one of ${allowed} (got ${show(e.data)})`);
        break;
      }
      case 'const':
        report.error(at, code, `${subject} must be ${String(p.allowedValue)} (got ${show(e.data)})`);
        break;
      case 'minimum':
        report.error(at, code, `${subject} must be at least ${String(p.limit)} (got ${show(e.data)})`);
        break;
      case 'maximum':
        report.error(at, code, `${subject} must be at most ${String(p.limit)} (got ${show(e.data)})`);
        break;
      case 'pattern': {
        if (skip.has(at)) break;
        const why = patternMessages[e.schemaPath] ?? `must match the pattern ${String(p.pattern)}`;
        report.error(at, code, `${subject} ${why} (got ${show(e.data)})`);
        break;
      }
      case 'minItems':
        report.error(at, code, `${subject} must list at least ${String(p.limit)} item(s)`);
        break;
      case 'minLength':
        report.error(at, code, `${subject} must not be empty`);
        break;
      case 'maxLength':
        report.error(at, code, `${subject} must be at most ${String(p.limit)} characters long`);
        break;
      case 'uniqueItems': {
        const i = Number(p.i);
        const j = Number(p.j);
        const item = Array.isArray(e.data) ? (e.data as unknown[])[i] : undefined;
        report.error(`${at}/${i}`, code, `${subject} lists ${show(item)} twice (items ${j} and ${i})`);
        break;
      }
      default:
        report.error(at, code, `${subject} ${e.message ?? 'is invalid'}`);
    }
  }
}

function joinPointerChild(parent: string, key: string): string {
  return parent + joinPointer([key]);
}
