/**
 * The settings of compile that do not come from the workflow or the site, resolved once by whoever compiles
 * (the `compile` and `validate` commands, the `submit` use case): flag > `VMDAG_*` env > default. compile()
 * takes the result and reads no environment. Kept apart from src/compile.ts so that resolving them does not
 * load the pipeline (YAML, schema validators, Handlebars).
 */
import type { Tuning } from './plan/plan-types.js';

/** What a caller may give (flags); every field optional. */
export interface CompileFlags {
  /** `--hold-timeout`: seconds a held step or VM may stay held. Default `$VMDAG_HOLD_TIMEOUT`, else 300. */
  holdRemoveSeconds?: number;
  /**
   * `--gate-timeout`: seconds the GATE node waits for every VM's guest to join before it fails the run.
   * Default `$VMDAG_GATE_TIMEOUT`, else 600 + 30 per VM.
   */
  gateTimeoutSeconds?: number;
  /**
   * `--defaults` → `defaults`: leave out the latency tuning, for comparing a run with HTCondor's defaults
   * against the tuned output. Default `defaults` when `$VMDAG_DEFAULTS` is set to anything but '' or '0',
   * else `latency`.
   */
  tuning?: Tuning;
}

/** An environment value refused: compile reports it as a diagnostic on the workflow file. */
export interface InvalidSetting {
  code: string;
  message: string;
}

/** The settings, resolved. */
export interface CompileSettings {
  tuning: Tuning;
  /** Undefined: plan's default, 300. */
  holdRemoveSeconds?: number;
  /** Undefined: plan's default, 600 + 30 per VM. */
  gateTimeoutSeconds?: number;
  /**
   * A `VMDAG_*` value that is not valid (the first one): compile reports it on the workflow file once the
   * workflow itself checks out, and writes nothing.
   */
  invalid?: InvalidSetting;
}

/** `--hold-timeout` / VMDAG_HOLD_TIMEOUT (and `--gate-timeout` / VMDAG_GATE_TIMEOUT): a whole number of seconds ≥ 1, or an error message. */
export function parseHoldTimeout(value: string, from: string): number | string {
  return /^[1-9][0-9]{0,6}$/.test(value.trim())
    ? Number(value.trim())
    : `${from} must be a whole number of seconds between 1 and 9999999 (got ${JSON.stringify(value)})`;
}

/** A timeout from its flag, else its environment variable (unset or '' → the default, undefined). */
function timeoutOf(
  flag: number | undefined,
  env: Record<string, string | undefined>,
  name: string,
  code: string,
): number | InvalidSetting | undefined {
  if (flag !== undefined) return flag;
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  const parsed = parseHoldTimeout(value, name);
  return typeof parsed === 'string' ? { code, message: parsed } : parsed;
}

/** The one place compile's settings get their values: flag > `VMDAG_*` env > default. */
export function resolveCompileSettings(
  flags: CompileFlags,
  env: Record<string, string | undefined>,
): CompileSettings {
  const envDefaults = env.VMDAG_DEFAULTS;
  const tuning: Tuning =
    flags.tuning ??
    (envDefaults !== undefined && envDefaults !== '' && envDefaults !== '0' ? 'defaults' : 'latency');
  const hold = timeoutOf(flags.holdRemoveSeconds, env, 'VMDAG_HOLD_TIMEOUT', 'option.hold-timeout');
  if (typeof hold === 'object') return { tuning, invalid: hold };
  const gate = timeoutOf(flags.gateTimeoutSeconds, env, 'VMDAG_GATE_TIMEOUT', 'option.gate-timeout');
  if (typeof gate === 'object') return { tuning, invalid: gate };
  return {
    tuning,
    ...(hold !== undefined ? { holdRemoveSeconds: hold } : {}),
    ...(gate !== undefined ? { gateTimeoutSeconds: gate } : {}),
  };
}
