// MountainCar: the hill y = 0.45 sin(3x) + 0.55 over [−1.2, 0.6], the flag at the goal and the car tilted
// along the slope.
import { MOUNTAIN_CAR, type MountainCarEnv } from '../../src/envs/mountain-car.js';
import { clear, COLORS, shadeIfDone, type EnvRenderer } from './types.js';

const hill = (x: number) => 0.45 * Math.sin(3 * x) + 0.55;

export const mountainCarRenderer: EnvRenderer = {
  actionNames: ['push left', 'no push', 'push right'],
  stepsPerSecond: 30,
  draw(ctx, frame) {
    const [position] = (frame.env as MountainCarEnv).state;
    const { width, height } = ctx.canvas;
    const { minPosition, maxPosition, goalPosition } = MOUNTAIN_CAR;
    // The hill rises to y = 1; leave room above it for the flag.
    const scale = Math.min(width / (maxPosition - minPosition), (height - 90) / 1.0);
    const left = (width - (maxPosition - minPosition) * scale) / 2;
    const toCanvas = (x: number, y: number) => ({ x: left + (x - minPosition) * scale, y: height - 20 - y * scale });
    clear(ctx);
    ctx.beginPath();
    for (let i = 0; i <= 200; i++) {
      const x = minPosition + ((maxPosition - minPosition) * i) / 200;
      const p = toCanvas(x, hill(x));
      if (i === 0) ctx.moveTo(p.x, p.y);
      else ctx.lineTo(p.x, p.y);
    }
    ctx.lineTo(toCanvas(maxPosition, 0).x, height);
    ctx.lineTo(left, height);
    ctx.closePath();
    ctx.fillStyle = COLORS.faint;
    ctx.fill();
    ctx.strokeStyle = COLORS.dark;
    ctx.lineWidth = 2;
    ctx.stroke();

    const flagFoot = toCanvas(goalPosition, hill(goalPosition));
    ctx.beginPath();
    ctx.moveTo(flagFoot.x, flagFoot.y);
    ctx.lineTo(flagFoot.x, flagFoot.y - 50);
    ctx.stroke();
    ctx.fillStyle = COLORS.accent;
    ctx.beginPath();
    ctx.moveTo(flagFoot.x, flagFoot.y - 50);
    ctx.lineTo(flagFoot.x + 25, flagFoot.y - 43);
    ctx.lineTo(flagFoot.x, flagFoot.y - 36);
    ctx.fill();

    const wheel = 7;
    const carW = 40;
    const carH = 18;
    const base = toCanvas(position, hill(position));
    // Canvas y grows downwards, so the slope's angle is negated.
    const slope = Math.atan(1.35 * Math.cos(3 * position));
    ctx.save();
    ctx.translate(base.x, base.y);
    ctx.rotate(-slope);
    ctx.fillStyle = COLORS.body;
    ctx.fillRect(-carW / 2, -carH - wheel, carW, carH);
    ctx.fillStyle = COLORS.dark;
    for (const wx of [-carW / 3, carW / 3]) {
      ctx.beginPath();
      ctx.arc(wx, -wheel, wheel, 0, 2 * Math.PI);
      ctx.fill();
    }
    if (frame.action !== null && frame.action !== 1) {
      const direction = frame.action === 2 ? 1 : -1;
      ctx.fillStyle = COLORS.accent;
      ctx.beginPath();
      ctx.moveTo(-direction * (carW / 2), -wheel - carH / 2 - 5);
      ctx.lineTo(-direction * (carW / 2 + 14), -wheel - carH / 2);
      ctx.lineTo(-direction * (carW / 2), -wheel - carH / 2 + 5);
      ctx.fill();
    }
    ctx.restore();
    shadeIfDone(ctx, frame);
  },
};
