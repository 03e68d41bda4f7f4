/**
 * The only module that touches `process` and `console`: it parses argv, runs a command and returns its exit
 * code. stdout carries the artefact or the JSON; progress and diagnostics go to stderr.
 */
import { Command, CommanderError } from 'commander';
import { commands } from './commands/index.js';
import { ExitCode, type Output } from './commands/types.js';

function processOutput(): Output {
  return {
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

export async function main(argv: string[], out: Output = processOutput()): Promise<number> {
  const program = new Command('vmdag')
    .description(
      'Run HPC computations on virtual machines through HTCondor: compile, submit, watch, tear down.',
    )
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.out(s), writeErr: (s) => out.err(s) })
    .showHelpAfterError('(add --help for usage)');
  let code: number = ExitCode.ok;
  for (const spec of commands) {
    const cmd = program.command(spec.name).description(spec.summary);
    spec.configure(cmd);
    if (!cmd.options.some((o) => o.long === '--json'))
      cmd.option('--json', 'print one JSON document on stdout');
    cmd.exitOverride();
    cmd.action(async (...params: unknown[]) => {
      // commander passes the positional arguments, then the options object, then the Command.
      const self = params[params.length - 1] as Command;
      const args = self.args;
      code = await spec.run(args, self.opts(), out);
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
