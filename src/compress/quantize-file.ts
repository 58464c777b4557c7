// int8 quantization from file to file, in any of the three modes, with the per-layer plan: the input read
// and checked once (a float16 file widened), the calibration states collected when static mode or the
// mixed-precision search needs them, the activation ranges for static mode, the search for
// `--keep-float auto` (layer-search.ts), then the pass like every other pass.
import { GraphEditor } from './editor.js';
import { applyPassToInput, checkOutput, type PassResult } from './apply.js';
import { calibrationStates, rangesOn, type CalibrationStates } from './calibrate.js';
import type { CalibrationSettings } from './calibration-methods.js';
import { checkLayerNames, weightLayers, type LayerPlanOptions } from './layer-plan.js';
import { searchLayers, type LayerSearchReport } from './layer-search.js';
import { readPassInput, type PolicyRead } from './pass-input.js';
import { runPass, type Pass } from './pass.js';
import { dynamicQuantizationPass, type DynamicQuantOptions } from './quantize-dynamic.js';
import { probesForStaticPass, staticQuantizationPass, type StaticFormat, type StaticQuantOptions } from './quantize-static.js';
import { weightQuantizationPass, type WeightQuantOptions } from './quantize-weights.js';
import { DEFAULT_MIN_AGREEMENT } from './calibration-defaults.js';
import type { OnProgress } from '../util/progress.js';
import { UsageError } from '../util/errors.js';

/** The int8 modes: calibrated activations, activations quantized at run time, or int8 storage with float compute. */
export type Int8Mode = 'static' | 'dynamic' | 'weights-only';

/** Which layers stay float32: 'auto' (the mixed-precision search) or layer names (node names; an unnamed node's output name). */
export type KeepFloat = 'auto' | readonly string[];

/** One int8 quantization: the mode, the weight scales, the layers kept float, and where states come from. */
export interface Int8Request {
  /** static, dynamic or weights-only (see Int8Mode). */
  mode: Int8Mode;
  /** One weight scale per output channel for every layer (with keepFloat 'auto' the search chooses per layer). */
  perChannel: boolean;
  /** Layer → per channel (true) or per tensor (false), overriding `perChannel` for the layers named. */
  perChannelLayers?: Readonly<Record<string, boolean>>;
  /** static, dynamic: keep the layers that read the observation float32 (the search does not try them either). */
  keepInputLayer: boolean;
  /** Layers left float32: 'auto' searches (see minAgreement), a list names them; none by default. */
  keepFloat?: KeepFloat;
  /** keepFloat 'auto': least action agreement with the float model on the calibration states (default DEFAULT_MIN_AGREEMENT). */
  minAgreement?: number;
  /** static: QDQ (default) or QOperator. */
  format?: StaticFormat;
  /** static: how observed values become a range (default minmax). */
  settings?: CalibrationSettings;
  /** static, keepFloat 'auto': a dataset (.qdb) or an env id to take states from (default: the env, else the model's own). */
  source?: string;
  /** static, keepFloat 'auto': how many states (default DEFAULT_CALIBRATION_STATES). */
  states?: number;
  /** Calibration and search progress. */
  onProgress?: OnProgress;
}

/** What an int8 quantization wrote, with the search's report when keepFloat was 'auto'. */
export interface Int8Result extends PassResult {
  /** The mixed-precision search (keepFloat 'auto'), else null. */
  search: LayerSearchReport | null;
}

type AnyInt8Options = DynamicQuantOptions | StaticQuantOptions | WeightQuantOptions;

const PASSES: Record<Int8Mode, Pass<never>> = {
  static: staticQuantizationPass as Pass<never>,
  dynamic: dynamicQuantizationPass as Pass<never>,
  'weights-only': weightQuantizationPass as Pass<never>,
};

/** The options of the pass for `request` (static: with the ranges calibrated on `states`). */
async function passOptions(request: Int8Request, view: Parameters<typeof rangesOn>[0], states: CalibrationStates | null): Promise<AnyInt8Options> {
  const { perChannel, keepInputLayer } = request;
  const layers = request.perChannelLayers ? { perChannelLayers: request.perChannelLayers } : {};
  if (request.mode === 'weights-only') return { perChannel, ...layers };
  if (request.mode === 'dynamic') return { perChannel, keepInputLayer, ...layers };
  const format = request.format ?? 'qdq';
  const settings = request.settings ?? { method: 'minmax' };
  const probes = probesForStaticPass(view.model, { format, keepInputLayer });
  const { source, states: count, ranges } = await rangesOn(view, probes, states!, { settings, onProgress: request.onProgress });
  return { format, perChannel, keepInputLayer, ...layers, ranges, calibration: { source, states: count, method: settings.method } };
}

/** int8 quantization of `input` into `out` (see Int8Request); `read` says how to read the input file. */
export async function quantizeFile(input: string, out: string, request: Int8Request, env?: string, read: PolicyRead = {}): Promise<Int8Result> {
  checkOutput(input, out);
  const auto = request.keepFloat === 'auto';
  const target = request.minAgreement ?? DEFAULT_MIN_AGREEMENT;
  if (auto && request.perChannel) throw new UsageError('--per-channel with --keep-float auto: the search chooses per tensor or per channel for each layer; give one of them');
  if (!(target >= 0 && target <= 1)) throw new UsageError(`--min-agreement must be a share between 0 and 1, got ${target}`);
  const pass = PASSES[request.mode];
  const passInput = readPassInput(input, pass.name, env, read);
  const view = passInput.model;
  if (Array.isArray(request.keepFloat)) checkLayerNames(view.model, request.keepFloat, input);
  const states = request.mode === 'static' || auto ? await calibrationStates(view, { source: request.source, states: request.states, env, output: read.output }) : null;
  const base = await passOptions(request, view, states);
  let options: AnyInt8Options & LayerPlanOptions = Array.isArray(request.keepFloat) ? { ...base, keepFloat: request.keepFloat } : base;
  let search: LayerSearchReport | null = null;
  if (auto) {
    const editor = new GraphEditor(view.model);
    const keepsInput = request.mode !== 'weights-only' && request.keepInputLayer;
    const layers = weightLayers(view.model);
    const isInputLayer = (n: (typeof layers)[number]) => keepsInput && editor.readsObservation(n.input[0]);
    const found = await searchLayers({
      view,
      build: (plan) => runPass(pass as Pass<AnyInt8Options & LayerPlanOptions>, view.model, { ...base, ...plan }).model,
      candidates: layers.filter((n) => !isInputLayer(n)),
      fixed: layers.filter(isInputLayer).map((layer) => ({ layer, why: 'reads the observation: kept float32 by default (--quantize-input-layer lets the search try it)' })),
      states: states!,
      target,
      output: read.output,
      onProgress: request.onProgress,
    });
    options = { ...base, ...found.plan };
    search = found.report;
  }
  const result = await applyPassToInput(pass as Pass<AnyInt8Options>, passInput, out, options);
  return { ...result, search };
}
