// prune --finetune: the distill stage started from the pruned weights must bring the pruned policy back
// towards the unpruned one, keep the pruned shape (and, unstructured, the zeros), and refuse non-MLP graphs.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { applyPass } from '../../src/compress/apply.js';
import { finetuneAfterPrune, finetunePruned, mlpLayers } from '../../src/pipelines/prune-finetune.js';
import { prunePass } from '../../src/compress/prune.js';
import { readModelFile } from '../../src/onnx/model.js';
import { readPolicyBytes } from '../../src/infer/open.js';
import { tensorToFloat32 } from '../../src/onnx/tensor.js';
import { referenceCheck } from '../support/onnx-checker.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-finetune-'));
const student = 'models/lunarlander-v3-student-64x64/student.onnx';

test('structured pruning + finetune agrees with the unpruned student more than pruning alone', async () => {
  const options = { sparsity: 0.5, structured: true };
  const plain = await applyPass(prunePass, student, join(dir, 'pruned.onnx'), options);
  const tuned = await applyPass(prunePass, student, join(dir, 'tuned.onnx'), options, undefined, finetuneAfterPrune(options, { rounds: 2, seed: 1 }));
  referenceCheck(join(dir, 'tuned.onnx'));
  assert.equal(tuned.after.parameters, plain.after.parameters, 'finetuning keeps the pruned shape');
  assert.ok(tuned.comparison!.agreement > plain.comparison!.agreement + 0.1, `agreement ${tuned.comparison!.agreement} vs ${plain.comparison!.agreement}`);
});

test('unstructured pruning + finetune keeps the zeros', async () => {
  const options = { sparsity: 0.6, structured: false };
  await applyPass(prunePass, 'models/cartpole-v1-student-16x16/student.onnx', join(dir, 'sparse.onnx'), options, undefined, finetuneAfterPrune(options, { rounds: 1, seed: 1 }));
  const weights = readModelFile(join(dir, 'sparse.onnx')).graph!.initializer.filter((t) => t.dims.length === 2).map(tensorToFloat32);
  for (const w of weights) assert.ok(w.filter((v) => v === 0).length >= Math.floor(0.6 * w.length), `${w.filter((v) => v === 0).length} zeros of ${w.length}`);
});

test('graphs that are not Gemm/Relu MLPs are refused with the node named', async () => {
  assert.throws(() => mlpLayers(readModelFile('models/minatar-breakout/teacher.onnx'), 'breakout'), /--finetune works on MLP policies.*node 0 .*is Transpose/);
  await assert.rejects(finetunePruned(readPolicyBytes('models/minatar-breakout/teacher.onnx'), student, 'breakout', { rounds: 1, seed: 1 }), /--finetune works on MLP policies/);
});
