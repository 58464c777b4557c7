// What the page needs from each environment's renderer: how to draw the env's current state on a canvas,
// what its actions are called, and how many steps make one second at "1×".
import type { Env } from '../../src/envs/types.js';

export interface Frame {
  env: Env;
  /** The observation the policy saw last (the env's native layout). */
  observation: Float32Array;
  /** The action taken on the last step, or null right after a reset. */
  action: number | null;
  done: boolean;
}

export interface EnvRenderer {
  draw(ctx: CanvasRenderingContext2D, frame: Frame): void;
  actionNames: string[];
  /** Steps per second at 1× (Gymnasium's render_fps where it has one). */
  stepsPerSecond: number;
}

export const COLORS = {
  sky: '#ffffff',
  ground: '#8a8f98',
  body: '#3b6fb6',
  accent: '#d9822b',
  dark: '#1d2430',
  faint: '#c9ced6',
  done: 'rgba(29, 36, 48, 0.08)',
};

export function clear(ctx: CanvasRenderingContext2D, color = COLORS.sky): void {
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = color;
  ctx.fillRect(0, 0, ctx.canvas.width, ctx.canvas.height);
}

/** Greys the scene once the episode is over, so a paused last frame is not mistaken for a running one. */
export function shadeIfDone(ctx: CanvasRenderingContext2D, frame: Frame): void {
  if (!frame.done) return;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = COLORS.done;
  ctx.fillRect(0, 0, ctx.canvas.width, ctx.canvas.height);
}
