// A compression pass is a registry of small per-op rewriters (after onnxruntime's quantization registry):
// the pass walks the nodes and hands each to the rewriter registered for its op type. A rewriter edits the
// graph and says what it did, or returns null to leave the node alone; ops with no rewriter are left alone
// and counted, so the report can say which nodes a pass did not touch.
import { encodeModel, decodeModel, type ModelProto, type NodeProto } from '../onnx/model.js';
import { metadataOf, setMetadata } from '../onnx/graph.js';
import { GraphEditor } from './editor.js';
import { METADATA_KEYS, passHistory } from '../policy/metadata.js';

/** Rewrites one node of the op type it is registered for. */
export interface Rewriter<Options> {
  /** One line on what the rewrite did, or null when it left the node alone. */
  (node: NodeProto, editor: GraphEditor, options: Options): string | null;
}

/** A compression pass: per-op rewriters, with optional work before and after the node walk. */
export interface Pass<Options> {
  /** Its name in reports and in qdistill.passes, e.g. 'quantize-dynamic'. */
  name: string;
  /** Op type → the rewriter for its nodes. */
  rewriters: Record<string, Rewriter<Options>>;
  /** Work before/after the node walk (e.g. converting initializers). */
  before?: (editor: GraphEditor, options: Options) => string[];
  after?: (editor: GraphEditor, options: Options) => string[];
}

/** What one pass did: the changes it made, and the op types it left alone. */
export interface PassReport {
  /** The pass's name, e.g. 'quantize-dynamic'. */
  pass: string;
  /** The options it ran with. */
  options: unknown;
  /** One line per change made. */
  changes: string[];
  /** Op types present in the graph that the pass has no rewriter for (left as they are). */
  untouched: Record<string, number>;
  /** Op types whose rewriter left a node alone (an unsupported form, or a layer kept on purpose). */
  declined: Record<string, number>;
  /** Why nodes were left alone where the counts do not say it (e.g. an opset the pass cannot raise). */
  notes?: string[];
}

/** Runs a pass on a copy of the model; the input is never modified. Appends a record to qdistill.passes. */
export function runPass<Options>(pass: Pass<Options>, input: ModelProto, options: Options): { model: ModelProto; report: PassReport } {
  const model = decodeModel(encodeModel(input), 'pass input');
  const editor = new GraphEditor(model);
  const changes = pass.before?.(editor, options) ?? [];
  const untouched: Record<string, number> = {};
  const declined: Record<string, number> = {};
  // Rewriters may replace the node they are given and the ones after it, so walk a snapshot and skip
  // nodes that are gone by the time we reach them.
  for (const node of [...editor.nodes]) {
    if (!editor.nodes.includes(node)) continue;
    const rewrite: Rewriter<Options> | undefined = pass.rewriters[node.opType];
    const change = rewrite !== undefined && !editor.refused ? rewrite(node, editor, options) : null;
    if (change) changes.push(change);
    else if (rewrite !== undefined) declined[node.opType] = (declined[node.opType] ?? 0) + 1;
    else if (Object.keys(pass.rewriters).length > 0) untouched[node.opType] = (untouched[node.opType] ?? 0) + 1;
  }
  changes.push(...(pass.after?.(editor, options) ?? []));
  editor.pruneInitializers();
  const report: PassReport = { pass: pass.name, options, changes, untouched, declined, ...(editor.notes.length ? { notes: editor.notes } : {}) };
  const history = passHistory(metadataOf(model));
  setMetadata(model, { [METADATA_KEYS.passes]: JSON.stringify([...history, { pass: pass.name, options, changes: changes.length }]) });
  // Validate what we produced: a pass bug must not leave a broken file behind.
  return { model: decodeModel(encodeModel(model), `${pass.name} output`), report };
}
