// What train() checks before it starts: that the network fits the env's observations and that the replay
// buffer, the networks and a minibatch fit in this machine's memory.
import type { EnvSpec } from '../envs/types.js';
import { observationSize } from '../envs/types.js';
import { UsageError } from '../util/errors.js';
import { checkMemoryNeeds, denseParameters, type MemoryNeed } from '../util/memory-budget.js';
import type { DqnConfig } from './presets.js';

const FLOAT = 4;
/** Copies of the weights training keeps: online, target, gradients and Adam's two moments. */
const WEIGHT_COPIES = 5;
/** Activations per minibatch row and layer: forward, backward, and the target network's forward pass. */
const ACTIVATION_COPIES = 4;

/** The features the dense layers see: the observation, or the conv layer's output on an image. */
function denseInputs(config: DqnConfig, spec: EnvSpec): number {
  if (!config.convFilters) return observationSize(spec);
  const [h, w] = spec.observationShape;
  return (h - 2) * (w - 2) * config.convFilters;
}

/** The buffers a training run allocates, from the flags that size them. */
export function trainMemoryNeeds(config: DqnConfig, spec: EnvSpec): MemoryNeed[] {
  const obs = observationSize(spec);
  const inputs = denseInputs(config, spec);
  const parameters = denseParameters(inputs, config.netArch, spec.actionCount) + (config.convFilters ? config.convFilters * (9 * spec.observationShape[2] + 1) : 0);
  const widest = Math.max(obs, inputs, ...config.netArch);
  return [
    // observations and next observations, plus reward, action and terminal flags per transition
    { what: `--buffer-size ${config.bufferSize} (the replay buffer, ${obs} values per observation)`, bytes: config.bufferSize * (2 * obs * FLOAT + 3 * FLOAT), elements: config.bufferSize * obs },
    { what: `--net-arch ${config.netArch.join(',')} (${parameters.toExponential(2)} weights, trained with Adam)`, bytes: parameters * FLOAT * WEIGHT_COPIES, elements: Math.max(...config.netArch, 1) * Math.max(inputs, ...config.netArch) },
    { what: `--batch-size ${config.batchSize} (the minibatch's activations)`, bytes: config.batchSize * (widest + config.netArch.reduce((a, b) => a + b, 0) + inputs) * FLOAT * ACTIVATION_COPIES, elements: config.batchSize * widest },
  ];
}

/**
 * Refuses, in one line and before anything runs, a configuration that cannot train on this env: conv layers
 * on a vector observation, or buffers that do not fit in memory.
 */
export function checkTrainPlan(config: DqnConfig, spec: EnvSpec): void {
  if (config.convFilters) {
    const shape = spec.observationShape;
    if (shape.length !== 3) {
      throw new UsageError(`--conv-filters needs image observations (height × width × channels), and ${spec.id} observes ${shape.length === 1 ? `a vector of ${shape[0]}` : `shape [${shape.join(', ')}]`}: use --conv-filters 0`);
    }
    if (shape[0] < 3 || shape[1] < 3) throw new UsageError(`--conv-filters uses a 3 × 3 kernel, and ${spec.id}'s images are ${shape[0]} × ${shape[1]}`);
  }
  checkMemoryNeeds(trainMemoryNeeds(config, spec), spec.id);
}
