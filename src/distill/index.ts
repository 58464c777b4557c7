// The distill stage: a teacher (or demonstrations) in, small students out.
export { distill, sweep, distillToFolder, sweepToFolder, describeStudent } from './distill.js';
export type { DistillOptions, DistillOutcome, DistillRequest, StudentSize, SweepRequest } from './distill.js';
export type { StudentSummary } from './summary.js';
// Offline distillation from recorded states (`distill --observations`).
export { distillOffline, distillOfflineStudent, readOfflineObservations, heldOutSplit, DEFAULT_HELD_OUT_SHARE, type OfflineDistillRequest, type OfflineObservations } from './distill.js';
export { heldOutLine, type OfflineStudentSummary, type HeldOutFigures } from './summary.js';
export { DEFAULT_DISTILL, type DistillConfig } from './config.js';
export { distillStudent, type DistillResult, type DistillRun, type RoundReport } from './student.js';
export { recordDemonstrations, type RecordOptions, type RecordResult } from './record.js';
export { studentsTable } from './summary.js';
export { COLLECTORS, type CollectMode } from './collect.js';
export { LOSSES, type LossName } from './loss-names.js';
export { stopRule, playStopEpisodes, describeStop, type StopRule, type StopOutcome } from './stopping.js';
export { distillEnvironments, distillMultiEnv, envFolder, type MultiEnvRequest, type MultiEnvSummary } from './multi-env.js';
