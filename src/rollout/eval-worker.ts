// One evaluation worker (see parallel-eval.ts): opens the policy, then plays the episode indices it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import { makeEnv } from '../envs/registry.js';
import { configureGymEnv, type GymEnvOptions } from '../gym/index.js';
import { deriveSeed } from '../envs/rng.js';
import { openPolicy } from '../infer/open.js';
import type { RuntimeOptions } from '../infer/runtime.js';
import { UsageError } from '../util/errors.js';
import { playEpisode } from './episode.js';
import type { WorkerReply, WorkerRequest } from './parallel-eval.js';

const data = workerData as RuntimeOptions & { file: string; runtime?: string; env?: string; gym?: GymEnvOptions; seed: number };
const port = parentPort!;
const send = (reply: WorkerReply) => port.postMessage(reply);

try {
  const { file, seed: _seed, gym, ...options } = data;
  // A gym: env is made here as the calling thread configured it (kwargs, Python, wrappers).
  if (gym) configureGymEnv(gym);
  const policy = await openPolicy(file, options);
  const env = makeEnv(policy.spec.id);
  port.on('message', async (request: WorkerRequest) => {
    if (request.type === 'stop') {
      env.close?.();
      await policy.dispose();
      port.close();
      return;
    }
    try {
      const { total, length } = await playEpisode(env, (observation) => policy.act(observation), deriveSeed(data.seed, request.index));
      send({ type: 'episode', index: request.index, total, length });
    } catch (error) {
      send({ type: 'error', message: (error as Error).message, usage: error instanceof UsageError });
    }
  });
  send({ type: 'ready', env: policy.spec.id });
} catch (error) {
  send({ type: 'error', message: (error as Error).message, usage: error instanceof UsageError });
}
