// MinAtar Breakout (Young & Tian 2019, kenjyoung/MinAtar, minatar/environments/breakout.py plus the sticky
// actions of minatar/environment.py). A 10×10 grid: the paddle moves along row 9, the ball moves one cell
// diagonally per step, three rows of bricks sit in rows 1–3. +1 per brick broken; a fresh set of bricks appears
// once all are gone and the ball next comes down to the paddle row; the episode ends when the ball gets past the
// paddle. With probability 0.1 the previous action is repeated instead of the one chosen.
//
// MinAtar itself has no time limit. maxEpisodeSteps is 10 000, the limit the gym_minatar port
// (sparisi/gym_minatar) registers for its MinAtar games: far longer than a DQN-trained agent's episodes
// (it breaks a brick every few dozen steps and rarely scores above ~100) yet it guarantees an episode ends when a
// policy keeps the ball alive forever. (gymnax uses 1 000, which does cut off good agents.)
// gym_minatar registers that limit with Gymnasium's register(max_episode_steps=...), i.e. through Gymnasium's
// TimeLimit wrapper, so `truncated` follows TimeLimit's rule: true on step 10 000 even if that step also ends
// the game (both flags are then true). (kenjyoung/MinAtar's own Gymnasium registration sets no limit at all.)
import { Rng } from './rng.js';
import { checkAction, type Env, type EnvSpec, type StepResult } from './types.js';

export const BREAKOUT = {
  size: 10,
  /** Observation channels, in MinAtar's order. */
  channels: { paddle: 0, ball: 1, trail: 2, brick: 3 },
  channelCount: 4,
  paddleRow: 9,
  /** Rows (inclusive) that hold bricks at the start and after a refill. */
  brickRows: [1, 3],
  stickyActionProb: 0.1,
  /**
   * Our actions 0, 1, 2 are MinAtar's minimal action set for Breakout, ['n', 'l', 'r'], which are indices 0, 1, 3 of
   * MinAtar's full action set ['n', 'l', 'u', 'r', 'd', 'f'].
   */
  minimalActionSet: [0, 1, 3],
  maxEpisodeSteps: 10_000,
} as const;

/**
 * Ball directions as MinAtar numbers them: 0 up-left, 1 up-right, 2 down-right, 3 down-left.
 * Rows grow downwards (row 0 is the top), columns grow to the right.
 */
export const BALL_DIRECTIONS: ReadonlyArray<{ dx: number; dy: number }> = [
  { dx: -1, dy: -1 },
  { dx: 1, dy: -1 },
  { dx: 1, dy: 1 },
  { dx: -1, dy: 1 },
];
/** Bouncing off a side wall flips the horizontal component. */
const FLIP_X = [1, 0, 3, 2];
/** Bouncing off the ceiling, a brick, or the paddle straight on flips the vertical component. */
const FLIP_Y = [3, 2, 1, 0];
/** Hit by the paddle's corner (the paddle moved under the ball): both components flip. */
const FLIP_BOTH = [2, 3, 0, 1];

export interface BreakoutState {
  ballX: number;
  ballY: number;
  ballDir: number;
  /** Paddle column (the paddle is in row 9). */
  pos: number;
  /** 1 where a brick is, indexed row * 10 + column. */
  bricks: Uint8Array;
  /** The ball struck a brick on the previous step; a strike right after another breaks nothing. */
  strike: boolean;
  /** Where the ball was before the last step (the trail channel). */
  lastX: number;
  lastY: number;
  terminal: boolean;
  /** The action (0..2, our numbering) last carried out; a sticky step repeats it. */
  lastAction: number;
}

function freshBricks(): Uint8Array {
  const bricks = new Uint8Array(BREAKOUT.size * BREAKOUT.size);
  fillBrickRows(bricks);
  return bricks;
}

function fillBrickRows(bricks: Uint8Array): void {
  const [first, last] = BREAKOUT.brickRows;
  bricks.fill(1, first * BREAKOUT.size, (last + 1) * BREAKOUT.size);
}

export class MinAtarBreakoutEnv implements Env {
  readonly spec: EnvSpec = {
    id: 'MinAtar/Breakout',
    observationShape: [BREAKOUT.size, BREAKOUT.size, BREAKOUT.channelCount],
    observationLayout: 'hwc',
    actionCount: 3,
    maxEpisodeSteps: BREAKOUT.maxEpisodeSteps,
    rewardThreshold: null,
  };
  /** Probability that a step repeats the previous action; MinAtar's default is 0.1. */
  stickyActionProb: number = BREAKOUT.stickyActionProb;
  state: BreakoutState = {
    ballX: 0,
    ballY: 3,
    ballDir: 2,
    pos: 4,
    bricks: freshBricks(),
    strike: false,
    lastX: 0,
    lastY: 3,
    terminal: false,
    lastAction: 0,
  };
  private readonly rng = new Rng();
  private steps = 0;

  reset(seed?: number): Float32Array {
    if (seed !== undefined) this.rng.seed(seed);
    // The ball starts in row 3 at the left edge heading down-right, or at the right edge heading down-left.
    const fromRight = this.rng.int(2) === 1;
    const ballX = fromRight ? 9 : 0;
    this.state = {
      ballX,
      ballY: 3,
      ballDir: fromRight ? 3 : 2,
      pos: 4,
      bricks: freshBricks(),
      strike: false,
      lastX: ballX,
      lastY: 3,
      terminal: false,
      lastAction: 0,
    };
    this.steps = 0;
    return this.observe();
  }

  step(action: number): StepResult {
    checkAction(this.spec, action);
    const s = this.state;
    if (this.rng.random() < this.stickyActionProb) action = s.lastAction;
    s.lastAction = action;
    this.steps++;
    const reward = s.terminal ? 0 : this.advance(BREAKOUT.minimalActionSet[action]);
    const terminated = s.terminal;
    return {
      observation: this.observe(),
      reward,
      terminated,
      // As Gymnasium's TimeLimit wrapper: the limit truncates whether or not this step also terminates.
      truncated: this.steps >= this.spec.maxEpisodeSteps,
    };
  }

  /** One step of the game for an action of MinAtar's full set; returns the reward. */
  private advance(fullAction: number): number {
    const s = this.state;
    const n = BREAKOUT.size;
    let reward = 0;
    if (fullAction === 1) s.pos = Math.max(0, s.pos - 1);
    else if (fullAction === 3) s.pos = Math.min(n - 1, s.pos + 1);

    s.lastX = s.ballX;
    s.lastY = s.ballY;
    let x = s.ballX + BALL_DIRECTIONS[s.ballDir].dx;
    let y = s.ballY + BALL_DIRECTIONS[s.ballDir].dy;

    let struck = false;
    if (x < 0 || x > n - 1) {
      x = Math.min(Math.max(x, 0), n - 1);
      s.ballDir = FLIP_X[s.ballDir];
    }
    if (y < 0) {
      y = 0;
      s.ballDir = FLIP_Y[s.ballDir];
    } else if (s.bricks[y * n + x] === 1) {
      struck = true;
      if (!s.strike) {
        reward += 1;
        s.strike = true;
        s.bricks[y * n + x] = 0;
        y = s.lastY;
        s.ballDir = FLIP_Y[s.ballDir];
      }
    } else if (y === BREAKOUT.paddleRow) {
      if (s.bricks.every((b) => b === 0)) fillBrickRows(s.bricks);
      if (s.ballX === s.pos) {
        // The ball comes down onto the paddle: straight back up.
        s.ballDir = FLIP_Y[s.ballDir];
        y = s.lastY;
      } else if (x === s.pos) {
        // The paddle moved under the ball's landing cell: the ball goes back the way it came.
        s.ballDir = FLIP_BOTH[s.ballDir];
        y = s.lastY;
      } else {
        s.terminal = true;
      }
    }
    if (!struck) s.strike = false;
    s.ballX = x;
    s.ballY = y;
    return reward;
  }

  /** HWC, float32 0/1: index (row * 10 + column) * 4 + channel. */
  private observe(): Float32Array {
    const s = this.state;
    const n = BREAKOUT.size;
    const c = BREAKOUT.channelCount;
    const { paddle, ball, trail, brick } = BREAKOUT.channels;
    const obs = new Float32Array(n * n * c);
    obs[(s.ballY * n + s.ballX) * c + ball] = 1;
    obs[(BREAKOUT.paddleRow * n + s.pos) * c + paddle] = 1;
    obs[(s.lastY * n + s.lastX) * c + trail] = 1;
    for (let i = 0; i < n * n; i++) if (s.bricks[i] === 1) obs[i * c + brick] = 1;
    return obs;
  }
}
