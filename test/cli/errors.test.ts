import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ourLines, runCli } from './run-cli.js';

/** Bad input: exit code 2 and exactly one line on stderr, starting with "qdistill: ". */
function assertUsageError(args: string[], pattern: RegExp): void {
  const r = runCli(args);
  assert.equal(r.status, 2, `exit code for ${args.join(' ')}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0], /^qdistill: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/); // no stack without --verbose
}

test('unknown environment → one line, exit 2', () => {
  assertUsageError(['train', 'Pong-v5', '--out', '/tmp/x'], /unknown environment 'Pong-v5' \(known: CartPole-v1, /);
  assertUsageError(['eval', 'models/cartpole-v1', '--env', 'Pong-v5'], /unknown environment 'Pong-v5'/);
});

test('bad flag values → one line, exit 2', () => {
  assertUsageError(['train', 'CartPole-v1', '--out', '/tmp/x', '--steps', 'lots'], /--steps.*'lots' is invalid.*integer/);
  assertUsageError(['train', 'CartPole-v1', '--out', '/tmp/x', '--gamma', '1.5'], /--gamma.*invalid/);
  assertUsageError(['train', 'CartPole-v1', '--out', '/tmp/x', '--backend', 'tpu'], /--backend.*'tpu'.*one of auto, cpu, wasm/);
  assertUsageError(['train', 'CartPole-v1', '--out', '/tmp/x', '--net-arch', '64,-1'], /--net-arch.*positive integers/);
  assertUsageError(['train', 'CartPole-v1', '--out', '/tmp/x', '--gradient-steps', '0'], /gradientSteps must be a positive integer or -1/);
  assertUsageError(['train', 'CartPole-v1', '--out', '/tmp/x', '--no-such-flag'], /unknown option '--no-such-flag'/);
  assertUsageError(['train', 'CartPole-v1'], /required option '--out <dir>' not specified/);
  assertUsageError(['frobnicate'], /unknown command 'frobnicate'/);
});

test('a config file with an unknown hyperparameter or a bad value → one line, exit 2', () => {
  assertUsageError(['train', 'CartPole-v1', '--out', '/tmp/x', '--config', 'test/cli/fixtures/unknown-key.json'], /unknown hyperparameter 'learning_rat' \(test\/cli\/fixtures\/unknown-key.json\)/);
  assertUsageError(['train', 'CartPole-v1', '--out', '/tmp/x', '--config', 'test/cli/fixtures/bad-value.json'], /'batch_size' has the wrong type/);
  assertUsageError(['train', 'CartPole-v1', '--out', '/tmp/x', '--config', 'test/cli/fixtures/missing.json'], /no such file/);
});

test('missing model file → one line, exit 2', () => {
  assertUsageError(['eval', 'models/no-such-model', '--env', 'CartPole-v1'], /model file not found \(models\/no-such-model\)/);
  assertUsageError(['train', 'CartPole-v1', '--out', '/tmp/qdistill-nothing-here', '--resume'], /nothing to resume/);
  assertUsageError(['distill', '--from-demos', 'runs/no-such-demos.qdb', '--student', '8', '--out', '/tmp/qdistill-nothing-here'], /no such file \(runs\/no-such-demos\.qdb\)/);
  assertUsageError(['distill', 'models/cartpole-v1/teacher.onnx', '--dataset', 'runs/no-such.qdb', '--student', '8', '--out', '/tmp/qdistill-nothing-here'], /no such file \(runs\/no-such\.qdb\)/);
});

test('a model that does not fit the environment → one line, exit 2', () => {
  assertUsageError(['eval', 'models/cartpole-v1', '--env', 'Acrobot-v1'], /model takes \[4\] and gives 2 values, but Acrobot-v1 has observations \[6\] and 3 actions/);
});

test('a missing optional backend says how to install it', () => {
  const r = runCli(['train', 'CartPole-v1', '--out', '/tmp/x', '--backend', 'tensorflow', '--steps', '10']);
  assert.equal(r.status, 2);
  assert.deepEqual(ourLines(r.stderr), [
    "qdistill: backend 'tensorflow' needs @tensorflow/tfjs-node, which is not installed; install it with `npm install @tensorflow/tfjs-node@4.22.0` (its install script downloads libtensorflow from storage.googleapis.com)",
  ]);
});

test('--verbose adds the stack trace', () => {
  const r = runCli(['eval', 'models/no-such-model', '--env', 'CartPole-v1', '--verbose']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /UsageError: model file not found/);
  assert.match(r.stderr, /\n\s+at /);
});
