// Serves one of qdistill's environments over stdio, one JSON object per line each way, so that a trainer in
// another language (bench/family/train_teacher.py) plays exactly the dynamics qdistill evaluates on.
//
//   node --import tsx bench/family/env-server.ts CartPole-v1
//
// Requests and responses:
//   {"op":"spec"}                → {"id":…,"obs_shape":[4],"n_actions":2,"max_episode_steps":500,"reward_threshold":475}
//   {"op":"reset","seed":1}      → {"obs":[…]}            (no seed: the env's random stream continues)
//   {"op":"step","action":0}     → {"obs":[…],"r":1,"term":false,"trunc":false}
//   {"op":"preset"}             → RL Zoo's dqn.yml values for this env from src/rl/presets.ts, SB3's snake_case names
//   {"op":"close"}               → {} and the server exits
// A request that fails answers {"error":"…"}; end of stdin ends the server.
import { createInterface } from 'node:readline';
import { makeEnv } from '../../src/envs/registry.js';
import { presetFor } from '../../src/rl/presets.js';

const id = process.argv[2];
if (!id) {
  process.stderr.write('usage: node --import tsx bench/family/env-server.ts <EnvId>\n');
  process.exit(2);
}
const env = makeEnv(id);
const out = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');
// A float32 read as a double prints exactly, so np.float32 in Python gets the very same value back.
const obsText = (obs: Float32Array) => {
  let s = '[';
  for (let i = 0; i < obs.length; i++) s += (i ? ',' : '') + obs[i]!.toString();
  return s + ']';
};

createInterface({ input: process.stdin, crlfDelay: Infinity }).on('line', (line) => {
  if (!line) return;
  try {
    const req = JSON.parse(line) as { op: string; seed?: number; action?: number };
    switch (req.op) {
      case 'step': {
        const r = env.step(req.action as number);
        process.stdout.write(`{"obs":${obsText(r.observation)},"r":${r.reward},"term":${r.terminated},"trunc":${r.truncated}}\n`);
        break;
      }
      case 'reset':
        process.stdout.write(`{"obs":${obsText(env.reset(req.seed ?? undefined))}}\n`);
        break;
      case 'spec': {
        const s = env.spec;
        out({
          id: s.id, obs_shape: s.observationShape, n_actions: s.actionCount,
          max_episode_steps: s.maxEpisodeSteps, reward_threshold: s.rewardThreshold,
        });
        break;
      }
      case 'preset': {
        const snake = (k: string) => k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
        out(Object.fromEntries(Object.entries(presetFor(id)).map(([k, v]) => [snake(k), v])));
        break;
      }
      case 'close':
        out({});
        process.exit(0);
      default:
        out({ error: `unknown op '${req.op}'` });
    }
  } catch (e) {
    out({ error: e instanceof Error ? e.message : String(e) });
  }
});
