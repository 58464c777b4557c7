// A mutable view of a GraphProto for the compression passes: initializers by name, who produces and who
// consumes each value, node replacement, and renaming a value everywhere it is read.
import type { GraphProto, ModelProto, NodeProto, TensorProto } from '../onnx/model.js';

export class GraphEditor {
  readonly graph: GraphProto;
  readonly initializers = new Map<string, TensorProto>();
  private counter = 0;
  /** Lines for the pass report on what was left alone and why (not changes). */
  readonly notes: string[] = [];
  /** Set by a pass's `before` when nothing may be rewritten (the reason is in notes). */
  refused = false;

  constructor(readonly model: ModelProto) {
    this.graph = model.graph!;
    for (const t of this.graph.initializer) this.initializers.set(t.name ?? '', t);
  }

  get nodes(): NodeProto[] {
    return this.graph.node;
  }

  fresh(base: string): string {
    const taken = (n: string) => this.initializers.has(n) || this.graph.node.some((x) => x.output.includes(n) || x.name === n);
    let name = `${base}_qd${this.counter++}`;
    while (taken(name)) name = `${base}_qd${this.counter++}`;
    return name;
  }

  producer(value: string): NodeProto | undefined {
    return this.graph.node.find((n) => n.output.includes(value));
  }

  consumers(value: string): NodeProto[] {
    return this.graph.node.filter((n) => n.input.includes(value));
  }

  isGraphInput(value: string): boolean {
    return this.graph.input.some((v) => v.name === value);
  }

  /**
   * Whether `value` is the observation: a graph input (not an initializer), or what reshapes (not Transpose: our
   * Breakout files transpose HWC → CHW before their first Conv, which has always been quantized), a Flatten, a
   * Cast to float, Identity or Dropout make of one (SB3 writes Flatten(Cast(obs))). The first layer reading
   * it is "the input layer" the int8 passes keep in float.
   */
  readsObservation(value: string): boolean {
    for (let hops = 0; hops < 16; hops++) {
      if (this.isGraphInput(value) && !this.initializers.has(value)) return true;
      const node = this.producer(value);
      if (!node) return false;
      const op = node.opType ?? '';
      if (op === 'Cast') {
        const to = node.attribute.find((a) => a.name === 'to')?.i;
        if (to !== 1) return false;
      } else if (!['Flatten', 'Reshape', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout'].includes(op)) {
        return false;
      }
      value = node.input[0];
    }
    return false;
  }

  isGraphOutput(value: string): boolean {
    return this.graph.output.some((o) => o.name === value);
  }

  addInitializer(t: TensorProto): void {
    this.initializers.set(t.name ?? '', t);
    this.graph.initializer.push(t);
  }

  removeInitializer(name: string): void {
    this.initializers.delete(name);
    this.graph.initializer = this.graph.initializer.filter((t) => t.name !== name);
    // Files of IR < 4 also list initializers as graph inputs; such an input would now be a required one.
    this.graph.input = this.graph.input.filter((v) => v.name !== name);
  }

  /** Drops initializers no node reads any more. */
  pruneInitializers(): void {
    const read = new Set(this.graph.node.flatMap((n) => n.input));
    for (const name of [...this.initializers.keys()]) if (!read.has(name)) this.removeInitializer(name);
  }

  /** Every read of `from` now reads `to`. */
  renameReads(from: string, to: string): void {
    for (const n of this.graph.node) n.input = n.input.map((i) => (i === from ? to : i));
  }

  replace(node: NodeProto, replacement: NodeProto[]): void {
    const i = this.graph.node.indexOf(node);
    this.graph.node.splice(i, 1, ...replacement);
  }

  remove(node: NodeProto): void {
    this.replace(node, []);
  }

  /** Inserts nodes before `before` (or at the start) so that the file stays in topological order. */
  insertBefore(before: NodeProto | undefined, nodes: NodeProto[]): void {
    const i = before ? this.graph.node.indexOf(before) : 0;
    this.graph.node.splice(i, 0, ...nodes);
  }
}
