// Bring your own ONNX teacher: a PyTorch Q-network exported with torch.onnx.export (no qdistill metadata, so
// the environment is named) side by side with a qdistill student — return on the same seeds, action
// agreement, size and latency — written as report.json, report.md and report.html.
//
//   npm run build && node --import tsx examples/compare-onnx-teacher.ts [output folder]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare } from 'qdistill';

const out = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'qdistill-compare-'));
const teacher = 'models/pytorch/cartpole-v1-mlp.onnx';
const student = 'models/cartpole-v1-student-16x16/student.onnx';

const report = await compare(teacher, [student], {
  env: 'CartPole-v1', // the PyTorch file does not say which environment it plays
  runtime: 'ort-cpu', // latency on onnxruntime-node only (returns and agreement always come from ort-cpu)
  episodes: 5,
  batches: [1, 32],
  seconds: 0.2,
  outDir: out,
});

for (const m of report.models) {
  const share = m.ofTeacher === null ? '-' : `${(100 * m.ofTeacher).toFixed(0)}% of teacher`;
  console.log(`${m.role} ${m.label}: ${m.parameters} parameters, ${m.bytes} bytes, return ${m.reward.mean.toFixed(1)} ± ${m.reward.std.toFixed(1)} (${share}), agreement ${(100 * m.agreement).toFixed(1)}%`);
}
console.log(`random policy: ${report.randomReward.toFixed(1)} over the same ${report.episodes} episodes (seed ${report.seed})`);
console.log(`wrote ${report.written.join(', ')}`);
