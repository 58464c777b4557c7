import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MinAtarBreakoutEnv, type BreakoutState } from '../../src/envs/minatar-breakout.js';

// MinAtar's rules, by hand. Directions: 0 up-left, 1 up-right, 2 down-right, 3 down-left; row 0 is the top.
// Actions (minimal set): 0 no-op, 1 left, 2 right. Observation index (row * 10 + col) * 4 + channel,
// channels paddle 0, ball 1, trail 2, brick 3.
const idx = (row: number, col: number, channel: number) => (row * 10 + col) * 4 + channel;
const PADDLE = 0;
const BALL = 1;
const TRAIL = 2;
const BRICK = 3;

function brickRows(): Uint8Array {
  const b = new Uint8Array(100);
  for (let i = 10; i < 40; i++) b[i] = 1;
  return b;
}

/** A deterministic env (no sticky actions) with the ball and paddle placed by hand; bricks default to rows 1–3. */
function placed(state: Partial<BreakoutState>): MinAtarBreakoutEnv {
  const env = new MinAtarBreakoutEnv();
  env.reset(0);
  env.stickyActionProb = 0;
  env.state = {
    ...env.state,
    strike: false,
    terminal: false,
    lastAction: 0,
    bricks: brickRows(),
    ...state,
  };
  env.state.lastX = env.state.ballX;
  env.state.lastY = env.state.ballY;
  return env;
}

const countBricks = (env: MinAtarBreakoutEnv) => env.state.bricks.reduce((a, b) => a + b, 0);

test('Breakout: reset puts the ball in row 3 at a side heading down and inwards, paddle at 4, bricks in rows 1–3', () => {
  const env = new MinAtarBreakoutEnv();
  const starts = new Set<string>();
  for (let seed = 0; seed < 40; seed++) {
    const obs = env.reset(seed);
    const { ballX, ballY, ballDir, pos, lastX, lastY } = env.state;
    assert.ok((ballX === 0 && ballDir === 2) || (ballX === 9 && ballDir === 3), `${ballX} ${ballDir}`);
    assert.equal(ballY, 3);
    assert.equal(pos, 4);
    assert.deepEqual([lastX, lastY], [ballX, ballY]);
    starts.add(`${ballX}`);
    assert.equal(obs[idx(3, ballX, BALL)], 1);
    assert.equal(obs[idx(3, ballX, TRAIL)], 1);
    assert.equal(obs[idx(9, 4, PADDLE)], 1);
    for (let r = 0; r < 10; r++) {
      for (let c = 0; c < 10; c++) assert.equal(obs[idx(r, c, BRICK)], r >= 1 && r <= 3 ? 1 : 0);
    }
    assert.equal(obs.reduce((a, b) => a + b, 0), 33);
  }
  assert.deepEqual([...starts].sort(), ['0', '9'], 'both starts occur');
});

test('Breakout: observation is HWC float32 with channels paddle, ball, trail, brick', () => {
  const bricks = new Uint8Array(100);
  bricks[2 * 10 + 6] = 1; // one brick at row 2, column 6
  const env = placed({ ballX: 1, ballY: 4, ballDir: 2, pos: 7, bricks });
  const { observation: obs } = env.step(0); // ball (4,1) → (5,2); trail at (4,1)
  assert.ok(obs instanceof Float32Array);
  assert.equal(obs.length, 400);
  const ones = new Set([idx(9, 7, PADDLE), idx(5, 2, BALL), idx(4, 1, TRAIL), idx(2, 6, BRICK)]);
  for (let i = 0; i < 400; i++) assert.equal(obs[i], ones.has(i) ? 1 : 0, `index ${i}`);
});

test('Breakout: ball landing on the paddle bounces straight up; off its corner it goes back', () => {
  // Ball at (row 8, col 4) heading down-right, paddle under it at column 4:
  // target (9, 5) is the paddle row; the ball's own column is the paddle's → flip vertical: dir 2 → 1, row back to 8.
  let env = placed({ ballX: 4, ballY: 8, ballDir: 2, pos: 4 });
  let r = env.step(0);
  assert.deepEqual([env.state.ballX, env.state.ballY, env.state.ballDir], [5, 8, 1]);
  assert.equal(r.reward, 0);
  assert.equal(r.terminated, false);
  // Ball at (8, 3) heading down-right, paddle at 4: the landing column 4 is the paddle's → flip both: dir 2 → 0.
  env = placed({ ballX: 3, ballY: 8, ballDir: 2, pos: 4 });
  r = env.step(0);
  assert.deepEqual([env.state.ballX, env.state.ballY, env.state.ballDir], [4, 8, 0]);
  assert.equal(r.terminated, false);
  // The paddle moves before the ball: ball at (8, 5) heading down-left lands on column 4; paddle at 3 moving right
  // reaches 4 in time → dir 3 → 1 (up-right), back to row 8.
  env = placed({ ballX: 5, ballY: 8, ballDir: 3, pos: 3 });
  r = env.step(2);
  assert.equal(env.state.pos, 4);
  assert.deepEqual([env.state.ballX, env.state.ballY, env.state.ballDir], [4, 8, 1]);
  assert.equal(r.terminated, false);
  // Same, but the paddle stays at 3: the ball passes the bottom.
  env = placed({ ballX: 5, ballY: 8, ballDir: 3, pos: 3 });
  r = env.step(0);
  assert.equal(r.terminated, true);
});

test('Breakout: the paddle moves one column per step and stops at the edges', () => {
  const env = placed({ ballX: 5, ballY: 5, ballDir: 0, pos: 0 });
  env.step(1);
  assert.equal(env.state.pos, 0);
  env.step(2);
  assert.equal(env.state.pos, 1);
  env.state.pos = 9;
  env.step(2);
  assert.equal(env.state.pos, 9);
  env.step(1);
  assert.equal(env.state.pos, 8);
  env.step(0);
  assert.equal(env.state.pos, 8);
});

test('Breakout: side walls flip the horizontal direction, the ceiling the vertical one', () => {
  // Right wall: (5, 9) up-right → column 10 clipped to 9, dir 1 → 0, row 4.
  let env = placed({ ballX: 9, ballY: 5, ballDir: 1 });
  env.step(0);
  assert.deepEqual([env.state.ballX, env.state.ballY, env.state.ballDir], [9, 4, 0]);
  // Left wall: (6, 0) down-left → column −1 clipped to 0, dir 3 → 2, row 7.
  env = placed({ ballX: 0, ballY: 6, ballDir: 3 });
  env.step(0);
  assert.deepEqual([env.state.ballX, env.state.ballY, env.state.ballDir], [0, 7, 2]);
  // Ceiling: (0, 5) up-left → row −1 clipped to 0, dir 0 → 3, column 4.
  env = placed({ ballX: 5, ballY: 0, ballDir: 0 });
  env.step(0);
  assert.deepEqual([env.state.ballX, env.state.ballY, env.state.ballDir], [4, 0, 3]);
  // Top-left corner: both flips, dir 0 → 1 → 2, stays at (0, 0).
  env = placed({ ballX: 0, ballY: 0, ballDir: 0 });
  env.step(0);
  assert.deepEqual([env.state.ballX, env.state.ballY, env.state.ballDir], [0, 0, 2]);
});

test('Breakout: hitting a brick gives +1, removes it and bounces the ball back to its row', () => {
  // From below: ball (4, 2) up-right → brick at (3, 3): +1, brick gone, ball stays in row 4 at column 3, dir 1 → 2.
  const env = placed({ ballX: 2, ballY: 4, ballDir: 1 });
  let r = env.step(0);
  assert.equal(r.reward, 1);
  assert.equal(env.state.bricks[3 * 10 + 3], 0);
  assert.equal(r.observation[idx(3, 3, BRICK)], 0);
  assert.equal(countBricks(env), 29);
  assert.deepEqual([env.state.ballX, env.state.ballY, env.state.ballDir], [3, 4, 2]);
  assert.equal(env.state.strike, true);
  r = env.step(0); // (4, 3) → (5, 4): no brick, strike clears
  assert.equal(r.reward, 0);
  assert.equal(env.state.strike, false);

  // From above: ball (0, 5) down-left → brick (1, 4): +1, ball stays in row 0 at column 4, dir 3 → 0.
  const top = placed({ ballX: 5, ballY: 0, ballDir: 3 });
  r = top.step(0);
  assert.equal(r.reward, 1);
  assert.equal(top.state.bricks[1 * 10 + 4], 0);
  assert.deepEqual([top.state.ballX, top.state.ballY, top.state.ballDir], [4, 0, 0]);
  r = top.step(0); // ceiling: (0, 4) → (0, 3), dir 0 → 3; no brick, so the strike flag clears
  assert.equal(r.reward, 0);
  assert.deepEqual([top.state.ballX, top.state.ballY, top.state.ballDir], [3, 0, 3]);
  r = top.step(0); // (0, 3) down-left → brick (1, 2): +1 again
  assert.equal(r.reward, 1);
  assert.equal(top.state.bricks[1 * 10 + 2], 0);
});

test('Breakout: a brick met on the step right after a strike is not broken and the ball enters its cell', () => {
  const env = placed({ ballX: 2, ballY: 4, ballDir: 1, strike: true });
  const r = env.step(0);
  assert.equal(r.reward, 0);
  assert.equal(env.state.bricks[3 * 10 + 3], 1);
  assert.deepEqual([env.state.ballX, env.state.ballY, env.state.ballDir], [3, 3, 1]);
  assert.equal(env.state.strike, true);
});

test('Breakout: the ball passing the paddle ends the episode', () => {
  // Ball (8, 1) down-right lands on (9, 2); paddle at 4 is neither under the ball (1) nor at the landing column (2).
  const env = placed({ ballX: 1, ballY: 8, ballDir: 2, pos: 4 });
  let r = env.step(0);
  assert.equal(r.terminated, true);
  assert.equal(r.truncated, false);
  assert.equal(r.reward, 0);
  assert.deepEqual([env.state.ballX, env.state.ballY], [2, 9]);
  assert.equal(r.observation[idx(9, 2, BALL)], 1);
  // Stepping a finished game changes nothing.
  r = env.step(2);
  assert.equal(r.terminated, true);
  assert.equal(r.reward, 0);
  assert.equal(env.state.pos, 4);
  assert.deepEqual([env.state.ballX, env.state.ballY], [2, 9]);
});

test('Breakout: when all bricks are gone, rows 1–3 refill as the ball reaches the paddle row', () => {
  // Breaking the last brick leaves the wall empty for now.
  const last = new Uint8Array(100);
  last[3 * 10 + 3] = 1;
  let env = placed({ ballX: 2, ballY: 4, ballDir: 1, bricks: last });
  assert.equal(env.step(0).reward, 1);
  assert.equal(countBricks(env), 0);
  // Coming down to row 9 with no bricks left: 30 new bricks in rows 1–3, and the paddle bounce still happens.
  env = placed({ ballX: 4, ballY: 8, ballDir: 2, pos: 4, bricks: new Uint8Array(100) });
  const r = env.step(0);
  assert.equal(r.terminated, false);
  for (let i = 0; i < 100; i++) assert.equal(env.state.bricks[i], i >= 10 && i < 40 ? 1 : 0);
  // With bricks left, reaching row 9 adds none.
  const one = new Uint8Array(100);
  one[55] = 1;
  env = placed({ ballX: 4, ballY: 8, ballDir: 2, pos: 4, bricks: one });
  env.step(0);
  assert.equal(countBricks(env), 1);
});

test('Breakout: sticky actions repeat the previous action with probability 0.1', () => {
  const env = new MinAtarBreakoutEnv();
  assert.equal(env.stickyActionProb, 0.1);
  env.reset(2024);
  assert.equal(env.state.lastAction, 0);
  const n = 20000;
  let repeats = 0;
  for (let i = 0; i < n; i++) {
    const previous: number = env.state.lastAction;
    const chosen = (previous + 1) % 3; // always ask for something else
    const r = env.step(chosen);
    if (env.state.lastAction === previous) repeats++;
    else assert.equal(env.state.lastAction, chosen);
    if (r.terminated || r.truncated) env.reset();
  }
  // Binomial(20000, 0.1): standard deviation 0.0021, so ±0.01 is about 4.7σ.
  const freq = repeats / n;
  assert.ok(Math.abs(freq - 0.1) < 0.01, `repeat frequency ${freq}`);
});

test('Breakout: a repeated action moves the paddle as the previous action did', () => {
  const env = placed({ ballX: 5, ballY: 5, ballDir: 0, pos: 4, lastAction: 1 });
  env.stickyActionProb = 1; // every step repeats
  env.step(2);
  assert.equal(env.state.pos, 3, 'left was repeated instead of right');
  assert.equal(env.state.lastAction, 1);
});

test('Breakout: truncated after 10000 steps when the ball is kept in play', () => {
  const env = new MinAtarBreakoutEnv();
  assert.equal(env.spec.maxEpisodeSteps, 10000);
  env.reset(5);
  let last;
  let steps = 0;
  do {
    Object.assign(env.state, { ballX: 5, ballY: 5, lastX: 5, lastY: 5, ballDir: 0 }); // → (4, 4), no brick there
    last = env.step(steps % 3);
    steps++;
  } while (!last.terminated && !last.truncated);
  assert.equal(steps, 10000);
  assert.equal(last.truncated, true);
  assert.equal(last.terminated, false);
});

