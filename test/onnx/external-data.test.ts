// ONNX external data as torch / onnx users write it (onnx.save_model(..., save_as_external_data=True) on a
// real torch.onnx export, made here by /usr/bin/python3): qdistill reads the tensors from beside the model,
// runs it with torch's Q-values, writes self-contained outputs the ONNX checker accepts, and refuses data
// files that are missing, truncated or outside the model's folder with one line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { applyPass, dynamicQuantizationPass } from '../../src/compress/index.js';
import { openPolicy } from '../../src/infer/open.js';
import { readModelFile } from '../../src/onnx/model.js';
import { UsageError } from '../../src/util/errors.js';
import { readFloat32 } from '../support/float32-file.js';
import { referenceCheck } from '../support/onnx-checker.js';

const SCRIPT = String.raw`
import sys, numpy as np, torch, onnx
d = sys.argv[1]
torch.manual_seed(3)
net = torch.nn.Sequential(torch.nn.Linear(4, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 2))
torch.onnx.export(net, torch.zeros(1, 4), f"{d}/plain.onnx", input_names=["obs"], output_names=["q"], dynamic_axes={"obs": {0: "batch"}, "q": {0: "batch"}})
m = onnx.load(f"{d}/plain.onnx")
onnx.save_model(m, f"{d}/one/model.onnx", save_as_external_data=True, all_tensors_to_one_file=True, location="model.data", size_threshold=0)
m = onnx.load(f"{d}/plain.onnx")
onnx.save_model(m, f"{d}/many/model.onnx", save_as_external_data=True, all_tensors_to_one_file=False, size_threshold=0)
m = onnx.load(f"{d}/one/model.onnx", load_external_data=False)
for t in m.graph.initializer:
    for e in t.external_data:
        if e.key == "location": e.value = "../secret.data"
onnx.save_model(m, f"{d}/escape/model.onnx")
states = (np.random.default_rng(0).standard_normal((64, 4)) * 0.5).astype(np.float32)
states.tofile(f"{d}/states.f32")
with torch.no_grad(): net(torch.from_numpy(states)).numpy().astype(np.float32).tofile(f"{d}/q.f32")
`;

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'qdistill-external-'));
  for (const sub of ['one', 'many', 'escape']) mkdirSync(join(dir, sub));
  const r = spawnSync('/usr/bin/python3', ['-c', SCRIPT, dir], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw new Error(`cannot run /usr/bin/python3 (apt-get install python3-torch python3-onnx): ${r.error.message}`);
  assert.equal(r.status, 0, r.stderr);
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function qValues(file: string): Promise<Float32Array> {
  const policy = await openPolicy(file, { env: 'CartPole-v1' });
  try {
    const states = readFloat32(join(dir, 'states.f32'));
    return await policy.qValues(states, 64);
  } finally {
    await policy.dispose();
  }
}

function assertClose(actual: Float32Array, expected: Float32Array): void {
  assert.equal(actual.length, expected.length);
  const scale = Math.max(...expected.map(Math.abs));
  for (let i = 0; i < actual.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= 1e-5 * scale, `Q[${i}] ${actual[i]} vs torch ${expected[i]}`);
}

for (const layout of ['one', 'many']) {
  test(`external data in ${layout === 'one' ? 'one file' : 'a file per tensor'}: onnxruntime gives torch's Q-values`, async () => {
    assertClose(await qValues(join(dir, layout, 'model.onnx')), readFloat32(join(dir, 'q.f32')));
  });
}

test('a pass on a model with external data writes a self-contained file the ONNX checker accepts', async () => {
  const out = join(dir, 'int8.onnx');
  await applyPass(dynamicQuantizationPass, join(dir, 'one', 'model.onnx'), out, { perChannel: false, keepInputLayer: false });
  const written = readModelFile(out);
  assert.ok(written.graph!.initializer.every((t) => t.dataLocation !== 1 && !t.externalData?.length), 'an initializer still points to external data');
  const check = referenceCheck(out);
  assert.ok(check.ok, check.message);
});

test('a data file that is missing, truncated or outside the folder is one clear line', async () => {
  const lone = join(dir, 'lone.onnx');
  copyFileSync(join(dir, 'one', 'model.onnx'), lone);
  await assert.rejects(openPolicy(lone, { env: 'CartPole-v1' }), (e: Error) => e instanceof UsageError && /keeps its data in 'model\.data', which is not beside the model/.test(e.message));
  await assert.rejects(openPolicy(join(dir, 'escape', 'model.onnx'), { env: 'CartPole-v1' }), (e: Error) => e instanceof UsageError && /outside the model's folder/.test(e.message));
  truncateSync(join(dir, 'one', 'model.data'), 100);
  await assert.rejects(openPolicy(join(dir, 'one', 'model.onnx'), { env: 'CartPole-v1' }), (e: Error) => e instanceof UsageError && /past its end \(100 bytes\)/.test(e.message));
});
