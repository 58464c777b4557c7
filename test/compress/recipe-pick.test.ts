// The recipe never picks a candidate that fails `keep`, however small or fast it is (hand-made cases and
// many random candidate sets), and it tries the mixed-precision search for every int8 mode: the search
// variant's card step names the layers that stayed float32, they are float in its file, and a search that
// quantized nothing is not a candidate.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { MEANINGFULLY_FASTER, pickCandidate, type Candidate } from '../../src/pipelines/compress-recipe.js';
import { RECIPE_VARIANTS } from '../../src/pipelines/recipe-variants.js';
import { Rng } from '../../src/envs/rng.js';
import { readModelFile } from '../../src/onnx/model.js';
import { DataType } from '../../src/onnx/tensor.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-recipe-pick-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const KEEP = 0.98;
const candidate = (name: string, bytes: number, p50Us: number, ofTeacher: number, steps = [name]): Candidate => ({
  name, file: `${name}.onnx`, steps, bytes, parameters: 1, macs: 1, reward: { mean: ofTeacher, std: 0, episodes: 100 }, ofTeacher, keeps: ofTeacher >= KEEP, p50Us, agreementWithParent: null,
});
const teacher = candidate('teacher', 270_000, 15, 1, []);

test('a candidate that loses reward is never picked, even the smallest and fastest within the close size', () => {
  const lossy = candidate('int8 that lost the action', 900, 1, 0.5);
  const justBelow = candidate('just below keep', 950, 2, KEEP - 1e-9);
  const keeper = candidate('keeps', 1000, 10, KEEP);
  const { pick } = pickCandidate([teacher, lossy, justBelow, keeper], 1.1);
  assert.equal(pick.name, 'keeps');
  // Only losers besides the teacher: the teacher, and the reason says so.
  const only = pickCandidate([teacher, lossy, justBelow], 1.1);
  assert.equal(only.pick.name, 'teacher');
  assert.match(only.why, /teacher itself/);
});

test('over many random candidate sets the pick always keeps, and is the smallest keeper or a close, meaningfully faster one', () => {
  const rng = new Rng(12);
  for (let round = 0; round < 2000; round++) {
    const candidates = [teacher];
    const n = 1 + rng.int(12);
    for (let i = 0; i < n; i++) candidates.push(candidate(`c${i}`, 500 + rng.int(5000), 1 + 20 * rng.random(), rng.random() < 0.5 ? rng.random() : KEEP + (1 - KEEP) * rng.random()));
    const { pick } = pickCandidate(candidates, 1.1);
    assert.ok(pick.keeps, `round ${round}: picked ${pick.name} with ${pick.ofTeacher}`);
    const smallest = candidates.filter((c) => c.keeps).sort((a, b) => a.bytes - b.bytes)[0];
    assert.ok(pick === smallest || (pick.bytes <= smallest.bytes * 1.1 && pick.p50Us <= smallest.p50Us * MEANINGFULLY_FASTER), `round ${round}`);
  }
});

test('the recipe tries --keep-float auto for each int8 mode, after the plain pass of that mode', () => {
  const names = RECIPE_VARIANTS.map((v) => v.name);
  for (const mode of ['int8-dynamic', 'int8-static', 'int8-weights']) {
    assert.ok(names.includes(`${mode}-auto`), `${mode}-auto in ${names.join(', ')}`);
    assert.equal(names.indexOf(`${mode}-auto`), names.indexOf(mode) + 1);
  }
});

test("the search variant's step names the layers kept float32, and they are float in its file", async () => {
  const variant = RECIPE_VARIANTS.find((v) => v.name === 'int8-weights-auto')!;
  const out = join(dir, 'torch-mlp.int8-weights-auto.onnx');
  // The PyTorch CartPole MLP: no layer keeps 99% as int8 weights, so the honest step is "nothing quantized".
  const { result, step, skip } = await variant.apply('models/pytorch/cartpole-v1-mlp.onnx', out, 'CartPole-v1');
  assert.equal(step, 'quantize --weights-only --keep-float auto (nothing quantized)');
  // Not a candidate: the recipe logs the reason instead of measuring a copy of the parent.
  assert.match(skip ?? '', /^nothing quantized: /);
  const model = readModelFile(out);
  const floats = new Set(model.graph!.initializer.filter((t) => t.dataType === DataType.FLOAT).map((t) => t.name));
  for (const gemm of model.graph!.node.filter((n) => n.opType === 'Gemm')) assert.ok(floats.has(gemm.input[1]), gemm.name);
  assert.equal(result.comparison!.agreement, 1);
  // On a student that quantizes well, every layer is int8.
  const student = await variant.apply('models/cartpole-v1-student-16x16/student.onnx', join(dir, 'student.int8-weights-auto.onnx'), 'CartPole-v1');
  assert.match(student.step, /^quantize --weights-only --keep-float auto \((every layer int8|kept float32: .+)\)$/);
  assert.equal(student.skip, undefined);
});
