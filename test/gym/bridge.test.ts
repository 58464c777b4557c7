// The Gymnasium bridge with a real Python process: a Gymnasium-API CartPole written in Python from the
// published equations (fixtures/cartpole_env.py; gymnasium itself cannot be installed on the test machines),
// driven through the bridge, against our TypeScript CartPole; vector stepping; and every failure of the
// user's env or setup as one line, with no bridge process left behind.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CartPoleEnv } from '../../src/envs/cartpole.js';
import { makeVectorEnv } from '../../src/envs/registry.js';
import { deriveSeed } from '../../src/envs/rng.js';
import type { Env } from '../../src/envs/types.js';
import { configureGymEnv } from '../../src/gym/index.js';
import { openPolicy } from '../../src/infer/open.js';
import { playEpisode, type ActFn } from '../../src/rollout/episode.js';
import { evaluatePolicy } from '../../src/rollout/evaluate.js';
import { evaluateLockstep } from '../../src/rollout/lockstep.js';
import { DEFAULT_EVAL_SEED } from '../../src/rollout/seeds.js';
import { UsageError } from '../../src/util/errors.js';
import { ourLines, ROOT, runCli } from '../cli/run-cli.js';

const PYTHON = '/usr/bin/python3';
const FIXTURES = join(ROOT, 'test/gym/fixtures');
const CARTPOLE = `${FIXTURES}/cartpole_env.py:CartPole`;
const FAULTY = `${FIXTURES}/faulty_env.py:Faulty`;
const TEACHER = 'models/cartpole-v1/teacher.onnx';
const dir = mkdtempSync(join(tmpdir(), 'qdistill-gym-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Push toward the pole's angle only: balances for a while, falls at lengths that differ from seed to seed. */
const lean = (o: Float32Array, at = 0) => (o[at + 2] > 0 ? 1 : 0);
const leanBatch = (o: Float32Array, count: number) => Array.from({ length: count }, (_, i) => lean(o, i * 4));

/** Whether process `pid` is gone (not running and not a zombie waiting to be reaped). */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 40; i++) {
    if (!existsSync(`/proc/${pid}`)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** The TypeScript CartPole's start state for each seed, so the Python CartPole can start where it does. */
function startStates(seeds: number[]): Record<string, number[]> {
  const env = new CartPoleEnv();
  return Object.fromEntries(seeds.map((s) => (env.reset(s), [String(s), Array.from(env.state)])));
}

/** Every observation of an episode, flattened. */
async function trajectory(env: Env, act: ActFn, seed: number): Promise<{ observations: number[]; total: number }> {
  const observations: number[] = [];
  const { total } = await playEpisode(env, act, seed, (o) => observations.push(...o));
  return { observations, total };
}

test('the committed teacher plays the same episodes through the bridge as in the TypeScript CartPole (same equations, same start states)', async () => {
  const seeds = Array.from({ length: 12 }, (_, i) => deriveSeed(DEFAULT_EVAL_SEED, i));
  const id = configureGymEnv({ env: CARTPOLE, python: PYTHON, kwargs: { start_states: startStates(seeds), max_episode_steps: 500 } });
  const teacher = await openPolicy(TEACHER);
  try {
    const ours = await evaluatePolicy('CartPole-v1', (o) => teacher.act(o), { episodes: seeds.length, seed: DEFAULT_EVAL_SEED });
    const bridged = await evaluatePolicy(id, (o) => teacher.act(o), { episodes: seeds.length, seed: DEFAULT_EVAL_SEED });
    assert.deepEqual(bridged.returns, ours.returns);
    assert.deepEqual(bridged.lengths, ours.lengths);
    // Not only the returns: the observations, step by step. V8's Math.sin/cos and glibc's (which Python
    // calls) may differ in the last bit of a float64, and an inverted pendulum amplifies such a bit over
    // hundreds of steps (measured: identical to step ~410, 5e-7 at step 430), so the first 300 steps of
    // each episode must agree to 1e-6; any error in the equations would show at once.
    const { makeEnv } = await import('../../src/envs/registry.js');
    for (const seed of seeds.slice(0, 2)) {
      const a = await trajectory(new CartPoleEnv(), (o) => teacher.act(o), seed);
      const pyEnv = makeEnv(id);
      const b = await trajectory(pyEnv, (o) => teacher.act(o), seed);
      pyEnv.close?.();
      assert.equal(b.observations.length, 500 * 4);
      const worst = Math.max(...a.observations.slice(0, 300 * 4).map((v, i) => Math.abs(v - b.observations[i])));
      assert.ok(worst < 1e-6, `largest difference in the first 300 steps: ${worst}`);
    }
  } finally {
    await teacher.dispose();
  }
  // A policy that falls: lengths differ per seed, and still match the TypeScript env's.
  const ours = await evaluatePolicy('CartPole-v1', (o) => lean(o), { episodes: seeds.length, seed: DEFAULT_EVAL_SEED });
  const bridged = await evaluatePolicy(id, (o) => lean(o), { episodes: seeds.length, seed: DEFAULT_EVAL_SEED });
  assert.ok(new Set(ours.lengths).size > 3, `lengths ${ours.lengths}`);
  assert.deepEqual(bridged.lengths, ours.lengths);
  assert.deepEqual(bridged.returns, ours.returns);
});

test('vector stepping plays the same episodes for N = 1 and N = 8 as one env played episode after episode', async () => {
  // The Python CartPole's own random starts (numpy's default_rng(seed)), a time limit of 200 steps.
  const id = configureGymEnv({ env: CARTPOLE, python: PYTHON, kwargs: { max_episode_steps: 40 } });
  const options = { episodes: 24, seed: 77 };
  const one = await evaluatePolicy(id, (o) => lean(o), options);
  const n1 = await evaluateLockstep(id, leanBatch, { ...options, numEnvs: 1 });
  const n8 = await evaluateLockstep(id, leanBatch, { ...options, numEnvs: 8 });
  assert.ok(new Set(one.lengths).size > 3, `lengths ${one.lengths}`);
  assert.deepEqual(n1.lengths, one.lengths);
  assert.deepEqual(n8.lengths, one.lengths);
  assert.deepEqual(n8.returns, one.returns);
  assert.ok(one.lengths.includes(40) && one.lengths.some((l) => l < 40), `lengths ${one.lengths}`);
  const vector = makeVectorEnv(id, 2);
  try {
    assert.equal(vector.spec.maxEpisodeSteps, 40);
    assert.equal(vector.spec.actionCount, 2);
    assert.deepEqual(vector.spec.observationShape, [4]);
  } finally {
    vector.close();
  }
});

test('eval --env gym:… --num-envs / --workers: the CLI drives the bridge, and neither changes the episodes', () => {
  // The committed student, which falls in some episodes of this Python CartPole's own starts.
  const run = (...flags: string[]) => runCli(['eval', 'models/cartpole-v1-student-16x16/student.onnx', '--env', `gym:${CARTPOLE}`, '--env-kwargs', '{"max_episode_steps": 150}', '--python', PYTHON, '--episodes', '12', ...flags, '--json']);
  const [a, b, c] = [run('--num-envs', '1'), run('--num-envs', '6'), run('--workers', '2')];
  for (const r of [a, b, c]) assert.equal(r.status, 0, r.stderr);
  const [ja, jb, jc] = [a, b, c].map((r) => JSON.parse(r.stdout));
  assert.equal(ja.env, `gym:${CARTPOLE}`);
  assert.equal(ja.lengths.length, 12);
  // Side by side in one Python process, and on two worker threads with a Python process each: the same episodes.
  assert.deepEqual(jb.returns, ja.returns);
  assert.deepEqual(jc.returns, ja.returns);
});

/** Runs eval on the faulty env and returns the one qdistill line, checking exit 2 and that the bridge process is gone. */
async function failure(kwargs: Record<string, unknown>, extra: string[] = [], env = FAULTY): Promise<string> {
  const pidFile = join(dir, `pid-${Math.random().toString(36).slice(2)}`);
  const r = runCli(['eval', TEACHER, '--env', `gym:${env}`, '--env-kwargs', JSON.stringify({ max_episode_steps: 50, ...kwargs, pid_file: pidFile }), '--python', PYTHON, '--episodes', '2', ...extra]);
  assert.equal(r.status, 2, `${JSON.stringify(kwargs)}: ${r.stderr}`);
  const lines = ourLines(r.stderr);
  assert.equal(lines.length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+|Traceback/);
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(await gone(pid), `bridge process ${pid} still there after ${JSON.stringify(kwargs)}`);
  }
  return lines[0];
}

test('every failure of the env or the setup is one line with exit 2, and no bridge process is left', async () => {
  assert.match(await failure({}, ['--python', '/nonexistent/python3']), /no Python '\/nonexistent\/python3' to run the env/);
  assert.match(await failure({}, [], 'CartPole-v1'), /gymnasium is not installed for .*python3.*\(gym:CartPole-v1\)$/);
  assert.match(await failure({}, [], `${FIXTURES}/faulty_env.py:Nope`), /faulty_env\.py has no Nope/);
  assert.match(await failure({}, [], `${FIXTURES}/missing.py:Env`), /no Python file .*missing\.py/);
  assert.match(await failure({ fault: 'raise-in-init' }), /making the env raised ValueError: cannot open the simulator/);
  assert.match(await failure({ fault: 'raise' }), /the env raised RuntimeError in step \(env 0\): the simulator lost its state \[faulty_env\.py:\d+\]/);
  assert.match(await failure({ fault: 'die' }), /the env's Python process \(\/usr\/bin\/python3\) ended during step: exit code 3/);
  assert.match(await failure({ fault: 'hang' }, ['--env-timeout', '1.5']), /the env did not answer step within 1\.5 s/);
  assert.match(await failure({ fault: 'dtype' }), /step returned an observation of dtype object; the Box space needs numbers/);
  assert.match(await failure({ fault: 'shape-on-reset' }), /reset returned an observation of shape \[3\]; the observation space says \[4\]/);
  assert.match(await failure({ fault: 'old-api' }), /step returned something other than \(observation, reward, terminated, truncated, info\)/);
  assert.match(await failure({}, [], `${FIXTURES}/faulty_env.py:DictObservations`), /the observation space is Dict; qdistill takes Box observations/);
  assert.match(await failure({ fault: 'nan' }), /step returned an observation with NaN or infinite values \(env 0\)/);
  assert.match(await failure({ fault: 'inf-reward' }), /step returned a reward of inf \(env 0\); returns must be finite/);
  assert.match(await failure({ fault: 'none-reward' }), /step returned a reward that is not one number: None/);
  assert.match(await failure({ fault: 'old-reset' }), /reset returned something other than \(observation, info\)/);
  assert.match(await failure({}, [], `${FIXTURES}/faulty_env.py`), /a Python file names its env class after a colon: gym:.*faulty_env\.py:ClassName/);
  assert.match(await failure({}, ['--python', '/bin/true']), /ended during making the env: exit code 0 \(is '\/bin\/true' a Python 3 with numpy\?\)/);
  // No time limit: refused before the first episode, which might never end.
  assert.match(await failure({ max_episode_steps: null }), /has no time limit, so an episode might never end/);
  // Flags that need a gym: env are refused with a built-in one.
  const r = runCli(['eval', TEACHER, '--env', 'CartPole-v1', '--env-kwargs', '{}']);
  assert.equal(r.status, 2);
  assert.match(ourLines(r.stderr)[0], /--env-kwargs applies to gym: envs only, and CartPole-v1 is built in/);
});

test('what the env prints goes to stderr, not into the protocol', () => {
  const r = runCli(['eval', TEACHER, '--env', `gym:${FAULTY}`, '--env-kwargs', '{"fault": "print", "at_step": 2, "max_episode_steps": 20}', '--python', PYTHON, '--episodes', '2', '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).lengths, [20, 20]);
});

test('a bridge process killed mid-episode ends the run with one UsageError, and it is reaped at once', async () => {
  const pidFile = join(dir, 'killed');
  const id = configureGymEnv({ env: FAULTY, python: PYTHON, kwargs: { pid_file: pidFile, max_episode_steps: 500 } });
  let steps = 0;
  let pid = 0;
  await assert.rejects(
    evaluateLockstep(id, (o, count) => {
      if (++steps === 20) {
        pid = Number(readFileSync(pidFile, 'utf8'));
        process.kill(pid, 'SIGKILL');
      }
      return leanBatch(o, count);
    }, { episodes: 4, seed: 1 }),
    (error: Error) => error instanceof UsageError && /ended during step: killed by SIGKILL/.test(error.message),
  );
  assert.ok(pid > 0);
  // Gone while this process still runs: the worker thread reaped it (no zombie).
  assert.ok(await gone(pid), `process ${pid} left behind`);
  // A hung env in this process: the timeout kills and reaps it too.
  const hungFile = join(dir, 'hung');
  const hung = configureGymEnv({ env: FAULTY, python: PYTHON, kwargs: { fault: 'hang', at_step: 2, pid_file: hungFile, max_episode_steps: 500 }, timeoutSeconds: 1 });
  await assert.rejects(evaluatePolicy(hung, (o) => lean(o), { episodes: 1, seed: 1 }), /did not answer step within 1 s/);
  assert.ok(await gone(Number(readFileSync(hungFile, 'utf8'))));
});

test('distill --env gym:… makes a student that plays 500 through the bridge', () => {
  const out = join(dir, 'student');
  const env = ['--env', `gym:${CARTPOLE}`, '--env-kwargs', '{"max_episode_steps": 500}', '--python', PYTHON];
  const d = runCli(['distill', TEACHER, ...env, '--student', '16,16', '--eval-episodes', '30', '--final-episodes', '30', '--out', out, '--json'], 300_000);
  assert.equal(d.status, 0, d.stderr);
  const card = JSON.parse(readFileSync(join(out, 'card.json'), 'utf8'));
  assert.equal(card.env, `gym:${CARTPOLE}`);
  assert.ok(card.evalReward.mean >= 495, `student ${card.evalReward.mean}`);
  // Played again through the bridge, side by side, from the evaluation seeds.
  const e = runCli(['eval', join(out, 'student.onnx'), ...env, '--episodes', '30', '--num-envs', '10', '--json']);
  assert.equal(e.status, 0, e.stderr);
  assert.ok(JSON.parse(e.stdout).mean >= 495, e.stdout);
  // The student's file records how its env was made (the time limit): eval without --env makes it the same way.
  const again = runCli(['eval', join(out, 'student.onnx'), '--python', PYTHON, '--episodes', '2', '--json']);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).env, `gym:${CARTPOLE}`);
  assert.deepEqual(JSON.parse(again.stdout).lengths, [500, 500]);
});

test('export web refuses a gym: env in one line: its page could not play an env that runs in Python', () => {
  const r = runCli(['export', 'web', TEACHER, '--env', `gym:${CARTPOLE}`, '--python', PYTHON, '--out', join(dir, 'site')]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(ourLines(r.stderr)[0], /only the built-in envs .* can do; gym:.*cartpole_env\.py:CartPole runs in Python/);
  assert.ok(!existsSync(join(dir, 'site')));
});
