// What each (file, command) cell of the corpus is expected to do today. Default: 'ok'. A RegExp is a
// documented refusal (exit 2, one line matching it). { todo } marks a cell that fails because a feature is
// not implemented yet, with the failure as seen; as fixes land, delete the todo so the cell must pass.
import type { Command } from './runner.js';

export type Expectation = 'ok' | RegExp | { todo: string };

/** Per file: '*' for every command, then per-command overrides. Files not listed expect 'ok' everywhere. */
type Row = Partial<Record<Command | '*', Expectation>>;

export const FILES = [
  'sb3-opset9-fixed.onnx', 'sb3-opset9-dynamic.onnx', 'sb3-opset11-fixed.onnx', 'sb3-opset11-dynamic.onnx',
  'sb3-opset13-fixed.onnx', 'sb3-opset13-dynamic.onnx', 'sb3-opset17-fixed.onnx', 'sb3-opset17-dynamic.onnx',
  'sb3-argmax.onnx', 'cleanrl-fixed.onnx', 'cleanrl-dynamic.onnx', 'dueling.onnx',
  'act-layernorm.onnx', 'act-selu.onnx', 'act-softplus.onnx', 'act-prelu.onnx', 'act-gelu.onnx', 'act-silu.onnx', 'act-batchnorm.onnx',
  'two-outputs.onnx', 'nature-cnn.onnx', 'minatar-cnn.onnx', 'minatar-6actions.onnx',
  'half.onnx', 'keep-initializers.onnx', 'external-data.onnx',
  'dqn-Acrobot-v1.zip', 'dqn-LunarLander-v3.zip', 'qrdqn-CartPole-v1.zip', 'dqn-cnn-84x84.zip',
  'cleanrl-cartpole.cleanrl_model', 'mountaincar-sequential.pt',
] as const;

// As seen on the last run: the SB3 exports at every opset (fixed and dynamic batch, ArgMax actions),
// keep_initializers_as_inputs, the unbracketed dueling head, LayerNorm, PReLU, GELU, SiLU, BatchNorm, float16
// (with --allow-fp16) and external data run everywhere, the exports included.
export const EXPECTATIONS: Record<string, Row> = {
  'nature-cnn.onnx': { '*': /^input 'input' has shape \[batch_size, 4, 84, 84\], but MinAtar\/Breakout observations are \[batch, 10, 10, 4\]/, inspect: 'ok' },
  'minatar-6actions.onnx': { '*': /^output 'output' has shape \[batch_size, 6\], but MinAtar\/Breakout has 3 actions: expected \[batch, 3\]/, inspect: 'ok' },
};

/**
 * Commands that, once a file is read and checked, run it only through what every file shares: an onnxruntime
 * session (compare, bench, serve) or the student trainer (distill). They run on one file of each family, and
 * not again on its near-copies below.
 */
const RUNTIME_LEVEL: readonly Command[] = ['distill', 'compare', 'serve', 'bench'];

/**
 * The same network as a file that runs every command, exported another way (another opset, a fixed batch) or
 * with another activation: each runs every command that reads, rewrites or compiles the graph (inspect, eval,
 * the passes, the exports), where those differences matter, but not the runtime-level ones.
 */
const NEAR_COPIES = new Set<string>([
  'sb3-opset9-dynamic.onnx', 'sb3-opset11-fixed.onnx', 'sb3-opset11-dynamic.onnx', 'sb3-opset13-fixed.onnx',
  'sb3-opset13-dynamic.onnx', 'sb3-opset17-fixed.onnx', 'cleanrl-fixed.onnx',
  'act-layernorm.onnx', 'act-selu.onnx', 'act-softplus.onnx', 'act-prelu.onnx', 'act-gelu.onnx', 'act-silu.onnx', 'act-batchnorm.onnx',
]);

/** The commands a file goes through: every one, or for a near-copy every one but the runtime-level ones. */
export function commandsOf<C extends Command>(file: string, all: readonly C[]): C[] {
  return NEAR_COPIES.has(file) ? all.filter((c) => !RUNTIME_LEVEL.includes(c)) : [...all];
}

export function expectationOf(file: string, command: Command): Expectation {
  const r = EXPECTATIONS[file] ?? {};
  return r[command] ?? r['*'] ?? 'ok';
}
