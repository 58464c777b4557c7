// The `qdistill` command line: registers each command and turns errors into one line and an exit code
// (2 for bad input, 1 for a bug), with the stack only under --verbose.
import { Command, CommanderError } from 'commander';
import { UsageError } from '../util/errors.js';
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
  program.hook('preAction', (_program, command) => applyGymOptions(command));
  // Every command reports bad flags through the handler below instead of exiting on its own.
  const silence = (cmd: Command) => {
    cmd.exitOverride().configureOutput({ writeErr: () => {}, outputError: () => {} });
    cmd.commands.forEach(silence);
  };
  silence(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const verbose = argv.includes('--verbose');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) return 0;
      if (error.code === 'commander.help') return 0;
      process.stderr.write(`qdistill: ${error.message.replace(/^error: /, '')}\n`);
      return 2;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`qdistill: ${error.message}\n`);
      if (verbose) process.stderr.write(`${error.stack}\n`);
      return 2;
    }
    process.stderr.write(`qdistill: internal error: ${(error as Error)?.message ?? String(error)}\n`);
    if (verbose) process.stderr.write(`${(error as Error)?.stack}\n`);
    else process.stderr.write('qdistill: run again with --verbose for the stack trace\n');
    return 1;
  }
}
