/**
 * The only module that touches `process` and `console`: it parses argv, runs a command and returns its exit
 * code. stdout carries the artefact or the JSON; progress and diagnostics go to stderr.
 */
import { Command, CommanderError } from 'commander';
import { commands } from './commands/index.js';
import type { CommandSpec } from './commands/spec.js';
import { type CommandIo, ExitCode, type Output } from './commands/types.js';
import type { CondorContext } from './condor/exec.js';

function processOutput(): Output {
  // log-update redraws a block in place with the terminal's own escape sequences (well-kept, small); loaded
  // on the first frame only, so commands that draw nothing do not pay for it.
  let view: (((text: string) => void) & { done(): void }) | undefined;
  let latest = '';
  let loading = false;
  const live = process.stderr.isTTY
    ? {
        frame: (text: string) => {
          latest = text;
          if (view) view(text);
          else if (!loading) {
            loading = true;
            void import('log-update').then(({ createLogUpdate }) => {
              view = createLogUpdate(process.stderr, { showCursor: true });
              view(latest);
            });
          }
        },
        done: () => {
          if (view) view.done();
          else if (latest) process.stderr.write(`${latest}\n`);
        },
      }
    : undefined;
  return {
    ...(live ? { live } : {}),
    out: (text) => {
      process.stdout.write(text);
    },
    err: (text) => {
      process.stderr.write(text);
    },
    isTTY: Boolean(process.stdout.isTTY),
    columns: process.stdout.columns,
  };
}

/**
 * What the commands get from the process: its cwd and environment, and the HTCondor to talk to, looked for
 * (VMDAG_CONDOR_PREFIX > the running lab > PATH) on a command's first call only and then kept.
 */
function processIo(): CommandIo {
  let condor: Promise<CondorContext> | undefined;
  return {
    cwd: process.cwd(),
    env: process.env,
    condor: () => {
      condor ??= import('./commands/condor-context.js').then((m) => m.findCondorContext(process.env));
      return condor;
    },
    interrupts: () => {
      const ac = new AbortController();
      const onSigint = () => ac.abort();
      process.on('SIGINT', onSigint);
      return { signal: ac.signal, stop: () => process.off('SIGINT', onSigint) };
    },
    ...(process.stdin.isTTY
      ? {
          ask: async (question: string) => {
            const { createInterface } = await import('node:readline/promises');
            const rl = createInterface({ input: process.stdin, output: process.stderr });
            try {
              return await rl.question(question);
            } finally {
              rl.close();
            }
          },
        }
      : {}),
  };
}

/**
 * The commands to declare for this argv: the one being run (or asked about with `help NAME`) alone, so that
 * only its module is loaded; none for `--version`; every command when the help lists them, or when the name is unknown (commander
 * then suggests the nearest).
 */
async function specsFor(argv: string[]): Promise<CommandSpec[]> {
  // `vmdag --version` needs no command at all.
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) return [];
  const first = argv[0] === 'help' ? argv[1] : argv[0];
  const one = commands.find((c) => c.name === first);
  return Promise.all((one ? [one] : commands).map((c) => c.load()));
}

/**
 * With --json, a usage error is one JSON document on stdout, of the shape of every other error:
 * `{ok: false, diagnostics: [{severity, code: "usage", message, file: "", line: 1, column: 1, pointer: ""}]}`
 * (no file: the problem is the command line); its message is the text the command or commander wrote on
 * stderr, which is written there as well.
 */
function usageJson(text: string): string {
  const message = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && l !== '(add --help for usage)')
    .join('; ')
    .replace(/^error: /, '');
  const diagnostic = { severity: 'error', code: 'usage', message, file: '', line: 1, column: 1, pointer: '' };
  return `${JSON.stringify({ ok: false, diagnostics: [diagnostic] }, null, 2)}\n`;
}

export async function main(
  argv: string[],
  given: Output = processOutput(),
  io: CommandIo = processIo(),
): Promise<number> {
  const dash = argv.indexOf('--');
  const json = (dash < 0 ? argv : argv.slice(0, dash)).includes('--json');
  let wroteOut = false;
  let errText = '';
  // With --json, what goes to stderr is also kept (its end), for the usage error's message.
  const out: Output = json
    ? Object.assign(Object.create(given) as Output, {
        out: (t: string) => {
          wroteOut = true;
          given.out(t);
        },
        err: (t: string) => {
          errText = (errText + t).slice(-4096);
          given.err(t);
        },
      })
    : given;
  const code = await run(argv, out, io);
  if (json && code === ExitCode.usage && !wroteOut) given.out(usageJson(errText));
  return code;
}

async function run(argv: string[], out: Output, io: CommandIo): Promise<number> {
  const program = new Command('vmdag')
    .description(
      'Run HPC computations on virtual machines through HTCondor: compile, submit, watch, tear down.',
    )
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.out(s), writeErr: (s) => out.err(s) })
    .showHelpAfterError('(add --help for usage)');
  let code: number = ExitCode.ok;
  for (const spec of await specsFor(argv)) {
    const cmd = program.command(spec.name).description(spec.summary);
    spec.configure(cmd);
    if (!cmd.options.some((o) => o.long === '--json'))
      cmd.option('--json', 'print one JSON document on stdout');
    cmd.exitOverride();
    cmd.action(async (...params: unknown[]) => {
      // commander passes the positional arguments, then the options object, then the Command.
      const self = params[params.length - 1] as Command;
      const args = self.args;
      code = await spec.run(args, self.opts(), out, io);
    });
  }
  if (argv.length === 0) {
    out.err(program.helpInformation());
    return ExitCode.usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.version' ||
        e.code === 'commander.help'
      ) {
        return ExitCode.ok;
      }
      return ExitCode.usage;
    }
    out.err(`vmdag: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return ExitCode.invalid;
  }
  return code;
}

const VERSION = '0.1.0';
