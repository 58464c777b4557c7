// `import`: a Q-network trained elsewhere → teacher.onnx. Reads Stable-Baselines3 / RL Zoo zips and torch.save
// state dicts (CleanRL's .cleanrl_model, .pt, .pth) of MLP Q-networks without running any of their code.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { checkEnvId, envIds, envSpec } from '../envs/registry.js';
import { observationSize, type EnvSpec } from '../envs/types.js';
import { writeModelFile } from '../onnx/model.js';
import { provenance } from '../policy/card.js';
import { policyMetadata } from '../policy/metadata.js';
import { UsageError } from '../util/errors.js';
import { TOOL_VERSION } from '../util/version.js';
import { hiddenSizes, linearLayers, mlpPolicyModel, parameterCount, type Activation, type LinearLayer } from './mlp.js';
import { parseZooYaml, readSb3Data, type Sb3Data } from './sb3.js';
import { isTorchZip, readZip, stateDictFromZip, type Tensor } from './torch-checkpoint.js';

/** Options of importModel(). */
export interface ImportOptions {
  /** Output file (teacher.onnx). */
  out: string;
  /** Environment id; default: inferred from the Zoo's files, the file name or the network's sizes. */
  env?: string;
  /** ONNX opset (default 17). */
  opset?: number;
}

/** What importModel() wrote and what it read. */
export interface ImportResult {
  out: string;
  env: string;
  /** How the environment was chosen, in words. */
  envSource: string;
  /** 'sb3' or 'state_dict'. */
  format: 'sb3' | 'state_dict';
  algorithm: 'DQN' | 'QR-DQN';
  /** Hidden layer sizes, e.g. '256-256'. */
  network: string;
  parameters: number;
  activation: Activation;
  /** SHA-256 of the source file (hex). */
  sha256: string;
  sb3Version: string | null;
  /** Hyperparameters from the Zoo's config.yml, when it was found. */
  hyperparameters: Record<string, unknown> | null;
}

/** At most this many bytes are read from an input (the checkpoints qdistill imports are small MLPs). */
const MAX_INPUT_BYTES = 1024 * 1024 * 1024;

function readInput(file: string): Uint8Array {
  try {
    const size = statSync(file).size;
    if (size > MAX_INPUT_BYTES) throw new UsageError(`file is ${Math.round(size / 2 ** 20)} MiB; qdistill imports checkpoints up to 1024 MiB`, file);
    return readFileSync(file);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder; give the model file' : `cannot read the file (${code ?? String(error)})`, file);
  }
}

/** The Zoo's YAML files near a model: beside it, or in the `<env id>/` folder the Zoo writes beside it. */
function zooFile(file: string, name: string): string | null {
  const dir = dirname(file);
  const stem = basename(file).replace(/\.[^.]+$/, '');
  for (const path of [join(dir, name), join(dir, stem, name)]) if (existsSync(path)) return path;
  return null;
}

/** Picks the environment: --env, the Zoo's args.yml, the file or folder name, or the one env whose sizes fit. */
function chooseEnv(file: string, requested: string | undefined, inputs: number, actions: number): { env: string; envSource: string } {
  if (requested) return { env: checkEnvId(requested), envSource: '--env' };
  const args = zooFile(file, 'args.yml');
  if (args) {
    const env = parseZooYaml(readFileSync(args, 'utf8')).env;
    if (typeof env === 'string' && envIds().includes(env)) return { env, envSource: `${args} names it` };
  }
  const names = [basename(file), basename(dirname(file))];
  for (const name of names) {
    const found = envIds().filter((id) => name.includes(id) || name.includes(id.replace('/', '-')));
    if (found.length) return { env: found.sort((a, b) => b.length - a.length)[0], envSource: `the name '${name}'` };
  }
  const fits = envIds().filter((id) => {
    const spec = envSpec(id);
    return observationSize(spec) === inputs && spec.actionCount === actions;
  });
  if (fits.length === 1) return { env: fits[0], envSource: `the only environment with ${inputs} observations and ${actions} actions` };
  throw new UsageError(
    fits.length ? `the network fits ${fits.join(' and ')}; pass --env` : `no known environment has ${inputs} observations and ${actions} actions; pass --env (known: ${envIds().join(', ')})`,
    file,
  );
}

function checkFits(spec: EnvSpec, layers: LinearLayer[], quantiles: number, file: string): void {
  const inputs = layers[0].inputs;
  const outputs = layers[layers.length - 1].outputs;
  if (inputs !== observationSize(spec)) throw new UsageError(`the network takes ${inputs} inputs but ${spec.id} observations have ${observationSize(spec)}`, file);
  if (outputs !== spec.actionCount * quantiles) {
    const what = quantiles > 1 ? `${spec.actionCount} actions × ${quantiles} quantiles` : `${spec.actionCount} actions`;
    throw new UsageError(`the network gives ${outputs} outputs but ${spec.id} needs ${what}`, file);
  }
}

/** The state dict's Q-network prefix: SB3's q_net.q_net. / quantile_net.quantile_net., else everything but target networks. */
function qNetwork(tensors: Map<string, Tensor>, file: string): { layers: LinearLayer[]; algorithm: 'DQN' | 'QR-DQN' } {
  const names = [...tensors.keys()];
  for (const [outer, inner, algorithm] of [
    ['q_net.', 'q_net.q_net.', 'DQN'],
    ['quantile_net.', 'quantile_net.quantile_net.', 'QR-DQN'],
  ] as const) {
    if (!names.some((n) => n.startsWith(inner))) continue;
    const extractor = names.find((n) => n.startsWith(outer) && !n.startsWith(inner));
    if (extractor) throw new UsageError(`tensor '${extractor}' is a features extractor (e.g. a CNN); qdistill imports MLP policies only`, file);
    return { layers: linearLayers(tensors, inner, file), algorithm };
  }
  const online = new Map([...tensors].filter(([name]) => !/^(target|optim|.*_target\b)/i.test(name.split('.')[0])));
  return { layers: linearLayers(online, '', file), algorithm: 'DQN' };
}

/**
 * Reads the Q-network in `file` (an SB3 / RL Zoo .zip, or a torch.save'd state dict of an MLP) and writes it
 * as an ONNX policy to `o.out`. Nothing in the file is executed. UsageError (one line) for a file it cannot
 * read, a global it does not load, a network that is not an MLP, or an environment it cannot tell.
 */
export async function importModel(file: string, o: ImportOptions): Promise<ImportResult> {
  if (!o?.out) throw new UsageError('no output file; pass --out teacher.onnx');
  const bytes = readInput(file);
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] <= 5) throw new UsageError('checkpoint is in torch\'s legacy (pre-1.6) pickle format; re-save it with a newer torch.save', file);
  const entries = readZip(bytes, file);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  let tensors: Map<string, Tensor>;
  let sb3: Sb3Data | null = null;
  let sb3Version: string | null = null;
  if (entries['data'] && entries['policy.pth']) {
    sb3 = readSb3Data(entries['data'], `${file}: data`);
    tensors = stateDictFromZip(readZip(entries['policy.pth'], `${file}: policy.pth`), `${file}: policy.pth`);
    sb3Version = entries['_stable_baselines3_version'] ? new TextDecoder().decode(entries['_stable_baselines3_version']).trim() : null;
  } else if (isTorchZip(entries)) {
    tensors = stateDictFromZip(entries, file);
  } else {
    throw new UsageError('zip is neither an SB3 model (data + policy.pth) nor a torch.save checkpoint (<folder>/data.pkl)', file);
  }
  const { layers, algorithm: detected } = qNetwork(tensors, file);
  const algorithm = sb3?.algorithm === 'QR-DQN' || detected === 'QR-DQN' ? 'QR-DQN' : 'DQN';
  const inputs = layers[0].inputs;
  const outputs = layers[layers.length - 1].outputs;
  if (sb3?.netArch && hiddenSizes(layers) !== (sb3.netArch.join('-') || 'linear')) {
    throw new UsageError(`policy_kwargs.net_arch is [${sb3.netArch.join(', ')}] but policy.pth holds layers ${hiddenSizes(layers)}`, file);
  }
  let quantiles = 1;
  if (algorithm === 'QR-DQN') {
    const actions = sb3?.actionCount ?? (o.env ? envSpec(checkEnvId(o.env)).actionCount : null);
    quantiles = sb3?.quantiles ?? (actions ? outputs / actions : NaN);
    if (!Number.isInteger(quantiles) || quantiles < 1) throw new UsageError(`cannot tell the quantiles per action of a QR-DQN with ${outputs} outputs; pass --env`, file);
  }
  const actions = sb3?.actionCount ?? outputs / quantiles;
  const { env, envSource } = chooseEnv(file, o.env, inputs, actions);
  const spec = envSpec(env);
  if (sb3?.observationShape && sb3.observationShape.reduce((a, b) => a * b, 1) !== observationSize(spec)) {
    throw new UsageError(`the model was trained on observations of shape [${sb3.observationShape.join(', ')}] but ${env} has [${spec.observationShape.join(', ')}]`, file);
  }
  if (sb3?.actionCount && sb3.actionCount !== spec.actionCount) throw new UsageError(`the model was trained with ${sb3.actionCount} actions but ${env} has ${spec.actionCount}`, file);
  checkFits(spec, layers, quantiles, file);
  const configPath = sb3 ? zooFile(file, 'config.yml') : null;
  const configText = configPath ? readFileSync(configPath, 'utf8') : null;
  const hyperparameters = configText ? parseZooYaml(configText) : null;
  const activation = sb3?.activation ?? 'Relu';
  const card = {
    kind: 'teacher',
    algorithm,
    env,
    network: hiddenSizes(layers),
    parameters: parameterCount(layers),
    activation,
    ...(quantiles > 1 ? { quantiles } : {}),
    source: { file, sha256, format: sb3 ? 'sb3' : 'state_dict', policyClass: sb3?.policyClass ?? null, sb3Version, envSource },
    config: hyperparameters ?? {},
    ...provenance(),
  };
  const model = mlpPolicyModel(layers, spec, {
    activation,
    quantiles: quantiles > 1 ? quantiles : undefined,
    opset: o.opset ?? 17,
    producerVersion: TOOL_VERSION,
    metadata: policyMetadata(spec, card),
    name: `imported ${basename(file)}`,
  });
  writeModelFile(o.out, model);
  return {
    out: o.out,
    env,
    envSource,
    format: sb3 ? 'sb3' : 'state_dict',
    algorithm,
    network: card.network,
    parameters: card.parameters,
    activation,
    sha256,
    sb3Version,
    hyperparameters,
  };
}
