// Labelled states for distillation: observations with the teacher's outputs (and the transitions they came
// from, for the dqn+kl loss), in one bundle file whose JSON header says what it holds, so a sweep labels once
// and every student reuses the labels. Demonstrations (`qdistill record`) use the same format. The same
// dataset may also be an .npz (numpy's zip of arrays, util/npy.ts) under numpy's usual names, so that Python
// reads it with numpy.load; which one a file is, the reader tells from its first bytes, the writer from the
// name's extension.
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { UsageError } from '../util/errors.js';
import { isNumpyFile, readNpz, toFloat32, writeNpz, type NpyArray, type NpyInput } from '../util/npy.js';
import { readBundle, writeBundle } from '../util/tensor-bundle.js';
import type { EnvSpec } from '../envs/types.js';

export interface DatasetHeader {
  kind: 'qdistill-dataset';
  version: 1;
  env: string;
  observationShape: number[];
  actionCount: number;
  count: number;
  /** sha256 (first 16 hex digits) of the teacher file, or of the policy that recorded demonstrations. */
  teacherHash: string;
  /**
   * What `targets` holds: the teacher's Q-values (or logits); 'actions': one-hot rows of the actions of a
   * teacher that gives actions only (learnt by behaviour cloning); or nothing for demonstrations.
   */
  targets: 'q_values' | 'logits' | 'actions' | 'none';
  /** Who chose the actions while collecting; 'observations': states recorded elsewhere (`distill --observations`), labelled by the teacher, with no transitions (next observation = the observation, reward 0). */
  source: 'teacher' | 'student' | 'mixed' | 'demonstrations' | 'observations';
}

export interface Dataset {
  header: DatasetHeader;
  observations: Float32Array;
  /** count × actionCount teacher outputs (one-hot rows for an actions-only teacher; empty for demonstrations). */
  targets: Float32Array;
  actions: Int32Array;
  rewards: Float32Array;
  nextObservations: Float32Array;
  terminals: Float32Array;
}

/** sha256 of a file's bytes, its first 16 hex digits (what cards and dataset headers record). */
export function fileHash(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);
}

/** The dataset formats: our tensor bundle (.qdb, the default) and numpy's .npz. */
export const DATASET_FORMATS = ['qdb', 'npz'] as const;
/** A dataset format, also the file name's extension. */
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

/**
 * Arrays an .npz dataset holds besides those of the .qdb, for Python readers: `truncated` (bool, the episode was
 * cut by the time limit after this step) and `episode` (int64, which episode the step belongs to), as `record`
 * knows them.
 */
export interface EpisodeArrays {
  /** 1 where the episode was truncated after this step. */
  truncated: Uint8Array;
  /** The index of the recorded episode each step belongs to. */
  episode: Int32Array;
}

/**
 * Writes a dataset (atomically): an .npz when `path` ends in '.npz' — the arrays observations and
 * next_observations (float32, count × observationShape), actions (int64), rewards (float32), terminated
 * (bool), targets (float32, count × actionCount; left out for demonstrations), `episodes`' arrays when given,
 * and meta (a 0-d string: the header as JSON) — else a .qdb bundle.
 */
export function writeDataset(path: string, d: Dataset, episodes?: EpisodeArrays): void {
  if (path.toLowerCase().endsWith('.npz')) return writeNpz(path, npzArrays(d, episodes));
  const { header, ...arrays } = d;
  writeBundle<DatasetHeader>(path, { meta: header, arrays });
}

/** A dataset's arrays under numpy's usual names and dtypes (see writeDataset). */
function npzArrays(d: Dataset, episodes?: EpisodeArrays): Record<string, NpyInput> {
  const { header } = d;
  const n = header.count;
  const observed = [n, ...header.observationShape];
  return {
    observations: { shape: observed, data: d.observations },
    actions: { shape: [n], data: BigInt64Array.from(d.actions, (a) => BigInt(a)) },
    rewards: { shape: [n], data: d.rewards },
    next_observations: { shape: observed, data: d.nextObservations },
    terminated: { shape: [n], data: Uint8Array.from(d.terminals, (t) => (t ? 1 : 0)), dtype: 'bool' },
    ...(header.targets === 'none' ? {} : { targets: { shape: [n, header.actionCount], data: d.targets } }),
    ...(episodes ? { truncated: { shape: [n], data: episodes.truncated, dtype: 'bool' as const }, episode: { shape: [n], data: BigInt64Array.from(episodes.episode, (e) => BigInt(e)) } } : {}),
    meta: { shape: [], data: [JSON.stringify(header)] },
  };
}

/**
 * Reads a dataset written by writeDataset, .qdb or .npz (told by the file's first bytes); anything else is a
 * UsageError naming the file. With `demonstrationsOf`, an .npz made elsewhere (no `meta`) is also read as
 * demonstrations of that env: see readForeignDemonstrations.
 */
export function readDataset(path: string, demonstrationsOf?: EnvSpec): Dataset {
  const numpy = isNumpyFile(firstBytes(path));
  if (numpy && demonstrationsOf) {
    const npz = readNpz(path);
    if (!npz.has('meta')) return readForeignDemonstrations(path, npz, demonstrationsOf);
  }
  const { meta, arrays } = numpy ? readNpzDataset(path) : readBundle<DatasetHeader>(path);
  checkHeader(meta, path);
  const size = meta.observationShape.reduce((a, b) => a * b, 1);
  const n = meta.count;
  const expect: [string, number][] = [
    ['observations', n * size],
    ['nextObservations', n * size],
    ['targets', meta.targets === 'none' ? 0 : n * meta.actionCount],
    ['actions', n],
    ['rewards', n],
    ['terminals', n],
  ];
  for (const [name, length] of expect) {
    if (arrays[name]?.length !== length) throw new UsageError(`not a qdistill dataset: '${name}' holds ${arrays[name]?.length ?? 0} values, expected ${length}`, path);
  }
  if (n === 0) throw new UsageError('the dataset is empty', path);
  return {
    header: meta,
    observations: arrays.observations as Float32Array,
    targets: arrays.targets as Float32Array,
    actions: arrays.actions as Int32Array,
    rewards: arrays.rewards as Float32Array,
    nextObservations: arrays.nextObservations as Float32Array,
    terminals: arrays.terminals as Float32Array,
  };
}

function checkHeader(meta: DatasetHeader | undefined, path: string): void {
  const ok =
    meta?.kind === 'qdistill-dataset' &&
    meta.version === 1 &&
    Array.isArray(meta.observationShape) &&
    meta.observationShape.every((d) => Number.isInteger(d) && d > 0) &&
    Number.isInteger(meta.count) &&
    meta.count >= 0 &&
    Number.isInteger(meta.actionCount) &&
    meta.actionCount > 0;
  if (!ok) throw new UsageError('not a qdistill dataset: wrong header', path);
}

/**
 * The first 8 bytes of a regular file, opened without blocking; a folder, FIFO or device is a UsageError here
 * (a FIFO would hang the whole-file read). A file that cannot be opened gives none: the reader that follows says why.
 */
function firstBytes(path: string): Uint8Array {
  const head = new Uint8Array(8);
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return new Uint8Array(0);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new UsageError('is a folder, not a file', path);
    if (!stat.isFile()) throw new UsageError('is not a regular file (a FIFO, a device or a socket)', path);
    return head.subarray(0, readSync(fd, head, 0, 8, 0));
  } finally {
    closeSync(fd);
  }
}

/** An .npz dataset's header and arrays under the .qdb's names; its `meta` must be our header (a file of raw states goes to `distill --observations`). */
function readNpzDataset(path: string): { meta: DatasetHeader; arrays: Record<string, ArrayLike<number>> } {
  const npz = readNpz(path);
  const bad = (what: string) => new UsageError(`not a qdistill dataset: ${what}`, path);
  const metaArray = npz.get('meta');
  if (!metaArray || metaArray.dtype !== 'str' || metaArray.shape.length !== 0) {
    throw bad(`no 'meta' string array (the header \`record --out x.npz\` writes); demonstrations saved by another tool are read with --from-demos and --env <id>, unlabelled states with \`distill --observations ${path}\``);
  }
  let meta: DatasetHeader;
  try {
    meta = JSON.parse((metaArray.data as string[])[0]);
  } catch {
    throw bad("'meta' is not JSON");
  }
  checkHeader(meta, path);
  const n = meta.count;
  const numbers = (name: string, rows: number[] | null): Float32Array | undefined => {
    const a = npz.get(name);
    if (!a) return undefined;
    if (rows && a.shape.join() !== rows.join()) throw bad(`'${name}' has shape (${a.shape.join(', ')}), expected (${rows.join(', ')})`);
    return toFloat32(a, `${path}: ${name}`);
  };
  const shape = [n, ...meta.observationShape];
  const actions = npz.get('actions');
  return {
    meta,
    arrays: {
      observations: numbers('observations', shape) ?? new Float32Array(0),
      nextObservations: numbers('next_observations', shape) ?? new Float32Array(0),
      targets: numbers('targets', meta.targets === 'none' ? null : [n, meta.actionCount]) ?? new Float32Array(0),
      actions: actions ? integerActions(actions, `${path}: actions`, meta.actionCount) : new Int32Array(0),
      rewards: numbers('rewards', [n]) ?? new Float32Array(0),
      terminals: numbers('terminated', [n]) ?? new Float32Array(0),
    },
  };
}

/** The first array of `npz` under one of `names` (the names Python tools use for the same thing). */
function firstOf(npz: Map<string, NpyArray>, names: string[]): [string, NpyArray] | undefined {
  for (const name of names) {
    const a = npz.get(name);
    if (a) return [name, a];
  }
  return undefined;
}

/**
 * Demonstrations saved with numpy by another tool: observations (`observations` or `obs`) and actions
 * (`actions` or `acts`), as the `imitation` library and hand-written recorders name them; optional rewards
 * (`rewards`/`rews`), next observations (`next_observations`/`next_obs`) and endings
 * (`terminated`/`dones`). Missing rewards and endings read as 0, missing next observations as the state
 * itself: behaviour cloning uses only states and actions.
 */
function readForeignDemonstrations(path: string, npz: Map<string, NpyArray>, spec: EnvSpec): Dataset {
  const bad = (what: string) => new UsageError(`not demonstrations: ${what}`, path);
  const observations = firstOf(npz, ['observations', 'obs']);
  const actions = firstOf(npz, ['actions', 'acts']);
  if (!observations || !actions) throw bad(`an .npz without qdistill's 'meta' needs 'observations' (or 'obs') and 'actions' (or 'acts'); it has ${[...npz.keys()].join(', ') || 'no arrays'}`);
  const size = spec.observationShape.reduce((a, b) => a * b, 1);
  const n = observations[1].shape[0] ?? 0;
  const rows = (name: string, a: NpyArray): Float32Array => {
    const perRow = a.shape.slice(1);
    const fits = a.shape[0] === n && (perRow.join() === spec.observationShape.join() || (perRow.length === 1 && perRow[0] === size));
    if (!fits) throw bad(`'${name}' has shape (${a.shape.join(', ')}); ${spec.id} needs (N, ${spec.observationShape.join(', ')})`);
    const values = toFloat32(a, `${path}: ${name}`);
    const i = values.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) throw bad(`'${name}' holds ${values[i]} in state ${Math.floor(i / size)}`);
    return values;
  };
  const perStep = (names: string[]): Float32Array => {
    const found = firstOf(npz, names);
    if (!found) return new Float32Array(n);
    if (found[1].shape.join() !== String(n)) throw bad(`'${found[0]}' has shape (${found[1].shape.join(', ')}), expected (${n})`);
    return toFloat32(found[1], `${path}: ${found[0]}`);
  };
  if (actions[1].shape.join() !== String(n) && actions[1].shape.join() !== `${n},1`) throw bad(`'${actions[0]}' has shape (${actions[1].shape.join(', ')}), expected (${n})`);
  if (n === 0) throw new UsageError('the demonstrations are empty', path);
  const obs = rows(observations[0], observations[1]);
  const next = firstOf(npz, ['next_observations', 'next_obs']);
  return {
    header: { kind: 'qdistill-dataset', version: 1, env: spec.id, observationShape: spec.observationShape, actionCount: spec.actionCount, count: n, teacherHash: fileHash(path), targets: 'none', source: 'demonstrations' },
    observations: obs,
    targets: new Float32Array(0),
    actions: integerActions(actions[1], `${path}: ${actions[0]}`, spec.actionCount),
    rewards: perStep(['rewards', 'rews']),
    nextObservations: next ? rows(next[0], next[1]) : obs.slice(),
    terminals: perStep(['terminated', 'dones']),
  };
}

/** Integer actions in 0..actionCount − 1 as int32; anything else is a UsageError naming `where`. */
function integerActions(a: NpyArray, where: string, actionCount: number): Int32Array {
  if (!/^u?int/.test(a.dtype)) throw new UsageError(`actions are ${a.dtype}, expected integers`, where);
  const out = Int32Array.from(a.data as ArrayLike<number | bigint>, (v) => Number(v));
  const i = out.findIndex((v, k) => v < 0 || v >= actionCount || Number(a.data[k]) !== v);
  if (i >= 0) throw new UsageError(`action ${a.data[i]} at index ${i} is not in 0..${actionCount - 1}`, where);
  return out;
}
