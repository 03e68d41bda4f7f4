/**
 * The rules of design.md §1 beyond the schema, one entry each: its code, what it demands, its check.
 * Checks read the raw document and skip values of the wrong type (the schema reports those). Steps are
 * walked by index: code V8 has not optimised yet allocates an iterator result per for-of step.
 * Tests: test/validate/rules.test.ts (one case per rule) and fixtures/invalid/.
 */
import { posix, resolve } from 'node:path';
import { checkCycles } from './cycles.js';
import { localImageMissing } from './image-rules.js';
import { readablePath } from './reporter.js';
import { isObj, type RawStep, type Rule } from './rule-context.js';
import { at, eachItem, eachLocalFile, escapes, memo, num, stepName } from './rule-helpers.js';
import { MAX_NUMBER, parseDurationSeconds, parseMemoryMiB } from './units.js';

const DEFAULT_MEMORY_MIB = 512;
/** The schema's name pattern: rules only judge names the schema accepts (it reports the others). */
const NAME = /^[a-z][a-z0-9-]{0,62}$/;

export const rules: Rule[] = [
  {
    code: 'rule.compute-cpus',
    summary: 'a compute step needs at most vm.count × vm.cpus cores',
    check(ctx) {
      const count = num(ctx.vm?.count);
      const cpus = num(ctx.vm?.cpus);
      if (count === undefined || cpus === undefined || count < 1 || cpus < 1) return;
      for (let s = 0; s < ctx.steps.length; s++) {
        const step = ctx.steps[s] as RawStep;
        const want = num(step.value.cpus);
        if (want !== undefined && want > count * cpus)
          ctx.report.error(
            `${step.pointer}/cpus`,
            'rule.compute-cpus',
            `compute step needs ${want} cores but the VMs have ${count * cpus} (vm.count ${count} × vm.cpus ${cpus})`,
          );
      }
    },
  },
  {
    code: 'rule.compute-memory',
    summary: 'a compute step needs at most vm.memory per VM',
    check(ctx) {
      const vmMiB = parseMemoryMiB(ctx.vm?.memory);
      if (vmMiB === undefined) return;
      const mib = new Map<unknown, number | undefined>();
      for (let s = 0; s < ctx.steps.length; s++) {
        const step = ctx.steps[s] as RawStep;
        const m = step.value.memory;
        let want = mib.get(m);
        if (want === undefined && !mib.has(m)) {
          want = parseMemoryMiB(m);
          mib.set(m, want);
        }
        if (want !== undefined && want > vmMiB)
          ctx.report.error(
            `${step.pointer}/memory`,
            'rule.compute-memory',
            `compute step needs ${want} MiB per VM but each VM has ${vmMiB} MiB (vm.memory)`,
          );
      }
    },
  },
  {
    code: 'rule.too-large',
    summary: `a memory or duration with a unit is at most ${MAX_NUMBER} MiB or seconds once converted`,
    check(ctx) {
      const judge = (pointer: string, value: unknown, unit: 'MiB' | 'seconds') => {
        if (typeof value !== 'string') return; // integers: the schema's maximum
        const n = unit === 'MiB' ? parseMemoryMiB(value) : parseDurationSeconds(value);
        if (n !== undefined && n > MAX_NUMBER)
          ctx.report.error(
            pointer,
            'rule.too-large',
            `${readablePath(pointer)} must be at most ${MAX_NUMBER} ${unit} (got ${JSON.stringify(value)}, ${n} ${unit})`,
          );
      };
      judge('/vm/memory', ctx.vm?.memory, 'MiB');
      judge('/vm/lease', ctx.vm?.lease, 'seconds');
      for (let s = 0; s < ctx.steps.length; s++) {
        const step = ctx.steps[s] as RawStep;
        judge(`${step.pointer}/memory`, step.value.memory, 'MiB');
        judge(`${step.pointer}/walltime`, step.value.walltime, 'seconds');
      }
    },
  },
  {
    code: 'rule.step-name-required',
    summary: 'in the list form every compute step has a name',
    check(ctx) {
      if (!ctx.listForm) return;
      for (let s = 0; s < ctx.steps.length; s++) {
        const step = ctx.steps[s] as RawStep;
        if (step.value.name === undefined)
          ctx.report.error(
            `${step.pointer}/name`,
            'rule.step-name-required',
            'a compute step in a list needs a name',
            { pointer: step.pointer },
          );
      }
    },
  },
  {
    code: 'rule.duplicate-step',
    summary: 'step names are unique',
    check(ctx) {
      const first = new Map<string, number>();
      ctx.steps.forEach((step, i) => {
        const name = stepName(ctx, i);
        if (name === undefined) return;
        const j = first.get(name);
        if (j === undefined) first.set(name, i);
        else
          ctx.report.error(
            `${step.pointer}/name`,
            'rule.duplicate-step',
            `step name "${name}" is already used by compute[${j}]`,
          );
      });
    },
  },
  {
    code: 'rule.after-single-step',
    summary: '`after` is only allowed in the list form of compute',
    check(ctx) {
      if (ctx.listForm) return;
      for (let s = 0; s < ctx.steps.length; s++) {
        const step = ctx.steps[s] as RawStep;
        if (step.value.after !== undefined)
          ctx.report.error(
            `${step.pointer}/after`,
            'rule.after-single-step',
            '`after` needs the list form of compute (a single step has nothing to wait for)',
            { mode: 'key' },
          );
      }
    },
  },
  {
    code: 'rule.unknown-after',
    summary: '`after` names existing steps',
    check(ctx) {
      if (!ctx.listForm) return;
      const names = new Set(ctx.steps.map((_, i) => stepName(ctx, i)));
      const unknown = (a: string, step: RawStep, key: string, k: number) => {
        if (NAME.test(a) && !names.has(a))
          ctx.report.error(
            at(step, key, k),
            'rule.unknown-after',
            `\`after\` names "${a}", which is no step`,
          );
      };
      for (let s = 0; s < ctx.steps.length; s++) eachItem(ctx.steps[s] as RawStep, 'after', unknown);
    },
  },
  {
    code: 'rule.cycle',
    summary: 'the `after` lists form no cycle',
    check: checkCycles,
  },
  {
    code: 'rule.path-escapes',
    summary: "relative paths stay inside the workflow's folder (no '..' out of it)",
    check(ctx) {
      const escaping = memo((p) => !posix.isAbsolute(p) && escapes(p));
      eachLocalFile(ctx, (path, what, step, key, index) => {
        if (escaping(path))
          ctx.report.error(
            at(step, key, index),
            'rule.path-escapes',
            `${what} path "${path}" leaves the workflow's folder`,
          );
      });
    },
  },
  {
    code: 'rule.file-missing',
    summary: 'local files (relative executable, inputs, local image) exist at compile time',
    check(ctx) {
      const missing = memo((p) => {
        const abs = posix.isAbsolute(p) ? p : escapes(p) ? undefined : resolve(ctx.env.dir, p);
        return abs !== undefined && !ctx.env.fileExists(abs);
      });
      eachLocalFile(ctx, (path, what, step, key, index) => {
        // The image by its probe: a folder there is image.not-a-file's, not missing.
        if (what === 'image' ? localImageMissing(ctx) : missing(path))
          ctx.report.error(
            at(step, key, index),
            'rule.file-missing',
            posix.isAbsolute(path)
              ? `${what} "${path}" does not exist`
              : `${what} "${path}" does not exist in the workflow's folder`,
          );
      });
    },
  },
  {
    code: 'rule.output-path',
    summary: "outputs are relative plain paths: no leading '/', no '.' or '..' segments, no empty segments",
    check(ctx) {
      const judge = (o: string, step: RawStep, key: string, k: number) => {
        if (o === '') return;
        // A plain file name (the usual case) has one segment: only '.' and '..' are wrong.
        const bad = o.includes('/')
          ? posix.isAbsolute(o) || o.split('/').some((s) => s === '' || s === '.' || s === '..')
          : o === '.' || o === '..';
        if (bad)
          ctx.report.error(
            at(step, key, k),
            'rule.output-path',
            `output "${o}" must be a plain relative path (like "out/result.txt": no leading '/', no '.', '..' or empty segments)`,
          );
      };
      for (let s = 0; s < ctx.steps.length; s++) eachItem(ctx.steps[s] as RawStep, 'outputs', judge);
    },
  },
  {
    code: 'rule.cluster-image-absolute',
    summary: '`location: cluster` needs an absolute image path',
    check(ctx) {
      const image = isObj(ctx.vm?.image) ? ctx.vm.image : undefined;
      if (image?.location === 'cluster' && typeof image.path === 'string' && image.path !== '')
        if (!posix.isAbsolute(image.path))
          ctx.report.error(
            '/vm/image/path',
            'rule.cluster-image-absolute',
            `image path "${image.path}" must be absolute with location cluster (a path on the cluster's shared file system)`,
          );
    },
  },
  {
    code: 'rule.differential-format',
    summary: '`differential: true` needs `format: qcow2`',
    check(ctx) {
      const image = isObj(ctx.vm?.image) ? ctx.vm.image : undefined;
      if (image?.differential === true && image.format === 'raw')
        ctx.report.error(
          '/vm/image/differential',
          'rule.differential-format',
          'differential needs format qcow2 (copy-on-write overlays need a qcow2 base); the image is raw',
        );
    },
  },
  {
    code: 'rule.unknown-site',
    summary: '`site` names a site of the catalog ("local" when there is no catalog)',
    check(ctx) {
      const site = ctx.root.site;
      if (typeof site !== 'string' || !NAME.test(site)) return;
      const catalog = ctx.env.sites;
      if (catalog) {
        if (!catalog.sites.some((s) => s.name === site))
          ctx.report.error(
            '/site',
            'rule.unknown-site',
            `site "${site}" is not in the site catalog ${catalog.source.file} (sites: ${catalog.sites.map((s) => s.name).join(', ')})`,
          );
      } else if (site !== 'local') {
        ctx.report.error(
          '/site',
          'rule.unknown-site',
          `site "${site}" is unknown: no site catalog was found (--sites, VMDAG_SITES, ./sites.yaml), so the only site is "local"`,
        );
      }
    },
  },
  {
    code: 'unsafe.path-char',
    summary:
      "file paths contain no ',' (HTCondor's file lists are comma-separated) and no leading/trailing spaces",
    check(ctx) {
      const check = (value: string, step: RawStep | undefined, key: string, index: number) => {
        if (value.includes(',') || value.startsWith(' ') || value.endsWith(' '))
          ctx.report.error(
            at(step, key, index),
            'unsafe.path-char',
            `path "${value}" cannot be written into a submit file: no ',' and no leading or trailing spaces`,
          );
      };
      const image = isObj(ctx.vm?.image) ? ctx.vm.image : undefined;
      if (typeof image?.path === 'string') check(image.path, undefined, 'path', -1);
      for (let s = 0; s < ctx.steps.length; s++) {
        const step = ctx.steps[s] as RawStep;
        if (typeof step.value.executable === 'string') check(step.value.executable, step, 'executable', -1);
        eachItem(step, 'inputs', check);
        eachItem(step, 'outputs', check);
      }
    },
  },
];

export { DEFAULT_MEMORY_MIB };
