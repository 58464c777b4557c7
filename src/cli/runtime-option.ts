// `--runtime <name|auto>` for the commands that run a policy: a name from the runtime registry, or auto
// (time the model on every runtime available here and print the choice).
import { Option } from 'commander';
import { chooseFastestRuntime, describeAutoChoice } from '../infer/auto.js';
import { readPolicyBytes, runtimeByName, RUNTIMES } from '../infer/open.js';

export function runtimeOption(defaultRuntime = 'ort-cpu'): Option {
  return new Option('--runtime <name>', `where the policy runs: ${RUNTIMES.join(', ')}, or auto (the fastest here for this model)`).default(defaultRuntime);
}

/** The runtime to use for `file`: the one named (checked to exist), or auto's measured pick (printed on stderr). */
export async function resolveRuntime(name: string, file: string, env?: string, quiet = false): Promise<string> {
  if (name !== 'auto') return runtimeByName(name).name;
  const choice = await chooseFastestRuntime(readPolicyBytes(file), file, { env });
  if (!quiet) process.stderr.write(`${describeAutoChoice(choice)}\n`);
  return choice.runtime;
}
