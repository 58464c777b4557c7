// Short names for model files in tables and plots: the last two path parts ("cartpole-v1/teacher.onnx"),
// more where two files would otherwise share a name.
export function shortLabels(files: string[]): string[] {
  const parts = files.map((f) => f.split(/[\\/]/).filter(Boolean));
  const longest = Math.max(...parts.map((p) => p.length));
  for (let depth = 2; depth <= longest; depth++) {
    const labels = parts.map((p) => p.slice(-depth).join('/'));
    if (new Set(labels).size === labels.length) return labels;
  }
  // The same file given twice: number the repeats.
  const seen = new Map<string, number>();
  return files.map((f) => {
    const n = (seen.get(f) ?? 0) + 1;
    seen.set(f, n);
    return n === 1 ? f : `${f} #${n}`;
  });
}
