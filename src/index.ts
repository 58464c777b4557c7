// qdistill as a library: every stage and pipeline the CLI runs, as functions over files. The CLI (src/cli)
// is a thin layer over these; docs/architecture.md describes the layers and the file formats. Names are
// taken from the modules that define them (not the stage entry files), so the declarations a user's
// compiler reads stay free of tfjs's own types.

// Environments
export { makeEnv, makeVectorEnv, listEnvs, envSpec, envIds } from './envs/registry.js';
export { configureGymEnv, GYM_PREFIX, type GymEnvOptions } from './gym/index.js';
export { deriveSeed } from './envs/rng.js';
export type { Env, EnvSpec, StepResult, ObservationLayout, VectorEnv } from './envs/types.js';

// Policies: open any ONNX policy file on any runtime, play it, compare it
export { openPolicy, openPolicyBytes, RUNTIMES, type OpenOptions } from './infer/open.js';
export type { Policy } from './infer/policy.js';
export type { RuntimeOptions } from './infer/runtime.js';
export type { PolicyFileInfo } from './policy/file.js';
export { evaluate, type EvaluateOptions, type EvalResult } from './rollout/evaluate.js';
export { DEFAULT_EVAL_SEED } from './rollout/seeds.js';
export { argmax, actionAgreement } from './policy/agreement.js';
export { shareOfTeacherGain } from './policy/gain.js';
export { fidelity, qScale, DECISIVE_GAP, type Fidelity } from './policy/fidelity.js';
export { pairedNonInferiority, type NonInferiority } from './util/confidence.js';
export { randomPolicyReward } from './rollout/random-baseline.js';
export { readCard, type ModelCard, type TeacherCard, type StudentCard, type CompressedCard, type EvalRecord, type Provenance } from './policy/card.js';
export { METADATA_KEYS } from './policy/metadata.js';

// Stages
export { train, type TrainOptions, type TrainResult } from './rl/train.js';
export type { DqnConfig } from './rl/presets.js';
export type { BackendName } from './tfjs/backend-names.js';
export { distill, sweep } from './distill/distill.js';
export { distillMultiEnv, type MultiEnvRequest, type MultiEnvSummary } from './distill/multi-env.js';
export type { DistillOptions, DistillRequest, DistillOutcome, SweepRequest, StudentSize } from './distill/distill.js';
export type { StudentSummary } from './distill/summary.js';
export { DEFAULT_DISTILL, type DistillConfig } from './distill/config.js';
export type { CollectMode } from './distill/collect.js';
export type { LossName } from './distill/loss-names.js';
export { recordDemonstrations, type RecordOptions, type RecordResult } from './distill/record.js';
export { quantize, fp16, optimize, type CheckedPassResult, type QuantizeOptions, type QuantizeResult, type PassFileOptions } from './compress/api.js';
export type { KeepFloat } from './compress/quantize-file.js';
export type { LayerSearchReport, LayerFinding, LayerTrial } from './compress/layer-search.js';
export { DEFAULT_MIN_AGREEMENT } from './compress/calibration-defaults.js';
export type { PruneOptions } from './compress/prune.js';
export type { CalibrationMethod } from './compress/calibration-methods.js';
export type { StaticFormat } from './compress/static-plan.js';
export { LOSS_WARNING_SHARE, type PassResult, type RewardBeforeAfter, type SizeFigures } from './compress/apply.js';
export type { OutputComparison } from './compress/compare.js';
export type { PassReport } from './compress/pass.js';
export { bench, type BenchOptions, type BenchRequest, type BenchRun } from './benchmark/bench.js';
export type { RuntimeSelection, SkippedRuntime } from './benchmark/runtimes.js';
export type { LatencyResult } from './benchmark/latency.js';
export { exportJs, exportC, type ExportCodeOptions, type ExportCodeResult } from './export/code.js';
export type { WeightFormat } from './codegen/program-types.js';
export { exportWebSite as exportWeb, type ExportWebOptions } from './export/web-site.js';
export { exportOnnx, type ExportOnnxOptions } from './export/onnx.js';
export { exportTriton, type ExportTritonOptions, type ExportTritonResult, type TritonModelWritten } from './export/triton.js';
export { inspect } from './onnx/inspect-file.js';
export type { ModelSummary } from './onnx/inspect.js';
export type { CloseOptions, RunningServer, ServeOptions, ServeTimeouts } from './serve/server.js';
export type { DrainResult } from './serve/connections.js';
export type { ModelToServe, ServedModel, BatchingOptions } from './serve/models.js';

// Models trained elsewhere
export { importModel, type ImportOptions, type ImportResult } from './import/import.js';

// Pipelines
export { compress, type CompressRequest, type RecipeOptions, type RecipeResult, type Candidate } from './pipelines/compress-recipe.js';
export { DEFAULT_RECIPE_SIZES } from './pipelines/recipe-defaults.js';
export { compare, type CompareOptions, type CompareRequest } from './pipelines/compare.js';
export type { CompareReport, ModelFigures } from './pipelines/report/types.js';
export { prune, type PruneRequest } from './pipelines/prune.js';
export { serve, serveCluster, type ServeRequest, type ClusterRequest } from './pipelines/serve.js';
export { runDemo, type DemoOptions, type DemoResult } from './pipelines/demo.js';

// Progress and errors
export type { OnProgress, OnLog, ProgressEvent } from './util/progress.js';
export { UsageError } from './util/errors.js';
export { TOOL_VERSION } from './util/version.js';
