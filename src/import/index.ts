// The import stage: Q-networks trained elsewhere (Stable-Baselines3 / RL Zoo zips, torch.save state dicts) → teacher.onnx and card.json.
export { importModel, SB3_CONTRIB_DEFAULT_QUANTILES, type ImportOptions, type ImportResult } from './import.js';
export type { ImportedTeacherCard, ImportSource } from './card.js';
export { readTorchCheckpoint, type Tensor } from './torch-checkpoint.js';
