// Raising a graph's default-domain opset where a pass writes ops a file's opset lacks (torch exports at opset
// 9 for Stable-Baselines3's older guide; DynamicQuantizeLinear needs 11, per-axis QuantizeLinear 13). Only
// ops whose meaning for the attributes and inputs they carry did not change between the file's opset and the
// target are allowed; any other op is the reason the upgrade is refused. From the ONNX operator changelog:
//   Slice-10 moved starts/ends/axes from attributes to inputs; Clip-11 and Pad-11 moved min/max and pads to
//   inputs; Dropout-12 moved ratio to an input; Squeeze-13, Unsqueeze-13, ReduceSum-13 and Split-13 moved
//   axes/split to inputs; Softmax-13 and LogSoftmax-13 changed from "flatten to 2-D at axis" (default 1) to
//   one axis (default -1). Gemm, MatMul, Conv, the pools, Flatten, Reshape, Relu and the other elementwise
//   ops, Cast, Concat, Gather, Transpose, Shape, Constant, BatchNormalization and ArgMax changed only in
//   types accepted, optional inputs or negative axes between 9 and 13, which cannot alter a valid file.
import type { ModelProto } from './proto.js';
import { isDefaultDomain } from './ops.js';

/** The opset at which each op last changed in a way that matters here (the upgrade must not cross it). */
const CHANGED_AT: Record<string, number> = {
  Slice: 10,
  Clip: 11,
  Pad: 11,
  Dropout: 12,
  Squeeze: 13,
  Unsqueeze: 13,
  ReduceSum: 13,
  Split: 13,
  Softmax: 13,
  LogSoftmax: 13,
};

/** The default-domain opset, or 0. */
export function defaultOpsetOf(model: ModelProto): number {
  return model.opsetImport.find((o) => isDefaultDomain(o.domain))?.version ?? 0;
}

/** Why the model's opset cannot be raised to `target` (one phrase), or null when it can (or need not be). */
export function opsetUpgradeBlocker(model: ModelProto, target: number): string | null {
  const from = defaultOpsetOf(model);
  if (from >= target) return null;
  for (const node of model.graph?.node ?? []) {
    if (!isDefaultDomain(node.domain)) continue;
    const at = CHANGED_AT[node.opType ?? ''];
    if (at !== undefined && from < at && at <= target) return `${node.opType} changed meaning at opset ${at}`;
  }
  return null;
}

/** IR version an opset needs at least (onnx/helper.py's VERSION_TABLE). */
function irVersionFor(opset: number): number {
  return opset >= 15 ? 8 : opset >= 13 ? 7 : opset >= 11 ? 6 : opset >= 10 ? 5 : 4;
}

/**
 * Raises the default-domain opset of `model` (in place) to `target`. Returns one line saying so, null when
 * the opset was already high enough, and throws when opsetUpgradeBlocker names a reason (check first).
 */
export function upgradeOpset(model: ModelProto, target: number): string | null {
  const from = defaultOpsetOf(model);
  if (from >= target) return null;
  const blocker = opsetUpgradeBlocker(model, target);
  if (blocker) throw new Error(`cannot raise opset ${from} to ${target}: ${blocker}`);
  const entry = model.opsetImport.find((o) => isDefaultDomain(o.domain))!;
  entry.version = target;
  model.irVersion = Math.max(model.irVersion ?? 0, irVersionFor(target));
  return `opset ${from} → ${target} (the ops it writes need it; the graph's other ops are unchanged in between)`;
}
