// `import`: a Q-network trained elsewhere → teacher.onnx and card.json. Reads Stable-Baselines3 / RL Zoo zips
// (DQN and QR-DQN, MlpPolicy and CnnPolicy with SB3's NatureCNN) and torch.save state dicts (CleanRL's
// .cleanrl_model, .pt, .pth) of MLP Q-networks without running any of their code.
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { checkEnvId, envSpec } from '../envs/registry.js';
import { observationSize, type EnvSpec } from '../envs/types.js';
import { writeModelFile } from '../onnx/model.js';
import { provenance } from '../policy/card.js';
import { METADATA_KEYS, policyMetadata } from '../policy/metadata.js';
import { UsageError } from '../util/errors.js';
import { readInputFile, readInputText } from '../util/input-file.js';
import type { OnLog } from '../util/progress.js';
import { TOOL_VERSION } from '../util/version.js';
import { writeImportCard, type ImportedTeacherCard } from './card.js';
import { chooseEnv, zooFile, type FitTest } from './env-choice.js';
import { hiddenSizes, linearLayers, mlpPolicyModel, parameterCount, type Activation, type LinearLayer } from './mlp.js';
import { natureCnn, natureCnnName, natureCnnNodes, natureCnnParameters, type NatureCnn } from './nature-cnn.js';
import { isImageSpace, parseZooYaml, readSb3Data, type Sb3Data } from './sb3.js';
import { isTorchZip, readZip, stateDictFromZip, type Tensor } from './torch-checkpoint.js';

/** sb3-contrib's QR-DQN quantiles per action when policy_kwargs names none (QRDQNPolicy's n_quantiles default). */
export const SB3_CONTRIB_DEFAULT_QUANTILES = 200;

/** Options of importModel(). */
export interface ImportOptions {
  /** Output file (teacher.onnx); card.json is written beside it. An existing file of either name is replaced. */
  out: string;
  /** Environment id; default: from the Zoo's args.yml, the file or folder name, or the one env the network fits (none: the file records no env). */
  env?: string;
  /** ONNX opset (default 17). */
  opset?: number;
  /** Lines a person would be told (that the file records no env). */
  onLog?: OnLog;
}

/** What importModel() wrote and what it read. */
export interface ImportResult {
  out: string;
  /** The card written beside `out` (card.json). */
  cardPath: string;
  /** The environment id, or null when none of qdistill's fits (the file then records none). */
  env: string | null;
  /** How the environment was chosen (or why none was), in words. */
  envSource: string;
  /** 'sb3' or 'state_dict'. */
  format: 'sb3' | 'state_dict';
  algorithm: 'DQN' | 'QR-DQN';
  /** The layers, e.g. '256-256', or 'conv32-64-64-512' for a NatureCNN with a linear head. */
  network: string;
  parameters: number;
  activation: Activation;
  /** QR-DQN's quantiles per action, or null for DQN. */
  quantiles: number | null;
  /** The shape of one observation the file takes (e.g. [4, 84, 84] for a NatureCNN, NCHW). */
  observationShape: number[];
  /** The preprocessing SB3 applied and the graph now does ('obs / 255'), or null. */
  preprocessing: string | null;
  /** SHA-256 of the source file (hex). */
  sha256: string;
  sb3Version: string | null;
  /** Hyperparameters from the Zoo's config.yml, when it was found. */
  hyperparameters: Record<string, unknown> | null;
  /** The card written (also inside the file as qdistill.card). */
  card: ImportedTeacherCard;
}

/** At most this many bytes are read from an input (the checkpoints qdistill imports are small MLPs). */
const MAX_INPUT_BYTES = 1024 * 1024 * 1024;
/** RL Zoo's config.yml and args.yml are a few KiB. */
const MAX_YAML_BYTES = 16 * 2 ** 20;

function readInput(file: string): Uint8Array {
  return readInputFile(file, 'model file', { maxBytes: MAX_INPUT_BYTES });
}

const shown = (shape: readonly number[]) => `[${shape.join(', ')}]`;
const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** The Q-network in a state dict: SB3's q_net / quantile_net (MLP, with a features extractor's prefix if any), else every non-target Linear. */
function qNetwork(tensors: Map<string, Tensor>, file: string): { layers: LinearLayer[]; algorithm: 'DQN' | 'QR-DQN'; extractor: string | null } {
  const names = [...tensors.keys()];
  for (const [outer, inner, algorithm] of [
    ['q_net.', 'q_net.q_net.', 'DQN'],
    ['quantile_net.', 'quantile_net.quantile_net.', 'QR-DQN'],
  ] as const) {
    if (!names.some((n) => n.startsWith(inner))) continue;
    const extractor = `${outer}features_extractor.`;
    const stray = names.find((n) => n.startsWith(outer) && !n.startsWith(inner) && !n.startsWith(extractor));
    if (stray) throw new UsageError(`tensor '${stray}' is neither in the features extractor nor in ${inner.slice(0, -1)}; qdistill imports SB3's QNetwork layout`, file);
    return { layers: linearLayers(tensors, inner, file), algorithm, extractor: names.some((n) => n.startsWith(extractor)) ? extractor : null };
  }
  const online = new Map([...tensors].filter(([name]) => !/^(target|optim|.*_target\b)/i.test(name.split('.')[0])));
  return { layers: linearLayers(online, '', file), algorithm: 'DQN', extractor: null };
}

/** The NatureCNN of an SB3 zip under `prefix`, for the images its observation space names. */
function readCnn(tensors: Map<string, Tensor>, prefix: string, sb3: Sb3Data | null, file: string): NatureCnn {
  if (!sb3) throw new UsageError(`tensor '${prefix}…' is a features extractor; qdistill imports CNNs from SB3 .zip files only (their data names the image shape and normalization)`, file);
  if (sb3.featuresExtractor && sb3.featuresExtractor !== 'NatureCNN') {
    throw new UsageError(`policy_kwargs.features_extractor_class is ${sb3.featuresExtractor}; qdistill imports SB3's NatureCNN (CnnPolicy's default) and MLPs only`, file);
  }
  const image = sb3.observation?.shape;
  if (!image) throw new UsageError("the zip's data gives no observation space shape; qdistill needs it to read a CNN", file);
  return natureCnn(tensors, prefix, image, file);
}

/**
 * Whether SB3 divided observations by 255 before the network (preprocess_obs: normalize_images and an image
 * space, a 3-D uint8 Box with bounds 0 and 255). A NatureCNN asserts an image space when normalize_images is
 * on, so for one the bounds may be missing from data.
 */
function dividesBy255(sb3: Sb3Data | null, cnn: NatureCnn | null, file: string): boolean {
  if (!sb3?.normalizeImages) return false;
  const image = isImageSpace(sb3.observation);
  if (image !== 'unknown') return image;
  if (cnn) return true;
  const box = sb3.observation;
  if (box?.shape?.length === 3 && box.dtype !== 'float32' && box.dtype !== 'float64') {
    throw new UsageError(`cannot tell whether SB3 divided the ${shown(box.shape)} observations by 255: the zip's data gives no dtype or bounds for the observation space`, file);
  }
  return false;
}

/**
 * Reads the Q-network in `file` (an SB3 / RL Zoo .zip of a DQN or QR-DQN MlpPolicy or CnnPolicy, or a
 * torch.save'd state dict of an MLP) and writes it as an ONNX policy to `o.out`, with card.json beside it.
 * Nothing in the file is executed. When no environment of qdistill's fits the network (e.g. an Atari CNN),
 * the file records none, the result's `env` is null and `o.onLog` is told. UsageError (one line) for a file
 * it cannot read, a global it does not load, a network it does not import, or an --env that does not fit.
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
  const { layers, algorithm: detected, extractor } = qNetwork(tensors, file);
  const algorithm = sb3?.algorithm === 'QR-DQN' || detected === 'QR-DQN' ? 'QR-DQN' : 'DQN';
  const cnn = extractor ? readCnn(tensors, extractor, sb3, file) : null;
  const inputs = layers[0].inputs;
  const outputs = layers[layers.length - 1].outputs;
  if (sb3?.netArch && hiddenSizes(layers) !== (sb3.netArch.join('-') || 'linear')) {
    throw new UsageError(`policy_kwargs.net_arch is [${sb3.netArch.join(', ')}] but policy.pth holds layers ${hiddenSizes(layers)}`, file);
  }
  if (cnn && inputs !== cnn.linear.outputs) throw new UsageError(`${layers[0].name} takes ${inputs} inputs but the NatureCNN gives ${cnn.linear.outputs} features`, file);
  let quantiles = 1;
  if (algorithm === 'QR-DQN') {
    const actions = sb3?.actionCount ?? (o.env ? envSpec(checkEnvId(o.env)).actionCount : null);
    quantiles = sb3?.quantiles ?? (actions ? outputs / actions : NaN);
    if (!Number.isInteger(quantiles) || quantiles < 1) throw new UsageError(`cannot tell the quantiles per action of a QR-DQN with ${outputs} outputs; pass --env`, file);
    if (sb3 && sb3.quantiles === null && quantiles !== SB3_CONTRIB_DEFAULT_QUANTILES) {
      throw new UsageError(`policy_kwargs names no n_quantiles, so sb3-contrib used ${SB3_CONTRIB_DEFAULT_QUANTILES}, but the network gives ${outputs} outputs for ${actions} actions`, file);
    }
  }
  const actions = sb3?.actionCount ?? outputs / quantiles;
  if (outputs !== actions * quantiles) {
    throw new UsageError(`the network gives ${outputs} outputs but ${quantiles > 1 ? `${actions} actions × ${quantiles} quantiles` : `${actions} actions`} need ${actions * quantiles}`, file);
  }
  // What one observation is to the network: an image [C, H, W] for a CNN, else `inputs` values (in the space's shape when data gives it).
  const spaceShape = sb3?.observation?.shape ?? null;
  if (!cnn && spaceShape && spaceShape.reduce((a, b) => a * b, 1) !== inputs) {
    throw new UsageError(`the observation space is ${shown(spaceShape)} but ${layers[0].name} takes ${inputs} inputs`, file);
  }
  const fitsActions = (spec: EnvSpec): string | null => {
    if (sb3?.actionCount && sb3.actionCount !== spec.actionCount) return `the model was trained with ${sb3.actionCount} actions but ${spec.id} has ${spec.actionCount}`;
    if (outputs !== spec.actionCount * quantiles) {
      return `the network gives ${outputs} outputs but ${spec.id} needs ${quantiles > 1 ? `${spec.actionCount} actions × ${quantiles} quantiles` : `${spec.actionCount} actions`}`;
    }
    return null;
  };
  const fit: FitTest = (spec: EnvSpec) => {
    if (cnn) {
      const [h, w, c] = spec.observationShape;
      const layout = same(spec.observationShape, cnn.imageShape) ? 'native' : spec.observationLayout === 'hwc' && same([c, h, w], cnn.imageShape) ? 'nchw' : null;
      if (!layout) return `the network takes ${shown(cnn.imageShape)} images but ${spec.id} observations are ${shown(spec.observationShape)}`;
      return fitsActions(spec) ?? { layout };
    }
    if (spaceShape && observationSize(spec) !== inputs) return `the model was trained on observations of shape ${shown(spaceShape)} but ${spec.id} has ${shown(spec.observationShape)}`;
    if (inputs !== observationSize(spec)) return `the network takes ${inputs} inputs but ${spec.id} observations have ${observationSize(spec)}`;
    return fitsActions(spec) ?? { layout: 'native' };
  };
  const takes = cnn ? `${shown(cnn.imageShape)} image observations and ${actions} actions` : `${inputs} observations and ${actions} actions`;
  const { env, envSource, layout } = chooseEnv(file, o.env, fit, takes);
  const spec = env ? envSpec(env) : null;
  const observationShape = cnn ? [...cnn.imageShape] : spec ? [...spec.observationShape] : spaceShape ? [...spaceShape] : [inputs];
  const fileLayout = spec ? (layout === 'nchw' ? 'nchw' : spec.observationLayout) : cnn ? 'nchw' : observationShape.length === 1 ? 'flat' : null;
  const preprocessing = dividesBy255(sb3, cnn, file) ? 'obs / 255' : null;

  const configPath = sb3 ? zooFile(file, 'config.yml') : null;
  const hyperparameters = configPath ? parseZooYaml(readInputText(configPath, 'RL Zoo config', { maxBytes: MAX_YAML_BYTES })) : null;
  const argsPath = sb3 ? zooFile(file, 'args.yml') : null;
  const activation = sb3?.activation ?? 'Relu';
  const hidden = hiddenSizes(layers);
  const card: ImportedTeacherCard = {
    kind: 'teacher',
    algorithm,
    env,
    network: cnn ? `${natureCnnName(cnn)}${hidden === 'linear' ? '' : `-${hidden}`}` : hidden,
    parameters: parameterCount(layers) + (cnn ? natureCnnParameters(cnn) : 0),
    activation,
    ...(quantiles > 1 ? { quantiles } : {}),
    input: { shape: observationShape, layout: fileLayout, preprocessing },
    source: {
      file,
      sha256,
      format: sb3 ? 'sb3' : 'state_dict',
      policyClass: sb3?.policyClass ?? null,
      sb3Version,
      envSource,
      observationSpace: sb3?.observation ?? null,
      normalizeImages: sb3 ? sb3.normalizeImages : null,
      zooConfig: configPath,
      zooArgs: argsPath,
    },
    config: hyperparameters ?? {},
    args: argsPath ? parseZooYaml(readInputText(argsPath, 'RL Zoo args', { maxBytes: MAX_YAML_BYTES })) : null,
    ...provenance(),
  };
  const metadata = spec
    ? policyMetadata(spec, card, { layout: layout === 'nchw' ? 'nchw' : 'native' })
    : {
        [METADATA_KEYS.output]: 'q_values',
        ...(fileLayout ? { [METADATA_KEYS.layout]: fileLayout } : {}),
        [METADATA_KEYS.card]: JSON.stringify(card),
      };
  const model = mlpPolicyModel(layers, { observationShape, actionCount: actions }, {
    // SB3's QNetwork puts its activation between the q_net layers; NatureCNN's own are ReLU whatever activation_fn is.
    activation,
    quantiles: quantiles > 1 ? quantiles : undefined,
    inputScale: preprocessing ? 1 / 255 : undefined,
    features: cnn ? (input) => natureCnnNodes(cnn, input) : undefined,
    opset: o.opset ?? 17,
    producerVersion: TOOL_VERSION,
    metadata,
    name: `imported ${basename(file)}`,
  });
  writeModelFile(o.out, model);
  const cardPath = writeImportCard(o.out, card);
  if (!env) o.onLog?.(`no environment of qdistill's has ${takes}: ${o.out} records none; pass --env to the commands that play it`);
  return {
    out: o.out,
    cardPath,
    env,
    envSource,
    format: card.source.format,
    algorithm,
    network: card.network,
    parameters: card.parameters,
    activation,
    quantiles: quantiles > 1 ? quantiles : null,
    observationShape,
    preprocessing,
    sha256,
    sb3Version,
    hyperparameters,
    card,
  };
}
