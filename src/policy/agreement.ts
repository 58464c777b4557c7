// Greedy actions and how often two policies agree on them: the figures that say whether a smaller policy
// still acts like its teacher.

/** Index of the largest of `length` values starting at `offset` (the first one on ties, like torch.argmax). */
export function argmax(values: ArrayLike<number>, offset = 0, length = values.length - offset): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (values[offset + i] > values[offset + best]) best = i;
  return best;
}

/** The argmax of each of the `count` rows of `values` (row-major, values.length / count per row). */
export function argmaxRows(values: ArrayLike<number>, count: number): number[] {
  const width = values.length / count;
  return Array.from({ length: count }, (_, i) => argmax(values, i * width, width));
}

/** Share of states where two output arrays ([states × actions], row-major) pick the same action. */
export function actionAgreement(a: Float32Array, b: Float32Array, actionCount: number): number {
  const states = a.length / actionCount;
  let same = 0;
  for (let s = 0; s < states; s++) if (argmax(a, s * actionCount, actionCount) === argmax(b, s * actionCount, actionCount)) same++;
  return same / states;
}
