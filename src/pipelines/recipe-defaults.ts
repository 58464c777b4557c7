// The compress recipe's default student sizes, apart from the recipe so that `--help` loads none of it.
import type { StudentSize } from '../distill/index.js';

/** Students the recipe distills when no --sizes are given, largest first. */
export const DEFAULT_RECIPE_SIZES: StudentSize[] = [[64, 64], [32, 32], [16, 16], [8, 8], [8]].map((hidden) => ({ hidden, width: 1 }));
