/**
 * Quoting for HTCondor submit files and DAG files. Each helper either returns text that HTCondor reads back as
 * exactly the given value, or throws `UnsafeValueError` (turned into a diagnostic by compile): a value that
 * cannot be written safely is never written.
 */

export class UnsafeValueError extends Error {
  constructor(
    message: string,
    readonly value: string,
  ) {
    super(message);
    this.name = 'UnsafeValueError';
  }
}

// Control characters (newline, carriage return, NUL, tab, DEL, …) end or corrupt a submit/DAG line.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

function show(value: string): string {
  return JSON.stringify(value);
}

function refuseControl(value: string, what: string): void {
  if (CONTROL.test(value)) {
    throw new UnsafeValueError(
      `${what} ${show(value)} contains a control character (newline, tab, …) that cannot be written`,
      value,
    );
  }
}

/**
 * `$` starts a submit macro (`$(X)`, `$ENV(X)`): a literal one is written `$(DOLLAR)`. `$$(X)` is different:
 * condor_submit leaves it in the job ad and the schedd expands it from the machine ad at match time
 * (`$(DOLLAR)$(DOLLAR)(X)` becomes `$$(DOLLAR)(X)` in the ad and the job is held: "Cannot expand $$
 * expression (DOLLAR)"). So each literal `$$` is written `$$(DOLLARDOLLAR)`, the schedd's own escape, which
 * it turns back into `$$` without expanding what follows (seen on the lab, HTCondor 25.14.1).
 */
export function escapeDollar(value: string): string {
  if (!value.includes('$')) return value;
  const parts = value.split('$$');
  // condor_submit replaces `$(DOLLAR)` until none is left, rescanning from the start: a literal `$(DOLLAR)`
  // would come out as `$`, whatever it is written as.
  if (parts.some((p) => /\$\(dollar\)/i.test(p))) {
    throw new UnsafeValueError(
      `${show(value)} holds "$(DOLLAR)", which HTCondor's submit language always turns into "$"`,
      value,
    );
  }
  return parts.map((part) => part.replaceAll('$', '$(DOLLAR)')).join('$$(DOLLARDOLLAR)');
}

/**
 * A plain submit value (right of `key =`): one line, no leading/trailing blanks (condor_submit trims them),
 * `$` made literal.
 */
export function submitValue(value: string, what = 'value'): string {
  refuseControl(value, what);
  if (value !== value.trim() || value === '') {
    throw new UnsafeValueError(`${what} ${show(value)} is empty or starts/ends with a blank`, value);
  }
  return escapeDollar(value);
}

/**
 * `arguments` in the new syntax: the whole list in double quotes; each argument holding a blank or a single
 * quote is put in single quotes; `'` is written `''` and `"` is written `""`.
 */
export function submitArguments(args: readonly string[]): string {
  return `"${submitArgumentsInner(args)}"`;
}

/** Arguments written as they are: no blank, quote, `$`, control character, and not empty. */
const PLAIN_ARGUMENT = /^[A-Za-z0-9_.,/:=+@%^-]+$/;

/** The inside of a new-syntax `arguments = "…"` (for `arguments = "$(macro)"`). */
export function submitArgumentsInner(args: readonly string[]): string {
  // Arguments written as they are (the usual case) are joined at once; the others quoted one by one.
  let plain = true;
  for (let i = 0; i < args.length && plain; i++) plain = PLAIN_ARGUMENT.test(args[i] as string);
  if (plain) return args.join(' ');
  let out = '';
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    let s = a;
    if (!PLAIN_ARGUMENT.test(a)) {
      refuseControl(a, 'argument');
      s = a.replaceAll('"', '""');
      if (s === '' || /[ ']/.test(s)) s = `'${s.replaceAll("'", "''")}'`;
      s = escapeDollar(s);
    }
    out = out === '' ? s : `${out} ${s}`;
  }
  return out;
}

/**
 * The value of a DAG `VARS name="value"`: `\` and `"` escaped with a backslash. The value is then read by
 * condor_submit as a macro, so it must already be valid submit text (made by the submit helpers).
 * DAGMan itself expands `$(JOB)` and `$(RETRY)` in it; the submit helpers never leave a bare `$`.
 */
export function dagVarsValue(value: string): string {
  refuseControl(value, 'VARS value');
  if (!value.includes('"') && !value.includes('\\')) return value;
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"');
}

/** A ClassAd string literal (`"…"` with `\` and `"` escaped), not yet made safe for a submit file. */
export function classAdStringLiteral(value: string): string {
  refuseControl(value, 'string');
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** A ClassAd string literal as the value of a `+Attr =`/`My.Attr =` line in a submit file. */
export function submitClassAdString(value: string): string {
  return escapeDollar(classAdStringLiteral(value));
}

/** File names needing no check: letters, digits and `_ . / + @ % -`. */
const PLAIN_FILE = /^[A-Za-z0-9_./+@%-]+$/;

/**
 * A comma-separated file list (`transfer_input_files`, `transfer_output_files`): HTCondor splits on commas
 * and blanks, so a name holding either cannot be listed.
 */
export function submitFileList(files: readonly string[]): string {
  if (files.length === 0) return '';
  for (let i = 0; i < files.length; i++) checkFileListEntry(files[i] as string);
  return escapeDollar(files.join(','));
}

/** One entry of a file list, checked (see submitFileList). */
function checkFileListEntry(f: string): void {
  if (PLAIN_FILE.test(f)) return;
  refuseControl(f, 'file name');
  if (f === '' || /[,\s]/.test(f)) {
    throw new UnsafeValueError(
      `file name ${show(f)} is empty or holds a comma or blank, which HTCondor's file lists cannot carry`,
      f,
    );
  }
  if (/[=;"\\]/.test(f)) {
    throw new UnsafeValueError(
      `file name ${show(f)} holds '=', ';', '"' or '\\' (reserved in submit lists)`,
      f,
    );
  }
}

/**
 * The words a node name must not be (in any case): PARENT and CHILD, which DAGMan's manual forbids (they split
 * a `PARENT … CHILD …` line), and ALL_NODES, which stands for every node in RETRY, VARS, SCRIPT and the like.
 * Every other DAG keyword is a valid node name: nodes named post, job, final, retry, done, vars and Stop ran
 * on the lab (HTCondor 25.14.1).
 */
const RESERVED_NODE_NAMES = new Set(['parent', 'child', 'all_nodes']);

/** Whether `name` is one of the words a node name must not be. */
export function isReservedNodeName(name: string): boolean {
  return RESERVED_NODE_NAMES.has(name.toLowerCase());
}

/** A DAG node name: letters, digits, `_`, `-`, `.`; no `+` (splice separator); not PARENT, CHILD, ALL_NODES. */
export function dagNodeName(name: string): string {
  refuseControl(name, 'node name');
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name)) {
    throw new UnsafeValueError(`node name ${show(name)} may hold only letters, digits, '_', '-', '.'`, name);
  }
  if (isReservedNodeName(name)) {
    throw new UnsafeValueError(
      `node name ${show(name)} is a word DAGMan reserves (PARENT, CHILD, ALL_NODES)`,
      name,
    );
  }
  return name;
}

/** A file name inside a DAG file (`JOB n FILE`, `CONFIG FILE`): one word, no macros. */
export function dagFileName(name: string): string {
  refuseControl(name, 'file name');
  if (name === '' || /[\s"$]/.test(name)) {
    throw new UnsafeValueError(`file name ${show(name)} cannot be written in a DAG file`, name);
  }
  return name;
}

/** One `vm_disk` entry `file:device:access:format`; the file may hold no `:` or `,` (the entry's separators). */
export function submitVmDisk(file: string, device: string, access: 'r' | 'w', format: string): string {
  refuseControl(file, 'disk image path');
  if (file === '' || /[:,\s]/.test(file)) {
    throw new UnsafeValueError(
      `disk image path ${show(file)} holds ':', ',' or a blank, which vm_disk cannot carry`,
      file,
    );
  }
  return escapeDollar(`${file}:${device}:${access}:${format}`);
}

/**
 * The inside of `transfer_output_remaps = "from=to;from2=to2"`. `from` and `to` are checked as file-list
 * entries; `{node}` in a target becomes the submit macro `$(Node)` (the parallel node number).
 */
export function submitOutputRemaps(entries: ReadonlyArray<{ from: string; to: string }>): string {
  let out = '';
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as { from: string; to: string };
    const node = e.to.includes('{node}');
    checkFileListEntry(e.from);
    checkFileListEntry(node ? e.to.replaceAll('{node}', '0') : e.to);
    if (out !== '') out += ';';
    const to = escapeDollar(e.to);
    out += `${escapeDollar(e.from)}=${node ? to.replaceAll('{node}', '$(Node)') : to}`;
  }
  return out;
}

/**
 * A file list whose entries may hold `{node}`, which becomes the submit macro `$(Node)` (the parallel node
 * number); each entry checked as submitFileList does.
 */
export function submitNodeFileList(files: readonly string[]): string {
  for (let i = 0; i < files.length; i++) checkFileListEntry((files[i] as string).replaceAll('{node}', '0'));
  return escapeDollar(files.join(',')).replaceAll('{node}', '$(Node)');
}

/** Text inside a `#` comment: one line. */
export function commentText(value: string): string {
  refuseControl(value, 'text');
  return value;
}
