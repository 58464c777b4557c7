// `qdistill serve`: policies over HTTP until SIGTERM or SIGINT, which stop accepting, let requests in
// flight finish, dispose the policies and exit 0.
import type { Command } from 'commander';
import { DEFAULT_MAX_REQUEST_BATCH } from '../serve/limits.js';
import { parseModelArguments } from '../serve/names.js';
import { integer } from './options.js';
import { startProgress } from './output.js';
import { addPolicyFileOptions, policyFileOptionsFrom, resolveRuntime, runtimeOption, type PolicyFileFlags } from './runtime-option.js';
import { checkEnvId } from '../envs/registry.js';

export interface ServeFlags extends PolicyFileFlags {
  port: number;
  host: string;
  runtime: string;
  env?: string;
  batchWindowUs: number;
  maxBatch: number;
  batching: boolean;
  maxRequestBatch: number;
  bodyLimit?: number;
  web: boolean;
  json?: boolean;
}

export function registerServe(program: Command): void {
  addPolicyFileOptions(program.command('serve'))
    .description('serve policies over HTTP: POST /v1/models/{name}:act, GET /v1/models, /healthz, /metrics, and each model\'s page under /web/{name}/')
    .argument('<models...>', 'ONNX policy files; the name is the file stem, or give name=path')
    .option('--port <n>', 'TCP port (0: any free port)', integer(0, 65535), 8080)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .addOption(runtimeOption())
    .option('--env <id>', 'environment id for files without qdistill metadata')
    .option('--batch-window-us <us>', 'longest wait for more requests to batch with the first, in microseconds', integer(0, 10_000_000), 200)
    .option('--max-batch <n>', 'observations per inference call at most (a batch runs as soon as it is full)', integer(1, 65536), 64)
    .option('--no-batching', 'run every request on its own (no micro-batching)')
    .option('--max-request-batch <n>', 'observations one request may carry at most', integer(1, 1_000_000), DEFAULT_MAX_REQUEST_BATCH)
    .option('--body-limit <bytes>', 'largest request body (default: room for --max-request-batch observations of the largest model)', integer(64))
    .option('--no-web', 'do not build and serve the browser pages')
    .option('--json', 'print the listening line as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  qdistill serve models/cartpole-v1-student-16x16/student.onnx --port 8080\n' +
        '  curl -s -H "content-type: application/json" -d \'{"observation": [0.01, 0.02, -0.03, 0.04]}\' http://127.0.0.1:8080/v1/models/student:act\n' +
        '  qdistill serve teacher=models/cartpole-v1/teacher.onnx mlp=models/pytorch/cartpole-v1-mlp.onnx --env CartPole-v1 --no-web',
    )
    .action(async (modelArguments: string[], flags: ServeFlags) => runServe(modelArguments, flags));
}

export async function runServe(modelArguments: string[], flags: ServeFlags): Promise<void> {
  if (flags.env) checkEnvId(flags.env);
  const named = parseModelArguments(modelArguments);
  const models = [];
  for (const model of named) models.push({ ...model, runtime: await resolveRuntime(flags.runtime, model.file, flags.env, flags.json, flags) });
  const progress = flags.web ? startProgress('building web pages', named.length) : null;
  const { serve } = await import('../pipelines/serve.js');
  const server = await serve({
    models,
    env: flags.env,
    read: policyFileOptionsFrom(flags),
    host: flags.host,
    port: flags.port,
    batching: { enabled: flags.batching, batchWindowUs: flags.batchWindowUs, maxBatch: flags.maxBatch },
    maxRequestBatch: flags.maxRequestBatch,
    bodyLimit: flags.bodyLimit,
    web: flags.web,
    onWebSite: (done) => progress?.update(done),
  });
  progress?.stop();
  const listening = {
    url: server.url,
    models: server.models.map((m) => ({ name: m.name, env: m.policy.spec.id, runtime: m.runtime, act: `${server.url}/v1/models/${m.name}:act` })),
    batching: flags.batching ? { windowUs: flags.batchWindowUs, maxBatch: flags.maxBatch } : null,
    bodyLimit: server.bodyLimit,
    web: flags.web,
  };
  if (flags.json) process.stdout.write(JSON.stringify(listening) + '\n');
  else process.stdout.write(`qdistill serve: listening on ${server.url} (${listening.models.map((m) => `${m.name}: ${m.env}, ${m.runtime}`).join('; ')})\n`);
  await untilStopSignal();
  await server.close();
}

/** Resolves on the first SIGTERM or SIGINT; a second one while stopping ends the process at once. */
function untilStopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.stderr.write(`qdistill serve: ${signal}, finishing requests in flight\n`);
      process.removeListener('SIGTERM', stop);
      process.removeListener('SIGINT', stop);
      process.once('SIGTERM', () => process.exit(1));
      process.once('SIGINT', () => process.exit(130));
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
