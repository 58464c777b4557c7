// Which weight layers an int8 pass rewrites and at which granularity: the per-layer part of the dynamic,
// static and weights-only options, shared by their rewriters and by the mixed-precision search
// (layer-search.ts). A layer is a MatMul, Gemm or Conv node, named by its node name (its first output's name
// when the node has none), so that a plan written for one file means the same nodes in its copies.
import type { ModelProto, NodeProto } from '../onnx/model.js';
import { UsageError } from '../util/errors.js';
import type { GraphEditor } from './editor.js';

/** The op types the int8 passes quantize. */
export const WEIGHT_LAYER_OPS: readonly string[] = ['MatMul', 'Gemm', 'Conv'];

/** Per-layer choices of an int8 pass, on top of its file-wide `perChannel`. */
export interface LayerPlanOptions {
  /** Layers (see layerName) left in float32: the pass does not rewrite them. */
  keepFloat?: readonly string[];
  /** Layer → true for one weight scale per output channel, false for one per tensor; layers not named use `perChannel`. */
  perChannelLayers?: Readonly<Record<string, boolean>>;
}

/** A weight layer's name in plans and reports: the node's name, or its first output's name when it has none. */
export function layerName(node: NodeProto): string {
  return node.name || node.output[0] || '';
}

/** The MatMul, Gemm and Conv nodes of a model, in graph order. */
export function weightLayers(model: ModelProto): NodeProto[] {
  return model.graph!.node.filter((n) => WEIGHT_LAYER_OPS.includes(n.opType ?? ''));
}

/**
 * True when the plan keeps `node` float; says so once in the pass's notes. Rewriters call it first, so a
 * kept layer is counted among the nodes the pass left alone.
 */
export function keptFloat(node: NodeProto, editor: GraphEditor, options: LayerPlanOptions): boolean {
  const name = layerName(node);
  if (!options.keepFloat?.includes(name)) return false;
  const line = `${node.opType} '${name}' kept float32 (--keep-float)`;
  if (!editor.notes.includes(line)) editor.notes.push(line);
  return true;
}

/** Whether `node`'s weights get one scale per output channel: its entry in perChannelLayers, else `perChannel`. */
export function perChannelFor(node: NodeProto, options: LayerPlanOptions & { perChannel: boolean }): boolean {
  return options.perChannelLayers?.[layerName(node)] ?? options.perChannel;
}

/** UsageError (one line) unless every name is a MatMul, Gemm or Conv layer of the model. */
export function checkLayerNames(model: ModelProto, names: readonly string[], where: string): void {
  const known = weightLayers(model).map(layerName);
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length) {
    throw new UsageError(`--keep-float: no MatMul, Gemm or Conv layer named '${unknown[0]}' (the layers: ${known.join(', ') || 'none'})`, where);
  }
}

/**
 * True when `model` (a pass's output) still computes layer `name` of the input in float: a node of that name
 * and op type reading the same float weight. Every int8 rewriter replaces the node or its weight input.
 */
export function stillFloat(model: ModelProto, layer: NodeProto): boolean {
  const name = layerName(layer);
  return model.graph!.node.some((n) => layerName(n) === name && n.opType === layer.opType && n.input[1] === layer.input[1]);
}
