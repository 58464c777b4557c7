// The `qdistill` command line: registers each command and turns errors into one line and an exit code
// (2 for bad input, 1 for a bug), with the stack only under --verbose.
import { Command, CommanderError } from 'commander';
import { UsageError } from '../util/errors.js';
import { escapeControl } from '../util/escape.js';
import { fileSystemErrorMessage, fileSystemErrorPath } from '../util/fs-errors.js';
import { TOOL_VERSION } from '../util/version.js';
import { registerBench } from './bench.js';
import { registerCompare } from './compare.js';
import { registerCompress } from './compress.js';
import { registerCompressRecipe } from './compress-recipe.js';
import { registerDemo } from './demo.js';
import { registerEnvs } from './envs.js';
import { registerDistill } from './distill.js';
import { registerEval } from './eval.js';
import { registerExport } from './export.js';
import { registerExportCode } from './export-code.js';
import { registerExportWeb } from './export-web.js';
import { registerImport } from './import.js';
import { registerInspect } from './inspect.js';
import { registerRecord } from './record.js';
import { registerServe } from './serve.js';
import { registerTrain } from './train.js';
import { addGymOptions, applyGymOptions } from './env-options.js';
import { rangeOf } from './options.js';
import { checkCommandPaths } from './path-checks.js';

export function buildProgram(): Command {
  const program = new Command('qdistill')
    .description('compress trained DQN policies into small ones and deploy them')
    .version(TOOL_VERSION)
    .option('--verbose', 'print stack traces on errors')
    .showSuggestionAfterError(true)
    .addHelpText('after', '\nExample:\n  qdistill train CartPole-v1 --out runs/cartpole\n  qdistill eval runs/cartpole --episodes 100');
  registerEnvs(program);
  registerTrain(program);
  registerEval(program);
  registerDistill(program);
  registerImport(program);
  registerInspect(program);
  registerRecord(program);
  const exportCommand = registerExport(program);
  registerExportCode(exportCommand);
  registerExportWeb(exportCommand);
  registerCompress(program);
  registerCompressRecipe(program);
  registerBench(program);
  registerCompare(program);
  registerServe(program);
  registerDemo(program);
  addGymOptions(program);
  describeRanges(program);
  program.hook('preAction', (_program, command) => {
    applyGymOptions(command);
    checkCommandPaths(command);
  });
  // Every command reports bad flags through the handler below instead of exiting on its own.
  const silence = (cmd: Command) => {
    cmd.exitOverride().configureOutput({ writeErr: () => {}, outputError: () => {} });
    cmd.commands.forEach(silence);
  };
  silence(program);
  return program;
}

/** The command a command line names (`qdistill export` → export), for the message when its subcommand is missing. */
function commandNamed(program: Command, argv: readonly string[]): Command {
  let command = program;
  for (const word of argv) {
    if (word.startsWith('-')) continue;
    const sub = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (!sub) break;
    command = sub;
  }
  return command;
}

/** Prints one line on stderr: what comes from files, paths or flags cannot start a second line. */
function printError(message: string): void {
  process.stderr.write(`qdistill: ${escapeControl(message)}\n`);
}

/** Runs the command line; returns the exit code (0 done, 2 bad input, 1 a bug). Never calls process.exit. */
/** Appends each numeric flag's accepted range to its --help line, from the parser that enforces it. */
function describeRanges(command: Command): void {
  for (const option of command.options) {
    const range = rangeOf(option.parseArg);
    if (range && !option.description.includes('range:')) option.description += ` (range: ${range})`;
  }
  command.commands.forEach(describeRanges);
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const verbose = argv.includes('--verbose');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
      if (error.code === 'commander.help') {
        // Commander shows help on its own when a command that needs a subcommand is given none.
        const command = commandNamed(program, argv);
        const path = command === program ? 'qdistill' : `qdistill ${command.name()}`;
        const choices = command.commands.map((c) => c.name()).join(', ');
        printError(`${command === program ? 'a command' : 'a subcommand'} is required: ${choices} (see \`${path} --help\`)`);
        return 2;
      }
      if (error.exitCode === 0) return 0;
      printError(error.message.replace(/^error: /, ''));
      return 2;
    }
    if (error instanceof UsageError) {
      printError(error.message);
      if (verbose) process.stderr.write(`${error.stack}\n`);
      return 2;
    }
    // The user's disk or files, not a bug: a full disk, a read-only mount, a missing file or permission.
    const fsMessage = fileSystemErrorMessage(error);
    if (fsMessage !== undefined) {
      const path = fileSystemErrorPath(error);
      printError(path !== undefined ? `${fsMessage} (${path})` : fsMessage);
      if (verbose) process.stderr.write(`${(error as Error)?.stack}\n`);
      return 2;
    }
    printError(`internal error: ${(error as Error)?.message ?? String(error)}`);
    if (verbose) process.stderr.write(`${(error as Error)?.stack}\n`);
    else process.stderr.write('qdistill: run again with --verbose for the stack trace\n');
    return 1;
  }
}
