import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { EnvSpec } from '../../src/envs/types.js';
import { qLoss, tdTargets, trainDqn } from '../../src/rl/dqn.js';
import { evaluatePolicy } from '../../src/rollout/evaluate.js';
import { presetFor, type DqnConfig } from '../../src/rl/presets.js';
import { activateBackend, quietTfjs } from '../../src/tfjs/backends.js';
import { greedyAction } from '../../src/tfjs/greedy.js';
import { buildQNetwork } from '../../src/tfjs/networks.js';

const spec: EnvSpec = { id: 'test', observationShape: [2], observationLayout: 'flat', actionCount: 2, maxEpisodeSteps: 10, rewardThreshold: null };
let dir: string;
before(async () => {
  quietTfjs();
  await activateBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'qdistill-dqn-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A linear Q-network Q(s) = sᵀK with K given by rows of inputs. */
function linearQ(kernel: number[][]): tf.LayersModel {
  const model = buildQNetwork(spec, { hidden: [], dueling: false }, 0);
  model.setWeights([tf.tensor2d(kernel), tf.zeros([2])]);
  return model;
}

const batch = {
  observations: Float32Array.from([1, 0, 0, 1]),
  actions: Int32Array.from([0, 1]),
  rewards: Float32Array.from([1, 1]),
  nextObservations: Float32Array.from([3, 1, 3, 1]),
  terminals: Float32Array.from([0, 1]),
};

test('TD target: r + γ max Q_target(s′), and r alone at a terminal state', () => {
  // Q_target(s′=[3,1]) = [3·1 + 1·0, 3·0 + 1·2] = [3, 2] → max 3; γ = 0.5 → 1 + 1.5 = 2.5
  const target = linearQ([[1, 0], [0, 2]]);
  const y = tdTargets(target, target, batch, [2], { gamma: 0.5, doubleQ: false }).arraySync();
  assert.deepEqual(y, [2.5, 1]);
});

test('Double DQN target: the online network picks a′, the target network scores it', () => {
  const target = linearQ([[1, 0], [0, 2]]); // Q_target(s′) = [3, 2]
  const online = linearQ([[0, 0], [0, 1]]); // Q_online(s′) = [0, 1] → a′ = 1
  const y = tdTargets(online, target, batch, [2], { gamma: 0.5, doubleQ: true }).arraySync();
  assert.deepEqual(y, [2, 1]); // 1 + 0.5·Q_target(s′)[1] = 2
});

test('Q loss: Huber (δ = 1) on Q(s, a), averaged over the batch', () => {
  // Q(s=[1,0]) = [2, 0] → Q(s,0) = 2; Q(s=[0,1]) = [0, 5] → Q(s,1) = 5
  const online = linearQ([[2, 0], [0, 5]]);
  const loss = qLoss(online, batch.observations, batch.actions, tf.tensor1d([2.5, 2]), [2]).dataSync()[0];
  // |2 − 2.5| = 0.5 → 0.5·0.5² = 0.125; |5 − 2| = 3 → 3 − 0.5 = 2.5; mean = 1.3125
  assert.ok(Math.abs(loss - 1.3125) < 1e-6);
});

function smallConfig(overrides: Partial<DqnConfig>): DqnConfig {
  return { ...presetFor('CartPole-v1'), netArch: [32, 32], evalEpisodes: 1, ...overrides };
}

test('replay stores terminations but not truncations as terminal', async () => {
  // MountainCar under a random policy never reaches the goal in 200 steps: the episode is truncated.
  const config = { ...presetFor('MountainCar-v0'), netArch: [8], totalTimesteps: 250, learningStarts: 10_000, explorationFraction: 0 , explorationFinalEps: 1 };
  const { buffer } = await trainDqn({ envId: 'MountainCar-v0', config, seed: 3, outDir: dir, resume: false });
  assert.equal(buffer.size, 250);
  assert.ok(buffer.terminals.subarray(0, 250).every((t) => t === 0));
  // Within an episode s′ of one transition is s of the next; across the truncation it is not (reset).
  assert.deepEqual(buffer.nextObservations.subarray(2 * 198, 2 * 199), buffer.observations.subarray(2 * 199, 2 * 200));
  assert.notDeepEqual(buffer.nextObservations.subarray(2 * 199, 2 * 200), buffer.observations.subarray(2 * 200, 2 * 201));

  const cartpole = await trainDqn({ envId: 'CartPole-v1', config: smallConfig({ totalTimesteps: 300, learningStarts: 10_000 }), seed: 3, outDir: dir, resume: false });
  const ends = [...cartpole.buffer.terminals.subarray(0, 300)].filter((t) => t === 1).length;
  assert.equal(ends, cartpole.episodes); // every CartPole episode of a random policy ends by termination
});

test('a short CartPole run raises the greedy return well above the untrained network', async () => {
  const config = smallConfig({ totalTimesteps: 6000, netArch: [64, 64] });
  const untrained = buildQNetwork({ ...spec, id: 'CartPole-v1', observationShape: [4] }, { hidden: [64, 64], dueling: false }, 1);
  const evaluate = async (model: tf.LayersModel) =>
    (await evaluatePolicy('CartPole-v1', (obs) => greedyAction(model, obs, [4]), { episodes: 10, seed: 123 })).mean;
  const before = await evaluate(untrained);
  const result = await trainDqn({ envId: 'CartPole-v1', config, seed: 1, outDir: dir, resume: false });
  const trained = await evaluate(result.qNetwork);
  assert.ok(trained >= 100 && trained >= 2 * before, `greedy return ${before} → ${trained}`);
});

test('a run interrupted after a checkpoint and resumed ends with the same weights as an uninterrupted one', async () => {
  const config = smallConfig({ totalTimesteps: 2500, checkpointInterval: 1000, trainFreq: 64, gradientSteps: 16, learningStarts: 200 });
  const full = await trainDqn({ envId: 'CartPole-v1', config, seed: 5, outDir: join(dir, 'full'), resume: false });
  const crashDir = join(dir, 'crash');
  await assert.rejects(
    trainDqn({
      envId: 'CartPole-v1', config, seed: 5, outDir: crashDir, resume: false,
      onCheckpoint: (step) => {
        if (step === 2000) throw new Error('simulated crash');
      },
    }),
    /simulated crash/,
  );
  const resumed = await trainDqn({ envId: 'CartPole-v1', config, seed: 5, outDir: crashDir, resume: true });
  assert.equal(resumed.resumedFromStep, 2000);
  assert.equal(resumed.steps, 2500);
  // Not bit-identical: tfjs's Adam.setWeights recomputes β^t with pow() where training multiplied it step
  // by step, a float32 rounding difference (~1e-7). A lost buffer, random stream or moment would show as
  // differences of order 1e-2 after the ~100 gradient steps that follow.
  const a = full.qNetwork.getWeights().flatMap((w) => [...w.dataSync()]);
  const b = resumed.qNetwork.getWeights().flatMap((w) => [...w.dataSync()]);
  const worst = Math.max(...a.map((v, i) => Math.abs(v - b[i])));
  assert.ok(worst < 1e-4, `largest weight difference ${worst}`);
});
