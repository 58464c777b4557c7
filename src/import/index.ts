// The import stage: Q-networks trained elsewhere (Stable-Baselines3 / RL Zoo zips, torch.save state dicts) → teacher.onnx.
export { importModel, type ImportOptions, type ImportResult } from './import.js';
export { readTorchCheckpoint, type Tensor } from './torch-checkpoint.js';
