// Env id → renderer: the only place in web/ that knows every environment.
import { acrobotRenderer } from './acrobot.js';
import { breakoutRenderer } from './breakout.js';
import { cartPoleRenderer } from './cartpole.js';
import { lunarLanderRenderer } from './lunar-lander.js';
import { mountainCarRenderer } from './mountain-car.js';
import type { EnvRenderer } from './types.js';

export const RENDERERS: Record<string, EnvRenderer> = {
  'CartPole-v1': cartPoleRenderer,
  'Acrobot-v1': acrobotRenderer,
  'MountainCar-v0': mountainCarRenderer,
  'LunarLander-v3': lunarLanderRenderer,
  'MinAtar/Breakout': breakoutRenderer,
};

export function rendererFor(envId: string): EnvRenderer {
  const renderer = RENDERERS[envId];
  if (!renderer) throw new Error(`no renderer for ${envId}`);
  return renderer;
}
