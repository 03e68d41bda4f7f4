/**
 * Sizes and durations of the DSL. The schema fixes their shape (schemas/workflow.schema.json `$defs/memory`
 * and `$defs/duration`); these functions turn a value of that shape into a number.
 */

const MIB = 1024 * 1024;

/**
 * The largest number a workflow may give, after conversion: memory in MiB, durations in seconds (2^31 − 1,
 * which every HTCondor parser reads as an integer). The schema holds integers to it, the rule
 * `rule.too-large` the values with a unit.
 */
export const MAX_NUMBER = 2_147_483_647;
const memoryUnits: Record<string, number> = { MiB: 1, GiB: 1024, MB: 1e6 / MIB, GB: 1e9 / MIB };
const durationUnits: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * Memory in whole MiB: an integer is MiB; a string is a positive integer with MiB, GiB, MB or GB.
 * Decimal units are rounded up ("1000MB" → 954), so a request is never smaller than asked.
 * Returns undefined for anything else.
 */
export function parseMemoryMiB(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 1 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^([1-9][0-9]{0,8})(MiB|GiB|MB|GB)$/.exec(value);
  if (!m) return undefined;
  const factor = memoryUnits[m[2] as string] as number;
  // Round away float noise first (1000MB = 953.674…, never an integer by accident), then up.
  return Math.ceil(Number((Number(m[1]) * factor).toFixed(6)));
}

/** Duration in seconds: an integer is seconds; a string is a positive integer with s, m, h or d. */
export function parseDurationSeconds(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 1 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^([1-9][0-9]{0,8})([smhd])$/.exec(value);
  if (!m) return undefined;
  return Number(m[1]) * (durationUnits[m[2] as string] as number);
}
