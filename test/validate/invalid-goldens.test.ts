/**
 * The invalid-input golden corpus: every fixtures/invalid/<case>.yaml gives exactly the diagnostics of
 * <case>.expected.json (file, line, column, code, pointer, message). A `<case>.sites.yaml` beside a case is
 * its site catalog. UPDATE_GOLDENS=1 rewrites the expected files (never when CI=true).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseYaml } from '../../src/parse/parse-yaml.js';
import { probeImage } from '../../src/site-catalog/image-facts.js';
import { rules } from '../../src/validate/rules.js';
import { validateSites } from '../../src/validate/validate-sites.js';
import { validateWorkflow } from '../../src/validate/validate-workflow.js';
import { discoverCases, expectedFor, isFile, toGolden } from './golden-helpers.js';

const dir = resolve(import.meta.dirname, '../../fixtures/invalid');
const sitesDir = resolve(import.meta.dirname, '../../fixtures/invalid-sites');
const seenCodes = new Set<string>();

function runCase(name: string) {
  const text = readFileSync(join(dir, `${name}.yaml`), 'utf8');
  const sitesFile = join(dir, `${name}.sites.yaml`);
  let sites: ReturnType<typeof validateSites>['catalog'];
  if (existsSync(sitesFile)) {
    const s = validateSites(parseYaml(readFileSync(sitesFile, 'utf8'), `${name}.sites.yaml`), { dir });
    expect(s.diagnostics).toEqual([]);
    sites = s.catalog;
  }
  const doc = parseYaml(text, `${name}.yaml`);
  return validateWorkflow(doc, { dir, fileExists: isFile, probeImage, ...(sites ? { sites } : {}) });
}

describe('fixtures/invalid', () => {
  const cases = discoverCases(dir);
  it('has at least 45 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(45);
  });
  for (const name of cases) {
    it(name, () => {
      const result = runCase(name);
      const actual = toGolden(result.diagnostics);
      for (const d of actual) seenCodes.add(d.code);
      expect(result.workflow).toBeUndefined();
      expect(actual.some((d) => d.severity === 'error')).toBe(true);
      expect(actual).toEqual(expectedFor(dir, name, actual));
    });
  }
});

describe('fixtures/invalid-sites', () => {
  for (const name of discoverCases(sitesDir)) {
    it(name, () => {
      const doc = parseYaml(readFileSync(join(sitesDir, `${name}.yaml`), 'utf8'), `${name}.yaml`);
      const result = validateSites(doc, { dir: sitesDir });
      const actual = toGolden(result.diagnostics);
      for (const d of actual) seenCodes.add(d.code);
      expect(result.catalog).toBeUndefined();
      expect(actual).toEqual(expectedFor(sitesDir, name, actual));
    });
  }
});

/** Every validation keyword the schemas use (annotations like description are not checked). */
function schemaKeywords(file: string): Set<string> {
  const annotations = new Set([
    '$schema',
    '$id',
    '$defs',
    '$ref',
    'title',
    'description',
    'properties',
    'items',
  ]);
  const found = new Set<string>();
  const walk = (node: unknown, inProperties: boolean) => {
    if (Array.isArray(node)) return;
    if (typeof node !== 'object' || node === null) return;
    for (const [k, v] of Object.entries(node)) {
      if (!inProperties && !annotations.has(k)) found.add(k);
      walk(v, !inProperties && (k === 'properties' || k === '$defs'));
    }
  };
  walk(JSON.parse(readFileSync(resolve(import.meta.dirname, '../../schemas', file), 'utf8')), false);
  return found;
}

describe('corpus coverage', () => {
  it('covers every schema keyword and every rule', () => {
    const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    // if/then/else report through their branches: `then` as type/minItems, `else` as the step's errors.
    const keywords = [
      ...schemaKeywords('workflow.schema.json'),
      ...schemaKeywords('sites.schema.json'),
    ].filter((k) => !['if', 'then', 'else'].includes(k));
    const want = new Set([
      ...keywords.map((k) => `schema.${kebab(k)}`),
      ...rules.map((r) => r.code),
      'rule.duplicate-site',
      'unsafe.control-char',
      'yaml.duplicate-key',
    ]);
    const missing = [...want].filter((c) => !seenCodes.has(c));
    expect(missing).toEqual([]);
  });
});
