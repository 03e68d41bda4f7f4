/**
 * validate, a batch of compute steps at a time (the streaming compile, src/compile-stream.ts): the schema and
 * the rules of validateWorkflow, split by what they look at. A batch is validated as a document of its own —
 * the file's other root keys with the batch as `compute` — by the schema and every rule that judges a step
 * on its own (and the other keys); the rules over every step's name and `after` together
 * (`workflowWide`) run once, on those alone. Verdicts only: a file with any problem is validated again,
 * whole, by validateWorkflow, which says what and where.
 */
import type { ParsedDocument } from '../parse/parse-yaml.js';
import { Reporter } from './reporter.js';
import {
  buildContext,
  isObj,
  type Obj,
  type RuleContext,
  type StepView,
  type ValidateEnv,
} from './rule-context.js';
import { rules } from './rules.js';
import { validateWorkflowSchema } from './schema-validators.js';

/** Verdicts need no positions. */
const NOWHERE: ParsedDocument = {
  file: '',
  value: undefined,
  diagnostics: [],
  locate: () => ({ line: 1, column: 1 }),
};

/**
 * Whether `head` (the root keys but compute) with `batch` as its compute list passes the schema and every
 * rule but the workflow-wide ones. The text was printable ASCII (the only kind streamed): no control
 * character to look for.
 */
export function validateStepBatch(head: Obj, batch: unknown[], env: ValidateEnv): boolean {
  const value: Obj = { ...head, compute: batch };
  if (!validateWorkflowSchema(value)) return false;
  const report = new Reporter(NOWHERE);
  const ctx = buildContext(value, env, report);
  for (const rule of rules) if (!rule.workflowWide) rule.check(ctx);
  return report.diagnostics.length === 0;
}

/**
 * One step's name and `after`, kept for the workflow-wide rules (and the DAG's edges) once its batch is
 * through: it is the rules' step view itself (its value is itself, its pointer made only when reported),
 * so checking 10,000 steps makes no second object per step.
 */
export class GraphStep implements StepView {
  readonly value: Obj;
  constructor(
    readonly name: string,
    readonly after: string[],
    private readonly index: number,
  ) {
    this.value = this as unknown as Obj;
  }
  get pointer(): string {
    return `/compute/${this.index}`;
  }
}

/** Whether every step's name and `after` (the steps of valid batches, in order) pass the workflow-wide rules. */
export function validateStepGraph(head: Obj, steps: GraphStep[], env: ValidateEnv): boolean {
  const report = new Reporter(NOWHERE);
  const ctx: RuleContext = {
    root: head,
    vm: isObj(head.vm) ? head.vm : undefined,
    steps,
    listForm: true,
    env,
    report,
  };
  for (const rule of rules) if (rule.workflowWide) rule.check(ctx);
  return report.diagnostics.length === 0;
}
