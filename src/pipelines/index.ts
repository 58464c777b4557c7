// The pipelines: where stages meet. Each runs several stages in order and hands files between them.
export { DEFAULT_RECIPE_SIZES } from './recipe-defaults.js';
export { compress, runRecipe, type Candidate, type CompressRequest, type RecipeOptions, type RecipeResult } from './compress-recipe.js';
export { compare, compareIntoFolder, compareModels, AGREEMENT_SEED, AGREEMENT_STATES, type CompareOptions, type CompareRequest } from './compare.js';
export type { CompareReport, ModelFigures } from './report/types.js';
export { finetuneAfterPrune, finetunePruned, type FinetuneOptions } from './prune-finetune.js';
export { prune, type PruneRequest } from './prune.js';
export { runDemo, committedTeachers, DEMO_BATCHES, type DemoOptions, type DemoResult } from './demo.js';
export { serve, serveCluster, type ServeRequest, type ClusterRequest } from './serve.js';
export { writeReport, REPORT_FILES } from './report/write.js';
