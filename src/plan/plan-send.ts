/**
 * A run that travels (site `transfer: spool`): the run directory goes with the DAGMan job and is unpacked
 * flat in its working directory at the site's schedd, where DAGMan and its node jobs run. Every file the
 * DAG's jobs take from the submit side — a transferred executable, each input, a local image sent with the VM
 * jobs — goes with it, once, and sits there under its base name (the `dagPath` plan gives it). So `send`
 * lists them (absolute paths on the submit host, deduplicated, first use first), and a second file with the
 * same base name, or one named like a file vmdag or DAGMan writes there, is a PlanIssue. Pure.
 */
import type { PlannedDag, PlannedFile, PlannedStep, PlannedVms } from './plan-types.js';
import type { PlanIssue } from './plan-workflow.js';

/** Every submit file vmdag writes (render's; test/plan/plan-send.test.ts holds render to this list). */
export const VMDAG_SUBMIT_FILES: readonly string[] = [
  'compute.sub',
  'vms.sub',
  'gate.sub',
  'reap.sub',
  'stop.sub',
];

/** Files and folders at the top of every run directory, besides the DAG's own and the submit files. */
const RUN_DIR_NAMES: ReadonlyMap<string, string> = new Map([
  ['plan.json', "vmdag's plan of the run"],
  ['run.json', "vmdag's record of the submitted run"],
  ['submitting.json', "vmdag's submit marker"],
  ['logs', "the jobs' logs folder"],
  ['outputs', "the steps' outputs folder"],
]);

/**
 * What vmdag, its submit or DAGMan writes at the top of the run directory under `name`, in words; undefined
 * when nothing does.
 */
export function writtenInRunDir(
  name: string,
  dag: Pick<PlannedDag, 'file' | 'configFile' | 'statusFile' | 'jobstateLog'>,
): string | undefined {
  if (name === dag.file) return 'the DAG';
  if (name === dag.configFile) return "the DAG's configuration";
  if (name === dag.statusFile) return "DAGMan's node status file";
  if (name === dag.jobstateLog) return "DAGMan's jobstate log";
  if (name.startsWith(`${dag.file}.`)) return `one of DAGMan's files (${dag.file}.*)`;
  if (VMDAG_SUBMIT_FILES.includes(name)) return "one of vmdag's submit files";
  if (name.startsWith('vmdag-') || name.startsWith('.vmdag-')) return "one of vmdag's files (vmdag-*)";
  return RUN_DIR_NAMES.get(name);
}

/** A file sent with the run, where the workflow names it first. */
interface Sent {
  absPath: string;
  /** In words, for a message: `input /abs/path of step "s"`. */
  what: string;
}

/**
 * The files the run takes to a spool site, each once, in first-use order: the image (the VM jobs are the
 * DAG's first node), then each step's executable and inputs. Issues (a base name used by two files, or by
 * one of the run directory's own files) are pushed onto `issues`, except at a value already reported (a
 * sandbox clash inside one step says it better).
 */
export function planSend(
  dag: PlannedDag,
  vm: PlannedVms | undefined,
  steps: readonly PlannedStep[],
  issues: PlanIssue[],
): string[] {
  const reported = new Set(issues.map((i) => i.pointer));
  const byName = new Map<string, Sent>();
  const send: string[] = [];
  const take = (absPath: string, name: string, what: string, pointer: string): void => {
    const first = byName.get(name);
    if (first?.absPath === absPath) return;
    if (reported.has(pointer)) return;
    const mine = writtenInRunDir(name, dag);
    if (/[,\s=;"\\$]/.test(absPath)) {
      // It goes by its whole path into the DAGMan job's transfer_input_files, a list HTCondor splits at commas
      // and blanks (and where `$` starts a macro).
      issues.push({
        code: 'plan.spool-path-char',
        message: `${what} cannot be sent to the site: its path holds a comma, blank, '=', ';', '"', '\\' or '$', which HTCondor's file list of the run cannot carry (transfer: spool); move or rename it`,
        pointer,
      });
    } else if (first !== undefined) {
      issues.push({
        code: 'plan.spool-name-clash',
        message: `${what} and ${first.what} would land in the same place at the site: the run travels with its files (transfer: spool) and both go into its folder there as '${name}'; rename one`,
        pointer,
      });
    } else if (mine !== undefined) {
      issues.push({
        code: 'plan.spool-reserved-name',
        message: `${what} would land at the site as '${name}', the name of ${mine} in the run's folder there (the run travels with its files, transfer: spool); rename it`,
        pointer,
      });
    } else {
      byName.set(name, { absPath, what });
      send.push(absPath);
    }
  };
  const image = vm?.image;
  if (image?.transferred && image.dagPath !== undefined)
    take(image.absPath, image.dagPath, `the VM image ${image.absPath}`, '/vm/image/path');
  const inputs = new Set<PlannedFile>();
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i] as PlannedStep;
    const exe = s.executable;
    if (exe.absPath !== undefined && exe.dagPath !== undefined)
      take(
        exe.absPath,
        exe.dagPath,
        `executable ${exe.absPath} of step "${s.name}"`,
        `/compute/${i}/executable`,
      );
    for (let k = 0; k < s.inputs.length; k++) {
      const f = s.inputs[k] as PlannedFile;
      // Steps share one PlannedFile per path: a file seen once needs no second look (10,000 steps, one input).
      if (inputs.has(f)) continue;
      inputs.add(f);
      take(f.absPath, f.dagPath, `input ${f.absPath} of step "${s.name}"`, `/compute/${i}/inputs/${k}`);
    }
  }
  return send;
}
