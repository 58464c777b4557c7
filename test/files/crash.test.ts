// Crash safety with real processes and real files: train, distill and quantize killed with SIGKILL at seeded
// random moments (three kills each), then run again. After every kill no final name holds a partial file; after
// the next run no temp file or lock is left; a resumed training run continues from its last checkpoint and
// ends bit for bit where the uninterrupted run ends (the same weights file, named by its content hash). The
// uninterrupted run also serves the lock test (two runs into its folder: one is refused) and the NaN checkpoint.
// The three commands run side by side (subtests in parallel) to keep the wall time small.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { readBundle, writeBundle } from '../../src/util/tensor-bundle.js';
import { kill9, leftovers, ourLines, runCli, seededRandom, sleep, startCli, type Finished } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const STUDENT = 'models/cartpole-v1-student-16x16/student.onnx';
const INTERVAL = 200;
const STEPS = 2000;
const trainArgs = (out: string) => [
  'train', 'CartPole-v1', '--out', out, '--steps', String(STEPS), '--net-arch', '8', '--checkpoint-interval', String(INTERVAL),
  '--learning-starts', '200', '--train-freq', '16', '--gradient-steps', '2', '--batch-size', '16', '--buffer-size', '2000',
  '--eval-episodes', '2', '--backend', 'cpu', '--seed', '5', '--json',
];

/** The step of the checkpoint in `out`, or -1 while there is none. A checkpoint is always whole: it is written atomically. */
function checkpointStep(out: string): number {
  const path = join(out, 'checkpoint.qdb');
  if (!existsSync(path)) return -1;
  return readBundle<{ step: number }>(path).meta.step;
}

const weightsFile = (out: string) => readdirSync(out).filter((f) => /^weights-[0-9a-f]{12}\.bin$/.test(f));

async function isValidOnnx(path: string): Promise<boolean> {
  try {
    const session = await ort.InferenceSession.create(readFileSync(path));
    await session.release();
    return true;
  } catch {
    return false;
  }
}

async function trainKilledThreeTimes(): Promise<void> {
  const reference = join(dir, 'train-reference');
  const killed = join(dir, 'train-killed');
  // Two runs into one folder, started together: one takes the folder's lock, the other is refused in one line
  // naming the first's pid. The one that runs is the uninterrupted reference.
  const pair = [startCli(trainArgs(reference)), startCli(trainArgs(reference))];
  const uninterrupted = (async () => {
    const results = await Promise.all(pair.map((r) => r.done));
    const winner = results.findIndex((r) => r.status === 0);
    assert.ok(winner >= 0, results.map((r) => r.stderr).join('\n'));
    const loser = results[1 - winner];
    assert.equal(loser.status, 2, loser.stderr);
    assert.deepEqual(ourLines(loser.stderr), [`qdistill: ${reference} is in use by another qdistill run (pid ${pair[winner].child.pid})`]);
    return results[winner];
  })();

  const random = seededRandom(7); // the first kill comes after the first checkpoint: one made before learning starts, without Adam moments
  let lastStep = -1;
  for (let kill = 0; kill < 3; kill++) {
    const run = startCli([...trainArgs(killed), ...(kill > 0 ? ['--resume'] : [])]);
    // Kill a random number of checkpoint intervals after the last one, a random few milliseconds after a checkpoint.
    const target = Math.max(lastStep, 0) + INTERVAL * (1 + Math.floor(random() * 2));
    let exited: Finished | undefined;
    run.done.then((r) => (exited = r));
    while (checkpointStep(killed) < target && !exited) await sleep(10);
    await sleep(Math.floor(random() * 80));
    const result = await kill9(run);
    assert.equal(result.signal, 'SIGKILL', `run ${kill} ended before it was killed: ${result.stderr}`);
    // Nothing under a final name but the checkpoint, and that one whole (readBundle checks every array's extent).
    for (const name of ['teacher.onnx', 'model.json', 'card.json']) assert.ok(!existsSync(join(killed, name)), `${name} after kill ${kill}`);
    assert.deepEqual(weightsFile(killed), []);
    const step = checkpointStep(killed);
    assert.ok(step >= target && step % INTERVAL === 0 && step > lastStep, `checkpoint at step ${step} after kill ${kill} (target ${target})`);
    lastStep = step;
  }
  // What a kill in the middle of a checkpoint write leaves (a temp of a dead pid): the next run sweeps it.
  const dead = spawnSync(process.execPath, ['-e', '']).pid;
  writeFileSync(join(killed, `.tmp-checkpoint.qdb-${dead}-0123abcd`), 'half a checkpoint');
  // The last resume asks for --backend auto: it trains on the backend the checkpoint records (cpu), whatever
  // auto's timing would pick, so it still ends where the uninterrupted cpu run ends.
  const resumed = await runCli([...trainArgs(killed).map((a) => (a === 'cpu' ? 'auto' : a)), '--resume']);
  assert.equal(resumed.status, 0, resumed.stderr);
  const card = JSON.parse(resumed.stdout);
  assert.equal(card.backend, 'cpu');
  assert.match(card.backendReason, /resumed/);
  assert.equal(card.resumedFromStep, lastStep, 'resumed from the last checkpoint: at most one interval lost');
  assert.equal(card.steps, STEPS);
  assert.deepEqual(leftovers(killed), [], 'temp files, locks or staged folders left after the resumed run');

  const whole = await uninterrupted;
  assert.equal(whole.status, 0, whole.stderr);
  const wholeCard = JSON.parse(whole.stdout);
  assert.deepEqual(weightsFile(killed), weightsFile(reference), 'the weights of the resumed run differ from the uninterrupted one');
  assert.equal(weightsFile(killed).length, 1);
  assert.deepEqual(card.evalReturns, wholeCard.evalReturns);
  assert.equal(card.episodes, wholeCard.episodes);
  assert.deepEqual(leftovers(reference), []);

  // A checkpoint with a NaN in its weights is refused on resume, in one line naming the file.
  const poisoned = join(dir, 'train-nan');
  mkdirSync(poisoned);
  copyFileSync(join(reference, 'checkpoint.qdb'), join(poisoned, 'checkpoint.qdb'));
  const bundle = readBundle(join(poisoned, 'checkpoint.qdb'));
  (bundle.arrays['q/2'] as Float32Array)[1] = NaN;
  writeBundle(join(poisoned, 'checkpoint.qdb'), bundle);
  const refused = await runCli([...trainArgs(poisoned), '--resume']);
  assert.equal(refused.status, 2, refused.stderr);
  const lines = ourLines(refused.stderr);
  assert.equal(lines.length, 1, refused.stderr);
  assert.match(lines[0], /checkpoint holds NaN in the Q-network's weights \(q\/2, element 1\).*cannot be resumed/);
  assert.ok(lines[0].endsWith(`(${join(poisoned, 'checkpoint.qdb')})`), lines[0]);
  assert.deepEqual(leftovers(poisoned), []);
}

async function distillKilledThreeTimes(): Promise<void> {
  const out = join(dir, 'distill');
  const args = ['distill', STUDENT, '--student', '4', '--out', out, '--rounds', '2', '--steps-per-round', '200', '--gradient-steps', '20', '--eval-episodes', '1', '--final-episodes', '1', '--no-early-stop', '--seed', '3', '--json'];
  const set = ['card.json', 'dataset.qdb', 'student.onnx'];
  const random = seededRandom(23);
  for (let kill = 0; kill < 3; kill++) {
    const run = startCli(args);
    await sleep(500 + Math.floor(random() * 2500));
    const result = await kill9(run);
    const present = set.filter((name) => existsSync(join(out, name)));
    if (result.signal === 'SIGKILL') {
      assert.ok(present.length === 0 || present.length === set.length, `after kill ${kill}: ${present.join(', ')}`);
    } else {
      assert.equal(result.status, 0, result.stderr); // finished before the kill: then the set is whole
      assert.deepEqual(present, set);
    }
  }
  const final = await runCli(args);
  assert.equal(final.status, 0, final.stderr);
  assert.equal(JSON.parse(final.stdout).out, out);
  assert.deepEqual(readdirSync(out).sort(), set, 'the folder holds the set and nothing else');
  assert.equal(JSON.parse(readFileSync(join(out, 'card.json'), 'utf8')).kind, 'student');
  assert.ok(await isValidOnnx(join(out, 'student.onnx')));
  assert.ok(readBundle(join(out, 'dataset.qdb')).arrays.observations.length > 0);
}

async function quantizeKilledThreeTimes(): Promise<void> {
  const out = join(dir, 'quantize');
  mkdirSync(out);
  const file = join(out, 'student-int8.onnx');
  const args = ['quantize', STUDENT, '--mode', 'dynamic', '--episodes', '0', '--out', file];
  const random = seededRandom(37);
  for (let kill = 0; kill < 3; kill++) {
    const run = startCli(args);
    await sleep(300 + Math.floor(random() * 1500));
    await kill9(run);
    if (existsSync(file)) assert.ok(await isValidOnnx(file), `a partial ${file} after kill ${kill}`);
  }
  const final = await runCli(args);
  assert.equal(final.status, 0, final.stderr);
  assert.ok(await isValidOnnx(file));
  assert.deepEqual(readdirSync(out), ['student-int8.onnx']);

  // An input onnxruntime refuses (IR version 99) fails before anything is written: exit 2, no output file.
  const ir99 = join(dir, 'ir99.onnx');
  const bytes = readFileSync(STUDENT);
  assert.deepEqual([bytes[0], bytes[1]], [0x08, 0x08], 'ir_version is the first field');
  bytes[1] = 99;
  writeFileSync(ir99, bytes);
  const failed = await runCli(['quantize', ir99, '--mode', 'dynamic', '--episodes', '0', '--out', join(out, 'ir99-int8.onnx')]);
  assert.equal(failed.status, 2, failed.stderr);
  assert.equal(ourLines(failed.stderr).length, 1, failed.stderr);
  assert.match(failed.stderr, /IR version/);
  assert.deepEqual(readdirSync(out), ['student-int8.onnx']);
}

test('SIGKILL at seeded random moments, three times per command, then the next run', { concurrency: 3 }, async (t) => {
  await Promise.all([
    t.test('train: each resume starts from the last checkpoint, and the result equals the uninterrupted run; of two runs into one folder one is refused; a NaN checkpoint is refused', trainKilledThreeTimes),
    t.test('distill: the folder holds the whole student set or nothing, and the next run leaves no temp files', distillKilledThreeTimes),
    t.test('quantize: never a partial output file, and the next run leaves no temp files', quantizeKilledThreeTimes),
  ]);
});
