// qdistill as a library: every stage and pipeline the CLI runs, as functions over files. The CLI (src/cli)
// is a thin layer over these; docs/architecture.md describes the layers and the file formats.

// Environments
export { makeEnv, listEnvs, envSpec, envIds } from './envs/registry.js';
export type { Env, EnvSpec, StepResult, ObservationLayout } from './envs/types.js';

// Policies: open any ONNX policy file on any runtime, play it
export { openPolicy, openPolicyBytes, RUNTIMES, type OpenOptions } from './infer/open.js';
export type { Policy } from './infer/policy.js';
export type { RuntimeOptions } from './infer/runtime.js';
export type { PolicyFileInfo } from './policy/file.js';
export { evaluate, type EvaluateOptions, type EvalResult } from './rollout/evaluate.js';
export { DEFAULT_EVAL_SEED } from './rollout/seeds.js';
export { deriveSeed } from './envs/rng.js';
export { argmax, actionAgreement } from './policy/agreement.js';
export { shareOfTeacherGain } from './policy/gain.js';
export { randomPolicyReward } from './rollout/random-baseline.js';
export { readCard, type ModelCard, type TeacherCard, type StudentCard, type CompressedCard, type Provenance } from './policy/card.js';
export { METADATA_KEYS } from './policy/metadata.js';

// Stages
export { train, type TrainOptions, type TrainResult } from './rl/index.js';
export { distill, sweep, recordDemonstrations, DEFAULT_DISTILL } from './distill/index.js';
export type { DistillRequest, DistillOutcome, SweepRequest, StudentSize, StudentSummary, RecordOptions, RecordResult } from './distill/index.js';
export { quantize, fp16, optimize, type QuantizeOptions, type PassFileOptions, type PassResult } from './compress/index.js';
export { bench, type BenchRequest, type BenchRun } from './benchmark/index.js';
export { exportJs, exportC, exportWeb, exportOnnx } from './export/index.js';
export type { ExportCodeOptions, ExportCodeResult, ExportWebOptions, ExportOnnxOptions } from './export/index.js';
export { inspect } from './onnx/inspect-file.js';
export type { ModelSummary } from './onnx/inspect.js';

// Pipelines
export { compress, compare, prune, serve, runDemo } from './pipelines/index.js';
export type { CompressRequest, RecipeResult, Candidate, CompareRequest, CompareReport, PruneRequest, ServeRequest, DemoOptions, DemoResult } from './pipelines/index.js';
export type { RunningServer } from './serve/index.js';

// Progress and errors
export type { OnProgress, OnLog, ProgressEvent } from './util/progress.js';
export { UsageError } from './util/errors.js';
export { TOOL_VERSION } from './util/version.js';
