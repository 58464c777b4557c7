// Structured pruning through the activations torch writes as several ops (SiLU x·σ(x), GELU with Erf, Mish
// x·tanh(softplus(x)), ReLU6 as Clip): torch MLPs whose hidden layers have half their units dead (made by
// test/support/export_dead_unit_mlps.py) lose exactly those units, and onnxruntime gives the same Q-values
// before and after, since each activation maps 0 to 0.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { applyPass, prunePass } from '../../src/compress/index.js';
import { readModelFile } from '../../src/onnx/model.js';
import { ortOutputs } from '../support/ort-outputs.js';
import { readFloat32 } from '../support/float32-file.js';
import { referenceCheck } from '../support/onnx-checker.js';
import { torchFixtures, worstRelative } from '../support/torch-fixtures.js';

const SCRIPT = fileURLToPath(new URL('../support/export_dead_unit_mlps.py', import.meta.url));
let dir = '';
before(() => {
  dir = torchFixtures(SCRIPT, 'qdistill-prune-acts-');
});
after(() => rmSync(dir, { recursive: true, force: true }));

for (const act of ['silu', 'gelu', 'mish', 'relu6', 'relu']) {
  test(`structured prune through ${act}: the dead half of each hidden layer goes, the Q-values stay`, async () => {
    const input = join(dir, `${act}.onnx`);
    const out = join(dir, `${act}.pruned.onnx`);
    const r = await applyPass(prunePass, input, out, { sparsity: 0.5, structured: true }, 'CartPole-v1');
    assert.deepEqual(r.report.changes.map((c) => c.replace(/^Gemm '[^']*': /, '')), ['32 → 16 units', '32 → 16 units']);
    const states = readFloat32(join(dir, 'states.f32'));
    const before = await ortOutputs(readModelFile(input), states, [64, 4]);
    const pruned = await ortOutputs(readModelFile(out), states, [64, 4]);
    assert.ok(worstRelative(pruned, before) <= 1e-5, `worst relative difference ${worstRelative(pruned, before)}`);
    const check = referenceCheck(out);
    assert.ok(check.ok, check.message);
  });
}
