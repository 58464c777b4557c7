// CartPole: the track with its ±2.4 limits, the cart, and the pole at angle θ from upright.
import { CARTPOLE, type CartPoleEnv } from '../../src/envs/cartpole.js';
import { clear, COLORS, shadeIfDone, type EnvRenderer } from './types.js';

export const cartPoleRenderer: EnvRenderer = {
  actionNames: ['push left', 'push right'],
  stepsPerSecond: 50,
  draw(ctx, frame) {
    const [x, , theta] = (frame.env as CartPoleEnv).state;
    const { width, height } = ctx.canvas;
    const scale = width / (2 * CARTPOLE.xThreshold * 1.1);
    const trackY = height * 0.7;
    const cartX = width / 2 + x * scale;
    clear(ctx);
    ctx.strokeStyle = COLORS.dark;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(0, trackY);
    ctx.lineTo(width, trackY);
    ctx.stroke();
    ctx.fillStyle = COLORS.accent;
    for (const limit of [-CARTPOLE.xThreshold, CARTPOLE.xThreshold]) ctx.fillRect(width / 2 + limit * scale - 2, trackY - 14, 4, 28);

    const cartW = 0.5 * scale;
    const cartH = 0.3 * scale;
    ctx.fillStyle = COLORS.dark;
    ctx.fillRect(cartX - cartW / 2, trackY - cartH / 2, cartW, cartH);
    // The pole is 2 × CARTPOLE.length long; θ > 0 leans it to the right.
    const poleLength = 2 * CARTPOLE.length * scale;
    const axleY = trackY - cartH / 4;
    ctx.strokeStyle = COLORS.body;
    ctx.lineCap = 'round';
    ctx.lineWidth = 0.1 * scale;
    ctx.beginPath();
    ctx.moveTo(cartX, axleY);
    ctx.lineTo(cartX + Math.sin(theta) * poleLength, axleY - Math.cos(theta) * poleLength);
    ctx.stroke();
    ctx.fillStyle = COLORS.faint;
    ctx.beginPath();
    ctx.arc(cartX, axleY, 0.04 * scale, 0, 2 * Math.PI);
    ctx.fill();
    shadeIfDone(ctx, frame);
  },
};
