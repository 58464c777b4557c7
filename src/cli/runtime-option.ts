// `--runtime <name|auto>` for the commands that run a policy: a name from the runtime registry, or auto
// (time the model on every runtime available here and print the choice).
import { Option, type Command } from 'commander';
import type { RuntimeOptions } from '../infer/runtime.js';
import { integer, oneOf } from './options.js';
import { RUNTIME_NAMES } from '../infer/runtime-names.js';

export function runtimeOption(defaultRuntime = 'ort-cpu'): Option {
  return new Option('--runtime <name>', `where the policy runs: ${RUNTIME_NAMES.join(', ')}, or auto (the fastest here for this model)`).default(defaultRuntime);
}

/** The runtime to use for `file`: the one named (checked to exist), or auto's measured pick (printed on stderr). */
export async function resolveRuntime(name: string, file: string, env?: string, quiet = false, read: PolicyFileFlags = {}): Promise<string> {
  const { readPolicyBytes, runtimeByName } = await import('../infer/open.js');
  if (name !== 'auto') return runtimeByName(name).name;
  const { chooseFastestRuntime, describeAutoChoice } = await import('../infer/auto.js');
  const choice = await chooseFastestRuntime(readPolicyBytes(file), file, { env, ...policyFileOptionsFrom(read) });
  if (!quiet) process.stderr.write(`${describeAutoChoice(choice)}\n`);
  return choice.runtime;
}

export const GRAPH_OPTIMIZATION_LEVELS = ['disabled', 'basic', 'extended', 'all'] as const;

export interface RuntimeTuningFlags extends PolicyFileFlags {
  threads?: number;
  graphOptimization?: (typeof GRAPH_OPTIMIZATION_LEVELS)[number];
}

/** How to read a policy file from elsewhere: `--output <name>` and `--allow-fp16`. */
export interface PolicyFileFlags {
  output?: string;
  allowFp16?: boolean;
}

/** `--output <name>` (the graph output holding the Q-values) and `--allow-fp16`, for every command that opens a policy file. */
export function addPolicyFileOptions(command: Command): Command {
  return command
    .option('--output <name>', 'the graph output holding the Q-values, for files with several outputs (default: q_values, logits, else the first)')
    .option('--allow-fp16', 'run a file with a float16 input and output, casting float32 observations and Q-values at its boundary');
}

/** The OpenOptions fields of --output / --allow-fp16. */
export function policyFileOptionsFrom(flags: PolicyFileFlags): Pick<RuntimeOptions, 'output' | 'allowFp16'> {
  return { ...(flags.output ? { output: flags.output } : {}), ...(flags.allowFp16 ? { allowFp16: true } : {}) };
}

/** `--threads` and `--graph-optimization`: onnxruntime's intra-op threads and graph optimization level. */
export function addRuntimeTuningOptions(command: Command): Command {
  return addPolicyFileOptions(command)
    .option('--threads <n>', 'threads inside one inference (onnxruntime runtimes; default 1)', integer(1, 256))
    .addOption(new Option('--graph-optimization <level>', "onnxruntime's graph optimization level (default all)").argParser(oneOf(GRAPH_OPTIMIZATION_LEVELS)));
}

export function runtimeOptionsFrom(flags: RuntimeTuningFlags): RuntimeOptions {
  return {
    ...policyFileOptionsFrom(flags),
    ...(flags.threads ? { threads: flags.threads } : {}),
    ...(flags.graphOptimization ? { graphOptimizationLevel: flags.graphOptimization } : {}),
  };
}
