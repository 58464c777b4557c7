// LunarLander-v3 (discrete actions, no wind), following the rules of Gymnasium's
// gymnasium/envs/box2d/lunar_lander.py, simulated with planck (a JavaScript port of Box2D 2.3).
// Pure TypeScript: no Node imports, this module is bundled into the browser page.
//
// Actions: 0 nothing, 1 left orientation engine, 2 main engine, 3 right orientation engine.
// Observation (float32 x 8): x, y relative to the helipad, vx, vy, angle, angular velocity, leg contacts,
// normalised by the viewport exactly as Gymnasium does.
//
// Where planck differs from the Box2D build Gymnasium uses (pybox2d = Box2D 2.3.2), and where this port
// deviates from Gymnasium. Everything not listed here (constants, terrain, bodies, fixtures, filters, joint
// limits and motors, engine impulses and their dispersion, observation, shaping, fuel costs, termination
// rules, the step of physics inside reset) follows Gymnasium.
//
//  1. Random numbers come from ./rng.ts (sfc32), not numpy's PCG64. The draws are the same uniforms in the
//     same order (12 terrain heights in [0, H/2), the initial force's x then y in [-1000, 1000), then two
//     dispersion terms in [-1, 1) per physics step, also on the step done by reset), but a given seed gives a
//     different episode than Gymnasium with that seed.
//  2. Precision: Box2D computes in float32, planck in float64. Trajectories therefore drift apart from
//     Gymnasium's after a while (contacts make them chaotic) although the rules are the same. The
//     observation is rounded to float32 like Gymnasium's; the reward is computed in float64 from the
//     unrounded state, as Gymnasium does with Python floats.
//  3. Leg joints' reference angle (shared with Gymnasium, not a difference). Gymnasium builds each leg joint
//     with pybox2d's revoluteJointDef(...) and no referenceAngle. The C++ b2RevoluteJointDef defaults it to 0,
//     but pybox2d's Python constructor (Box2D/Box2D_joints.i) sets referenceAngle = bodyB.angle − bodyA.angle
//     whenever both bodies are given and referenceAngle is not: the legs are created at i·0.05 rad and the
//     lander at 0, so legs[0] (i = −1) gets −0.05 and legs[1] (i = +1) gets +0.05. The limits apply to
//     bodyB.angle − bodyA.angle − referenceAngle, so the leg angles relative to the hull stay within
//     0.35..0.85 and −0.85..−0.35. We pass that difference explicitly; planck would compute the same when
//     referenceAngle is left undefined, but takes an explicit 0 as 0 (which shifted both ranges by 0.05).
//  4. Sleeping (the "+100, not awake" ending). Shared with Box2D 2.3: sleeping is allowed by default in the
//     world and on every body; a body falls asleep only together with its whole island (lander + both legs,
//     the static ground does not count) once every body in it has stayed under 0.01 m/s and 2 deg/s for
//     0.5 s and the position solver converged; `Body.isAwake()` just reads that flag (Gymnasium reads
//     `lander.awake`); an impulse or force with wake = true wakes a sleeping body. Difference: planck's
//     `setAwake(true)` restarts the body's sleep timer even when the body is already awake, whereas Box2D
//     2.3 only does so when waking a sleeping body. planck calls it whenever a contact starts or stops
//     touching, so a leg whose contact flickers while the lander is at rest postpones sleep (and thus the
//     +100 ending) by up to 0.5 s per flicker in planck, not in Box2D.
//  5. Particles are not simulated. Gymnasium only creates them when rendering, they collide with the
//     ground only and the contact listener ignores them, so they never affect the lander.
//  6. The time limit lives in the env: `truncated` is true on the 1000th step after reset, also when that
//     step terminates (then both flags are true, as Gymnasium's TimeLimit wrapper reports them). The step
//     done inside reset does not count, as in Gymnasium.
//  7. Only the defaults of the Gymnasium constructor are implemented: continuous = false, gravity = −10,
//     enable_wind = false (so no wind or turbulence draws either). No rendering; `bodies` exposes the state
//     a renderer needs.
//  8. Calling step() before reset() throws (Gymnasium asserts). Stepping on after the episode ended is
//     allowed and keeps simulating, as in Gymnasium without its order-enforcing wrappers.
import { Box, Edge, Polygon, RevoluteJoint, World, type Body, type Contact } from 'planck';
import { Rng } from './rng.js';
import { checkAction, type Env, type EnvSpec, type StepResult } from './types.js';

/** Gymnasium's constants. Lengths in pixels are divided by `scale` to get metres. */
export const LUNAR_LANDER = {
  fps: 50,
  scale: 30,
  mainEnginePower: 13,
  sideEnginePower: 0.6,
  initialRandom: 1000,
  /** Lander hull in pixels, body frame. */
  landerPoly: [
    [-14, 17],
    [-17, 0],
    [-17, -10],
    [17, -10],
    [17, 0],
    [14, 17],
  ] as ReadonlyArray<readonly [number, number]>,
  legAway: 20,
  legDown: 18,
  /** Half-width and half-height of a leg box, in pixels. */
  legW: 2,
  legH: 8,
  legSpringTorque: 40,
  sideEngineHeight: 14,
  sideEngineAway: 12,
  mainEngineYLocation: 4,
  viewportW: 600,
  viewportH: 400,
  chunks: 11,
  gravity: -10,
  velocityIterations: 6 * 30,
  positionIterations: 2 * 30,
} as const;

const C = LUNAR_LANDER;
const W = C.viewportW / C.scale; // 20 m
const H = C.viewportH / C.scale; // 13.33 m
const DT = 1 / C.fps;

/** Pose and velocity of one body. (x, y) is the body origin; velocities are those of the centre of mass. */
export interface LunarLanderBodyState {
  x: number;
  y: number;
  angle: number;
  vx: number;
  vy: number;
  angularVelocity: number;
  mass: number;
}

/** Snapshot of the scene for a renderer (metres, radians). Shapes are in `LUNAR_LANDER` (pixels / scale). */
export interface LunarLanderScene {
  lander: LunarLanderBodyState;
  /** legs[0] is Gymnasium's legs[0] (created with i = −1, on the +x side), legs[1] the other. */
  legs: [LunarLanderBodyState, LunarLanderBodyState];
  legContact: [boolean, boolean];
  /** The lander body touched the ground this episode. */
  gameOver: boolean;
  /** Terrain polyline: CHUNKS points (x, smoothed height); the ground is also closed by an edge at y = 0. */
  terrain: ReadonlyArray<readonly [number, number]>;
  helipad: { x1: number; x2: number; y: number };
}

function bodyState(b: Body): LunarLanderBodyState {
  const p = b.getPosition();
  const v = b.getLinearVelocity();
  return { x: p.x, y: p.y, angle: b.getAngle(), vx: v.x, vy: v.y, angularVelocity: b.getAngularVelocity(), mass: b.getMass() };
}

export class LunarLanderEnv implements Env {
  readonly spec: EnvSpec = {
    id: 'LunarLander-v3',
    observationShape: [8],
    observationLayout: 'flat',
    actionCount: 4,
    maxEpisodeSteps: 1000,
    rewardThreshold: 200,
  };

  private readonly rng = new Rng();
  private world: World | null = null;
  private lander: Body | null = null;
  private legs: [Body, Body] | null = null;
  private readonly legContact: [boolean, boolean] = [false, false];
  private gameOver = false;
  private prevShaping: number | null = null;
  private terrain: Array<readonly [number, number]> = [];
  private helipadX1 = 0;
  private helipadX2 = 0;
  private readonly helipadY = H / 4;
  private steps = 0;

  /** Read-only snapshot for rendering and tests. Throws before the first reset(). */
  get bodies(): LunarLanderScene {
    if (!this.lander || !this.legs) throw new Error(`${this.spec.id}: call reset() first`);
    return {
      lander: bodyState(this.lander),
      legs: [bodyState(this.legs[0]), bodyState(this.legs[1])],
      legContact: [this.legContact[0], this.legContact[1]],
      gameOver: this.gameOver,
      terrain: this.terrain.map((p) => [p[0], p[1]] as const),
      helipad: { x1: this.helipadX1, x2: this.helipadX2, y: this.helipadY },
    };
  }

  reset(seed?: number): Float32Array {
    if (seed !== undefined) this.rng.seed(seed);
    // A fresh world every episode, as Gymnasium v3 does.
    const world = new World({ gravity: { x: 0, y: C.gravity } });
    this.world = world;
    this.gameOver = false;
    this.prevShaping = null;
    this.legContact[0] = false;
    this.legContact[1] = false;

    // Terrain: CHUNKS + 1 random heights, the five around the middle flattened into the helipad, then a
    // three-point smoothing (index −1 wraps to the last height, like Python's negative index).
    const chunks = C.chunks;
    const height = new Float64Array(chunks + 1);
    for (let i = 0; i <= chunks; i++) height[i] = this.rng.uniform(0, H / 2);
    const half = Math.floor(chunks / 2);
    const chunkX: number[] = [];
    for (let i = 0; i < chunks; i++) chunkX.push((W / (chunks - 1)) * i);
    this.helipadX1 = chunkX[half - 1];
    this.helipadX2 = chunkX[half + 1];
    for (let i = half - 2; i <= half + 2; i++) height[i] = this.helipadY;
    const smoothY: number[] = [];
    for (let i = 0; i < chunks; i++) {
      const prev = height[(i - 1 + height.length) % height.length];
      smoothY.push(0.33 * (prev + height[i] + height[i + 1]));
    }
    this.terrain = chunkX.map((x, i) => [x, smoothY[i]] as const);

    const moon = world.createBody({ type: 'static' });
    moon.createFixture(new Edge({ x: 0, y: 0 }, { x: W, y: 0 }), { density: 0 });
    for (let i = 0; i < chunks - 1; i++) {
      moon.createFixture(new Edge({ x: chunkX[i], y: smoothY[i] }, { x: chunkX[i + 1], y: smoothY[i + 1] }), {
        density: 0,
        friction: 0.1,
      });
    }

    const startX = W / 2;
    const startY = H;
    const lander = world.createBody({ type: 'dynamic', position: { x: startX, y: startY }, angle: 0 });
    lander.createFixture(new Polygon(C.landerPoly.map(([x, y]) => ({ x: x / C.scale, y: y / C.scale }))), {
      density: 5,
      friction: 0.1,
      restitution: 0,
      filterCategoryBits: 0x0010,
      filterMaskBits: 0x0001,
    });
    this.lander = lander;
    const fx = this.rng.uniform(-C.initialRandom, C.initialRandom);
    const fy = this.rng.uniform(-C.initialRandom, C.initialRandom);
    lander.applyForceToCenter({ x: fx, y: fy }, true);

    const legs: Body[] = [];
    for (const i of [-1, 1]) {
      const leg = world.createBody({
        type: 'dynamic',
        position: { x: startX - (i * C.legAway) / C.scale, y: startY },
        angle: i * 0.05,
      });
      leg.createFixture(new Box(C.legW / C.scale, C.legH / C.scale), {
        density: 1,
        restitution: 0,
        filterCategoryBits: 0x0020,
        filterMaskBits: 0x0001,
      });
      world.createJoint(
        new RevoluteJoint({
          bodyA: lander,
          bodyB: leg,
          localAnchorA: { x: 0, y: 0 },
          localAnchorB: { x: (i * C.legAway) / C.scale, y: C.legDown / C.scale },
          // pybox2d's default when no referenceAngle is given (see note 3 at the top).
          referenceAngle: leg.getAngle() - lander.getAngle(),
          enableMotor: true,
          enableLimit: true,
          maxMotorTorque: C.legSpringTorque,
          motorSpeed: 0.3 * i,
          lowerAngle: i === -1 ? 0.9 - 0.5 : -0.9,
          upperAngle: i === -1 ? 0.9 : -0.9 + 0.5,
        }),
      );
      legs.push(leg);
    }
    this.legs = [legs[0], legs[1]];

    world.on('begin-contact', (contact: Contact) => this.onContact(contact, true));
    world.on('end-contact', (contact: Contact) => this.onContact(contact, false));

    // Gymnasium's reset ends with one no-op step, whose observation it returns.
    const observation = this.simulate(0).observation;
    this.steps = 0;
    return observation;
  }

  step(action: number): StepResult {
    checkAction(this.spec, action);
    if (!this.world) throw new Error(`${this.spec.id}: call reset() before step()`);
    const { observation, reward, terminated } = this.simulate(action);
    this.steps++;
    return {
      observation,
      reward,
      terminated,
      // As Gymnasium's TimeLimit wrapper: the limit truncates whether or not this step also terminates.
      truncated: this.steps >= this.spec.maxEpisodeSteps,
    };
  }

  private onContact(contact: Contact, begin: boolean): void {
    const a = contact.getFixtureA().getBody();
    const b = contact.getFixtureB().getBody();
    if (begin && (a === this.lander || b === this.lander)) this.gameOver = true;
    const legs = this.legs!;
    for (let k = 0; k < 2; k++) {
      if (a === legs[k] || b === legs[k]) this.legContact[k] = begin;
    }
  }

  private simulate(action: number): { observation: Float32Array; reward: number; terminated: boolean } {
    const world = this.world!;
    const lander = this.lander!;

    const angle = lander.getAngle();
    const tipX = Math.sin(angle);
    const tipY = Math.cos(angle);
    const sideX = -tipY;
    const sideY = tipX;
    // Drawn on every step, whatever the action.
    const disp0 = this.rng.uniform(-1, 1) / C.scale;
    const disp1 = this.rng.uniform(-1, 1) / C.scale;
    const pos = lander.getPosition();
    const px = pos.x;
    const py = pos.y;

    let mPower = 0;
    if (action === 2) {
      mPower = 1;
      const along = C.mainEngineYLocation / C.scale + 2 * disp0;
      const ox = tipX * along + sideX * disp1;
      const oy = -tipY * along - sideY * disp1;
      const k = C.mainEnginePower * mPower;
      lander.applyLinearImpulse({ x: -ox * k, y: -oy * k }, { x: px + ox, y: py + oy }, true);
    }

    let sPower = 0;
    if (action === 1 || action === 3) {
      sPower = 1;
      const direction = action - 2;
      const across = 3 * disp1 + (direction * C.sideEngineAway) / C.scale;
      const ox = tipX * disp0 + sideX * across;
      const oy = -tipY * disp0 - sideY * across;
      // Gymnasium offsets x by 17 px along the tip but y by SIDE_ENGINE_HEIGHT (14 px); kept as published.
      const ix = px + ox - (tipX * 17) / C.scale;
      const iy = py + oy + (tipY * C.sideEngineHeight) / C.scale;
      const k = C.sideEnginePower * sPower;
      lander.applyLinearImpulse({ x: -ox * k, y: -oy * k }, { x: ix, y: iy }, true);
    }

    world.step(DT, C.velocityIterations, C.positionIterations);

    const p = lander.getPosition();
    const v = lander.getLinearVelocity();
    const s0 = (p.x - W / 2) / (W / 2);
    const s1 = (p.y - (this.helipadY + C.legDown / C.scale)) / (H / 2);
    const s2 = (v.x * (W / 2)) / C.fps;
    const s3 = (v.y * (H / 2)) / C.fps;
    const s4 = lander.getAngle();
    const s5 = (20 * lander.getAngularVelocity()) / C.fps;
    const s6 = this.legContact[0] ? 1 : 0;
    const s7 = this.legContact[1] ? 1 : 0;
    const observation = Float32Array.of(s0, s1, s2, s3, s4, s5, s6, s7);

    const shaping =
      -100 * Math.sqrt(s0 * s0 + s1 * s1) - 100 * Math.sqrt(s2 * s2 + s3 * s3) - 100 * Math.abs(s4) + 10 * s6 + 10 * s7;
    let reward = this.prevShaping === null ? 0 : shaping - this.prevShaping;
    this.prevShaping = shaping;
    reward -= mPower * 0.3;
    reward -= sPower * 0.03;

    let terminated = false;
    if (this.gameOver || Math.abs(s0) >= 1) {
      terminated = true;
      reward = -100;
    }
    if (!lander.isAwake()) {
      terminated = true;
      reward = 100;
    }
    return { observation, reward, terminated };
  }
}
