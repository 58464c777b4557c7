// LunarLander: terrain, helipad flags, the hull and legs at their simulated poses, and engine flames for the
// action just taken. World metres map to the canvas at Gymnasium's scale (the viewport is 20 m × 13.3 m).
import { LUNAR_LANDER, type LunarLanderBodyState, type LunarLanderEnv } from '../../src/envs/lunar-lander.js';
import { clear, COLORS, shadeIfDone, type EnvRenderer } from './types.js';

type Point = readonly [number, number];

export const lunarLanderRenderer: EnvRenderer = {
  actionNames: ['nothing', 'left engine', 'main engine', 'right engine'],
  stepsPerSecond: LUNAR_LANDER.fps,
  draw(ctx, frame) {
    const scene = (frame.env as LunarLanderEnv).bodies;
    const { width, height } = ctx.canvas;
    const scale = Math.min(width / LUNAR_LANDER.viewportW, height / LUNAR_LANDER.viewportH) * LUNAR_LANDER.scale;
    const toCanvas = ([x, y]: Point): Point => [x * scale, height - y * scale];
    /** A point given in the body's frame, in pixels of Gymnasium's viewport, to canvas coordinates. */
    const fromBody = (body: LunarLanderBodyState, [px, py]: Point): Point => {
      const lx = px / LUNAR_LANDER.scale;
      const ly = py / LUNAR_LANDER.scale;
      const c = Math.cos(body.angle);
      const s = Math.sin(body.angle);
      return toCanvas([body.x + c * lx - s * ly, body.y + s * lx + c * ly]);
    };
    const polygon = (points: Point[], fill: string, stroke?: string) => {
      ctx.beginPath();
      points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
      ctx.closePath();
      ctx.fillStyle = fill;
      ctx.fill();
      if (stroke) {
        ctx.strokeStyle = stroke;
        ctx.lineWidth = 1.5;
        ctx.stroke();
      }
    };

    clear(ctx, '#0f1424');
    const ground = scene.terrain.map((p) => toCanvas(p));
    polygon([toCanvas([0, 0]), ...ground, toCanvas([scene.terrain[scene.terrain.length - 1][0], 0])], '#d7d9de');

    for (const x of [scene.helipad.x1, scene.helipad.x2]) {
      const [fx, fy] = toCanvas([x, scene.helipad.y]);
      const pole = (50 / LUNAR_LANDER.scale) * scale;
      ctx.strokeStyle = '#ffffff';
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(fx, fy);
      ctx.lineTo(fx, fy - pole);
      ctx.stroke();
      polygon([[fx, fy - pole], [fx, fy - pole + 10], [fx + 25 * (scale / LUNAR_LANDER.scale), fy - pole + 5]], '#e6c229');
    }

    const lander = scene.lander;
    drawFlames(ctx, frame.action, lander, fromBody);
    scene.legs.forEach((leg, k) => {
      const { legW, legH } = LUNAR_LANDER;
      const corners: Point[] = [[-legW, -legH], [legW, -legH], [legW, legH], [-legW, legH]];
      polygon(corners.map((p) => fromBody(leg, p)), scene.legContact[k] ? '#5fb760' : '#8066cc', '#4d4d80');
    });
    polygon(LUNAR_LANDER.landerPoly.map((p) => fromBody(lander, p)), '#8066cc', '#4d4d80');
    shadeIfDone(ctx, frame);
  },
};

/**
 * Flames where the engines push: the main engine below the hull, a side engine at the hull's side at
 * sideEngineHeight (action 1 fires from the +x side and pushes the lander towards −x, action 3 the reverse).
 */
function drawFlames(
  ctx: CanvasRenderingContext2D,
  action: number | null,
  lander: LunarLanderBodyState,
  fromBody: (body: LunarLanderBodyState, p: Point) => Point,
): void {
  const flame = (points: Point[]) => {
    ctx.beginPath();
    points.map((p) => fromBody(lander, p)).forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
    ctx.closePath();
    ctx.fillStyle = '#ff9a3c';
    ctx.fill();
  };
  if (action === 2) {
    const flicker = 22 + Math.random() * 10;
    flame([[-7, -10], [7, -10], [0, -10 - flicker]]);
  } else if (action === 1 || action === 3) {
    const side = action === 1 ? 1 : -1;
    const x0 = side * 17;
    const y = LUNAR_LANDER.sideEngineHeight - 4;
    const flicker = 10 + Math.random() * 6;
    flame([[x0, y - 3], [x0, y + 3], [x0 + side * flicker, y]]);
  }
}
