// `quantize --keep-float auto`: the mixed-precision search. Policies with nearly tied Q-values (the RL Zoo's
// CartPole DQN: Q-values near 100, a median gap of 0.15 between the two best actions) lose the greedy action
// to int8 rounding in one layer more than in another, so each weight layer is first quantized alone, per
// tensor and per channel, on the calibration states: the granularity that keeps more actions (then the
// smaller output error) is that layer's. Then layers are added from the least to the most harmful, each kept
// only while the action agreement with the float model stays at or above the target; the rest stay float32.
// A layer that already breaks the target alone is not tried in combination. Every trial runs the real pass
// output in onnxruntime-node on the same states, so what is measured is what the file will do.
import { openPolicyModel } from '../infer/open.js';
import { encodeModel, type ModelProto, type NodeProto } from '../onnx/model.js';
import type { LoadedModel } from '../onnx/read-bytes.js';
import { actionAgreement } from '../policy/agreement.js';
import type { OnProgress } from '../util/progress.js';
import type { CalibrationStates } from './calibrate.js';
import { layerName, stillFloat, type LayerPlanOptions } from './layer-plan.js';
import { deployedQValues } from './deployed-q.js';

/** How close one trial's output stays to the float model's on the search states. */
export interface LayerTrial {
  /** Share of states where the greedy action is the float model's. */
  agreement: number;
  /** Largest |Q − float Q| over the states and actions. */
  maxAbsError: number;
}

/** What the search found for one weight layer. */
export interface LayerFinding {
  /** The layer's node name (its output's name for an unnamed node). */
  name: string;
  /** MatMul, Gemm or Conv. */
  op: string;
  /** The layer quantized alone (everything else float32), per tensor and per channel; null when it was not tried. */
  alone: { perTensor: LayerTrial; perChannel: LayerTrial } | null;
  /** The granularity chosen from `alone` (true: per channel); null when it was not tried. */
  perChannel: boolean | null;
  /** True when the layer is int8 in the output. */
  quantized: boolean;
  /** One line: why it is int8 or float32. */
  why: string;
}

/** The search's result: the layers, which stayed float32, and the agreement of the plan it chose. */
export interface LayerSearchReport {
  /** Least action agreement with the float model the plan had to keep. */
  target: number;
  /** States measured on, and where they came from (an env id or a dataset). */
  states: number;
  source: string;
  /** Every weight layer, in graph order. */
  layers: LayerFinding[];
  /** Layers left float32, in graph order. */
  keptFloat: string[];
  /** Layers quantized to int8, in graph order. */
  quantized: string[];
  /** Action agreement of the chosen plan with the float model on the search states (1 when nothing is quantized). */
  agreement: number;
  /** One line when no layer could be quantized without falling below the target, else null. */
  warning: string | null;
}

/** What the search works on. */
export interface LayerSearchRequest {
  /** The float32 model the pass rewrites. */
  view: LoadedModel;
  /** The pass's output for a plan: `keepFloat` lists every layer not to quantize. */
  build: (plan: Required<LayerPlanOptions>) => ModelProto;
  /** Layers the search may quantize, in graph order. */
  candidates: NodeProto[];
  /** Layers that stay float whatever the search finds, with the reason (e.g. the input layer). */
  fixed: { layer: NodeProto; why: string }[];
  /** Calibration states (from the env or a dataset). */
  states: CalibrationStates;
  /** Least action agreement to keep, in [0, 1]. */
  target: number;
  /** The graph output holding the Q-values, for files with several outputs. */
  output?: string;
  /** One event per trial (task 'searching layers'). */
  onProgress?: OnProgress;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The Q-values a model gives on the search states (onnxruntime-node CPU, as compare.ts runs policies). */
async function qValuesOn(model: ModelProto, where: string, request: LayerSearchRequest): Promise<Float32Array> {
  const { states } = request;
  const policy = await openPolicyModel(encodeModel(model), model, where, { env: states.spec.id, output: request.output });
  try {
    return await deployedQValues(policy, model, states.observations, states.states);
  } finally {
    await policy.dispose();
  }
}

function closeness(reference: Float32Array, q: Float32Array, actions: number): LayerTrial {
  let maxAbsError = 0;
  for (let i = 0; i < q.length; i++) maxAbsError = Math.max(maxAbsError, Math.abs(q[i] - reference[i]));
  return { agreement: actionAgreement(reference, q, actions), maxAbsError };
}

/** Better for the greedy action: more agreement, then a smaller output error. */
const better = (a: LayerTrial, b: LayerTrial) => a.agreement > b.agreement || (a.agreement === b.agreement && a.maxAbsError < b.maxAbsError);

/** Runs the search (see the file comment); returns the plan for the final pass and the report. */
export async function searchLayers(request: LayerSearchRequest): Promise<{ plan: Required<LayerPlanOptions>; report: LayerSearchReport }> {
  const { view, candidates, target, states } = request;
  const actions = states.spec.actionCount;
  const names = candidates.map(layerName);
  const reference = await qValuesOn(view.model, view.where, request);
  const trials = 2 * candidates.length + Math.max(0, candidates.length - 1);
  let done = 0;
  const tick = () => request.onProgress?.({ task: 'searching layers', done: ++done, total: trials });
  const plan = (quantized: string[], perChannelLayers: Record<string, boolean>): Required<LayerPlanOptions> => ({
    keepFloat: names.filter((n) => !quantized.includes(n)),
    perChannelLayers,
  });
  const measure = async (quantized: string[], perChannelLayers: Record<string, boolean>): Promise<{ trial: LayerTrial; model: ModelProto }> => {
    const model = request.build(plan(quantized, perChannelLayers));
    const trial = closeness(reference, await qValuesOn(model, `${view.where} (int8: ${quantized.join(', ')})`, request), actions);
    tick();
    return { trial, model };
  };

  const findings = new Map<string, LayerFinding>();
  for (const { layer, why } of request.fixed) findings.set(layerName(layer), { name: layerName(layer), op: layer.opType ?? '', alone: null, perChannel: null, quantized: false, why });
  const tried: { name: string; trial: LayerTrial }[] = [];
  for (const layer of candidates) {
    const name = layerName(layer);
    const finding: LayerFinding = { name, op: layer.opType ?? '', alone: null, perChannel: null, quantized: false, why: '' };
    findings.set(name, finding);
    const perTensor = await measure([name], { [name]: false });
    if (stillFloat(perTensor.model, layer)) {
      finding.why = 'the pass leaves it as it is (not a form it rewrites)';
      tick();
      continue;
    }
    const perChannel = (await measure([name], { [name]: true })).trial;
    finding.alone = { perTensor: perTensor.trial, perChannel };
    finding.perChannel = better(perChannel, perTensor.trial);
    const best = finding.perChannel ? perChannel : perTensor.trial;
    if (best.agreement < target) finding.why = `alone it keeps ${pct(best.agreement)} agreement, below the ${pct(target)} target`;
    else tried.push({ name, trial: best });
  }

  // Least harmful first; each layer joins the int8 set only if the set still keeps the target.
  tried.sort((a, b) => (better(a.trial, b.trial) ? -1 : better(b.trial, a.trial) ? 1 : 0));
  const quantized: string[] = [];
  const perChannelLayers: Record<string, boolean> = {};
  let agreement = 1;
  for (const { name, trial } of tried) {
    const finding = findings.get(name)!;
    const granularity = { ...perChannelLayers, [name]: finding.perChannel! };
    const together = quantized.length === 0 ? trial : (await measure([...quantized, name], granularity)).trial;
    if (together.agreement >= target) {
      quantized.push(name);
      Object.assign(perChannelLayers, granularity);
      agreement = together.agreement;
      finding.quantized = true;
      finding.why = `int8 ${finding.perChannel ? 'per channel' : 'per tensor'}: ${pct(together.agreement)} agreement with ${quantized.length === 1 ? 'it alone' : `${quantized.length} layers`} quantized`;
    } else {
      finding.why = `with ${quantized.join(', ')} quantized too, agreement would fall to ${pct(together.agreement)}, below the ${pct(target)} target`;
    }
  }
  request.onProgress?.({ task: 'searching layers', done: trials, total: trials });

  // Every layer the search knows of, in graph order.
  const known = new Set([...candidates, ...request.fixed.map((f) => f.layer)].map(layerName));
  const layers = view.model.graph!.node.map(layerName).filter((n) => known.has(n)).map((n) => findings.get(n)!);
  const best = layers.filter((l) => l.alone).map((l) => ({ l, t: l.perChannel ? l.alone!.perChannel : l.alone!.perTensor })).sort((a, b) => b.t.agreement - a.t.agreement)[0];
  const warning =
    quantized.length > 0
      ? null
      : `nothing quantized: no layer keeps ${pct(target)} action agreement with the float model on ${states.states} states as int8` +
        (best ? ` (the best, ${best.l.name} ${best.l.perChannel ? 'per channel' : 'per tensor'}, keeps ${pct(best.t.agreement)})` : ' (no layer the pass can rewrite)') +
        '; the output is the float32 model — lower --min-agreement, or try fp16';
  return {
    plan: { keepFloat: names.filter((n) => !quantized.includes(n)), perChannelLayers },
    report: {
      target,
      states: states.states,
      source: states.source,
      layers,
      keptFloat: layers.filter((l) => !l.quantized).map((l) => l.name),
      quantized: layers.filter((l) => l.quantized).map((l) => l.name),
      agreement,
      warning,
    },
  };
}
