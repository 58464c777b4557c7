// Acrobot: two links hanging from a fixed pivot, θ1 from straight down, θ2 relative to the first link;
// the line the free end must rise above is drawn one link length above the pivot.
import { ACROBOT, type AcrobotEnv } from '../../src/envs/acrobot.js';
import { clear, COLORS, shadeIfDone, type EnvRenderer } from './types.js';

export const acrobotRenderer: EnvRenderer = {
  actionNames: ['torque −1', 'torque 0', 'torque +1'],
  stepsPerSecond: 15,
  draw(ctx, frame) {
    const [theta1, theta2] = (frame.env as AcrobotEnv).state;
    const { width, height } = ctx.canvas;
    const reach = ACROBOT.linkLength1 + ACROBOT.linkLength2;
    const scale = (height / 2) / (reach * 1.1);
    const pivot = { x: width / 2, y: height / 2 };
    // World y points up, canvas y down.
    const toCanvas = (wx: number, wy: number) => ({ x: pivot.x + wx * scale, y: pivot.y - wy * scale });
    const elbowWorld = { x: ACROBOT.linkLength1 * Math.sin(theta1), y: -ACROBOT.linkLength1 * Math.cos(theta1) };
    const tipWorld = {
      x: elbowWorld.x + ACROBOT.linkLength2 * Math.sin(theta1 + theta2),
      y: elbowWorld.y - ACROBOT.linkLength2 * Math.cos(theta1 + theta2),
    };
    clear(ctx);
    const target = toCanvas(0, ACROBOT.linkLength1);
    ctx.strokeStyle = COLORS.accent;
    ctx.lineWidth = 2;
    ctx.setLineDash([8, 6]);
    ctx.beginPath();
    ctx.moveTo(width * 0.1, target.y);
    ctx.lineTo(width * 0.9, target.y);
    ctx.stroke();
    ctx.setLineDash([]);

    const elbow = toCanvas(elbowWorld.x, elbowWorld.y);
    const tip = toCanvas(tipWorld.x, tipWorld.y);
    ctx.lineCap = 'round';
    ctx.lineWidth = 0.18 * scale;
    ctx.strokeStyle = COLORS.body;
    ctx.beginPath();
    ctx.moveTo(pivot.x, pivot.y);
    ctx.lineTo(elbow.x, elbow.y);
    ctx.lineTo(tip.x, tip.y);
    ctx.stroke();
    ctx.fillStyle = COLORS.dark;
    for (const joint of [pivot, elbow]) {
      ctx.beginPath();
      ctx.arc(joint.x, joint.y, 0.07 * scale, 0, 2 * Math.PI);
      ctx.fill();
    }
    // The actuated joint is the elbow: show the torque's sign there.
    if (frame.action !== null && frame.action !== 1) {
      ctx.strokeStyle = COLORS.accent;
      ctx.lineWidth = 3;
      ctx.beginPath();
      const counterclockwise = frame.action === 2;
      ctx.arc(elbow.x, elbow.y, 0.16 * scale, 0, 1.5 * Math.PI, counterclockwise);
      ctx.stroke();
    }
    shadeIfDone(ctx, frame);
  },
};
