// MinAtar Breakout: the 10×10 grid exactly as the policy sees it, one colour per observation channel
// (paddle, ball, trail, brick), drawn from the observation rather than the env's internals.
import { BREAKOUT } from '../../src/envs/minatar-breakout.js';
import { clear, COLORS, shadeIfDone, type EnvRenderer } from './types.js';

/** Indexed by channel; a cell shows the last channel that is on, so the ball is drawn over its trail. */
const CHANNEL_COLORS = ['#3b6fb6', '#d9822b', '#f0c9a0', '#7a8699'];
const DRAW_ORDER = [BREAKOUT.channels.brick, BREAKOUT.channels.trail, BREAKOUT.channels.paddle, BREAKOUT.channels.ball];

export const breakoutRenderer: EnvRenderer = {
  actionNames: ['no-op', 'left', 'right'],
  stepsPerSecond: 10,
  draw(ctx, frame) {
    const { width, height } = ctx.canvas;
    const n = BREAKOUT.size;
    const channels = BREAKOUT.channelCount;
    const cell = Math.floor((height - 20) / n);
    const left = Math.floor((width - cell * n) / 2);
    const top = 10;
    clear(ctx);
    ctx.fillStyle = '#f0f2f5';
    ctx.fillRect(left, top, cell * n, cell * n);
    for (let row = 0; row < n; row++) {
      for (let col = 0; col < n; col++) {
        for (const channel of DRAW_ORDER) {
          if (frame.observation[(row * n + col) * channels + channel] !== 1) continue;
          ctx.fillStyle = CHANNEL_COLORS[channel];
          ctx.fillRect(left + col * cell + 1, top + row * cell + 1, cell - 2, cell - 2);
        }
      }
    }
    ctx.strokeStyle = COLORS.faint;
    ctx.lineWidth = 1;
    for (let i = 0; i <= n; i++) {
      ctx.beginPath();
      ctx.moveTo(left + i * cell + 0.5, top);
      ctx.lineTo(left + i * cell + 0.5, top + n * cell);
      ctx.moveTo(left, top + i * cell + 0.5);
      ctx.lineTo(left + n * cell, top + i * cell + 0.5);
      ctx.stroke();
    }
    const legend = ['paddle', 'ball', 'trail', 'brick'];
    ctx.font = '13px system-ui, sans-serif';
    legend.forEach((name, channel) => {
      const y = top + 20 + channel * 24;
      ctx.fillStyle = CHANNEL_COLORS[channel];
      ctx.fillRect(left + n * cell + 14, y - 11, 14, 14);
      ctx.fillStyle = COLORS.dark;
      ctx.fillText(name, left + n * cell + 34, y);
    });
    shadeIfDone(ctx, frame);
  },
};
