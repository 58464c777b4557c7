// The train stage: an environment in, a DQN teacher folder out.
export { train, resolveTrainConfig, type TrainOptions, type TrainResult } from './train.js';
export { presetFor, applyOverrides, type DqnConfig } from './presets.js';
