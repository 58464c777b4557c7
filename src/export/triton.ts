// `export triton`: policies as a Triton Inference Server model repository, one folder per model with its
// config.pbtxt and version 1's model.onnx, run by Triton's onnxruntime backend:
//
//   <out>/<name>/config.pbtxt
//   <out>/<name>/1/model.onnx
//
// Triton batches along a leading batch dimension, which the config leaves out of `dims` (max_batch_size > 0).
// A file exported with a fixed batch of 1 (torch.onnx.export without dynamic_axes) cannot be batched as it is,
// so model.onnx is the copy the runtimes run (src/policy/normalize.ts): a symbolic batch, the Q-values as output
// (behind an ArgMax), float32 at a float16 file's boundary. We write that copy rather than max_batch_size 0 with
// full dims, which would cost Triton's dynamic batcher and every batched request. Our own files go as they are.
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { checkEnvId } from '../envs/registry.js';
import type { EnvSpec } from '../envs/types.js';
import { readPolicyBytes } from '../infer/open.js';
import { decodeModel, encodeModel } from '../onnx/model.js';
import { describePolicyFile, type PolicyFileInfo } from '../policy/file.js';
import { runtimePolicyModel } from '../policy/normalize.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { BATCH_WINDOW_US_RANGE, DEFAULT_BATCH_WINDOW_US, DEFAULT_MAX_BATCH, MAX_BATCH_RANGE } from '../util/batching-defaults.js';
import { UsageError } from '../util/errors.js';
import { parseModelArguments } from '../util/model-names.js';
import { lockFolder, writeOutputFolderSync } from '../util/output-folder.js';
import { checkOutputFolder } from '../util/output-path.js';
import { TOOL_VERSION } from '../util/version.js';
import { renderModelConfig, type TritonModelConfig, type TritonTensor } from './triton-config.js';

/** The first line of every config.pbtxt we write: how a later export knows the folder as its own. */
export const TRITON_CONFIG_MARK = 'written by qdistill export triton';

/** The ranges of the numeric options: serve's (the CLI's flags carry the same ones). */
const LIMITS = { maxBatch: MAX_BATCH_RANGE, batchWindowUs: BATCH_WINDOW_US_RANGE } as const;

/** Options of exportTriton(). The batching options have the names and defaults of `qdistill serve`'s. */
export interface ExportTritonOptions {
  /** The repository folder; each model gets a folder in it. Other folders in it are left alone. */
  out: string;
  /** Environment id for files without qdistill.env metadata. */
  env?: string;
  /** The graph output holding the Q-values, for files with several outputs. */
  output?: string;
  /** Accept a float16 input and output (model.onnx then takes and gives float32, cast at its boundary). */
  allowFp16?: boolean;
  /** max_batch_size, and the dynamic batcher's preferred batch: observations per inference call at most (default 64). */
  maxBatch?: number;
  /** max_queue_delay_microseconds: the longest wait for more requests to batch with the first (default 200). */
  batchWindowUs?: number;
  /** false: no dynamic_batching block, every request runs on its own (default true). */
  batching?: boolean;
  /** One instance on each GPU (KIND_GPU) instead of one on the CPU (KIND_CPU). */
  gpu?: boolean;
  /** Leave the model card (it records the training command line and machine) out of the config's parameters. */
  hideCards?: boolean;
}

/** One model of the repository, as written. */
export interface TritonModelWritten {
  /** The model's name: its folder, and `<name>` in /v2/models/<name>/infer. */
  name: string;
  /** The policy file it came from. */
  source: string;
  /** Environment id the policy plays. */
  env: string;
  /** The observation input: its name and its dims without the batch. */
  input: TritonTensor;
  /** The output read: its name and its dims without the batch. */
  output: TritonTensor;
  /** Whether model.onnx is the runtimes' adapted copy rather than the file's own bytes. */
  adapted: boolean;
  /** How the file was read and adapted (a fixed batch made symbolic, an ArgMax output read as its Q-values, …). */
  notes: string[];
  /** The files written, relative to the repository folder. */
  files: string[];
}

/** What exportTriton() wrote. */
export interface ExportTritonResult {
  /** The repository folder (absolute). */
  out: string;
  /** max_batch_size of every model. */
  maxBatch: number;
  /** The dynamic batcher's settings, or null without one. */
  batching: { windowUs: number; maxBatch: number } | null;
  /** Where the instances run. */
  instanceKind: 'KIND_CPU' | 'KIND_GPU';
  /** The models, in the order given. */
  models: TritonModelWritten[];
}

/** A model ready to write: its folder's two files. */
interface PreparedModel {
  written: TritonModelWritten;
  config: string;
  onnx: Uint8Array;
}

function checkRange(value: number, name: keyof typeof LIMITS): number {
  const { min, max } = LIMITS[name];
  if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`${name} must be an integer in ${min}..${max}, not ${value}`);
  return value;
}

/**
 * Writes a Triton model repository for `models` (paths, or name=path as for `serve`; the name is the file's stem
 * otherwise) into `options.out`: per model `<name>/config.pbtxt` and `<name>/1/model.onnx`. UsageError (one line)
 * for a file that is not a policy of its env, a name two models share, or a model folder already in `out` that
 * this export did not write (one it wrote is replaced whole). All folders appear together or none does.
 */
export function exportTriton(models: string[], options: ExportTritonOptions): ExportTritonResult {
  checkOutputFolder(options.out, '--out');
  if (options.env) checkEnvId(options.env);
  const maxBatch = checkRange(options.maxBatch ?? DEFAULT_MAX_BATCH, 'maxBatch');
  const windowUs = checkRange(options.batchWindowUs ?? DEFAULT_BATCH_WINDOW_US, 'batchWindowUs');
  const batching = options.batching === false ? null : { windowUs, maxBatch };
  const instanceKind = options.gpu ? 'KIND_GPU' : 'KIND_CPU';
  const named = parseModelArguments(models, 'export');
  const out = resolve(options.out);
  const lock = lockFolder(out);
  try {
    for (const { name } of named) checkReplaceable(out, name);
    const prepared = named.map(({ name, file }) => prepareModel(name, file, options, { maxBatch, batching, instanceKind }));
    writeOutputFolderSync(out, (staged) => {
      for (const { written, config, onnx } of prepared) {
        // model.onnx first: config.pbtxt's write then makes the model folder durable with its version folder in it.
        writeFileAtomic(staged.path(written.name, '1', 'model.onnx'), onnx);
        writeFileAtomic(staged.path(written.name, 'config.pbtxt'), config);
      }
    });
    return { out, maxBatch, batching, instanceKind, models: prepared.map((p) => p.written) };
  } finally {
    lock.release();
  }
}

/**
 * Refuses a model folder that is there and is not one this export wrote (a config.pbtxt that starts with our
 * mark, and nothing but it and 1/model.onnx): a user's model, or ours with versions or files added since.
 */
function checkReplaceable(out: string, name: string): void {
  const folder = join(out, name);
  const refuse = (why: string) => new UsageError(`the repository already has a model folder '${name}' that export triton did not write (${why}); give the model another name (name=path) or another --out`, folder);
  let stats;
  try {
    stats = lstatSync(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!stats.isDirectory()) throw refuse('it is not a folder');
  const entries = readdirSync(folder).sort();
  const extra = entries.filter((e) => e !== 'config.pbtxt' && e !== '1');
  if (extra.length) throw refuse(`it holds ${extra.join(', ')}`);
  if (!entries.includes('config.pbtxt') || !startsWithMark(join(folder, 'config.pbtxt'))) throw refuse('its config.pbtxt is not ours');
  if (entries.includes('1')) {
    const version = join(folder, '1');
    if (!lstatSync(version).isDirectory() || readdirSync(version).some((e) => e !== 'model.onnx')) throw refuse('its version folder 1 holds other files');
  }
}

/** Whether `path` is a regular file that starts with our mark (read without opening anything else: a FIFO would block). */
function startsWithMark(path: string): boolean {
  if (!lstatSync(path).isFile()) return false;
  const mark = Buffer.from(`# ${TRITON_CONFIG_MARK}\n`);
  const head = Buffer.alloc(mark.length);
  const fd = openSync(path, 'r');
  try {
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(mark);
  } finally {
    closeSync(fd);
  }
}

/** The observation's dims as the file takes them (NCHW files: channels first), without the batch. */
function observationDims(spec: EnvSpec, info: PolicyFileInfo): number[] {
  const shape = spec.observationShape;
  if (info.inputLayout === 'nchw' && shape.length === 3) return [shape[2], shape[0], shape[1]];
  return [...shape];
}

function prepareModel(
  name: string,
  file: string,
  options: ExportTritonOptions,
  settings: { maxBatch: number; batching: ExportTritonResult['batching']; instanceKind: ExportTritonResult['instanceKind'] },
): PreparedModel {
  const bytes = readPolicyBytes(file);
  const model = decodeModel(bytes, file);
  const { spec, info } = describePolicyFile(model, file, options.env, { output: options.output, allowFp16: options.allowFp16 });
  const adapted = runtimePolicyModel(model, info);
  const input = { name: info.inputName, dims: observationDims(spec, info) };
  const output = { name: info.outputName, dims: [spec.actionCount] };
  const notes = [...info.notes];
  if (info.output === 'actions') notes.push(`output '${info.outputName}' gives one-hot rows of the file's actions (1 for the chosen action): it has no Q-values`);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const parameters: Record<string, string> = {
    'qdistill.env': spec.id,
    'qdistill.output': info.output,
    'qdistill.source': basename(file),
    'qdistill.source_sha256': sha256,
  };
  if (info.card && !options.hideCards) parameters['qdistill.card'] = JSON.stringify(info.card);
  const config: TritonModelConfig = {
    name,
    maxBatchSize: settings.maxBatch,
    input,
    output,
    dynamicBatching: settings.batching && { preferredBatchSize: [settings.batching.maxBatch], maxQueueDelayMicroseconds: settings.batching.windowUs },
    instanceGroup: { kind: settings.instanceKind, count: 1 },
    parameters,
  };
  // The file name is JSON-quoted: a newline in it must not end the comment and start a field.
  const header = [TRITON_CONFIG_MARK, `qdistill ${TOOL_VERSION}, from ${JSON.stringify(basename(file))}; exporting this name again replaces the folder whole`];
  return {
    written: { name, source: file, env: spec.id, input, output, adapted: adapted !== null, notes, files: [`${name}/config.pbtxt`, `${name}/1/model.onnx`] },
    config: renderModelConfig(config, header),
    onnx: adapted ? encodeModel(adapted) : bytes,
  };
}
