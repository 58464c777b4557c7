// A mutable view of a GraphProto for the compression passes: initializers by name, who produces and who
// consumes each value, node replacement, and renaming a value everywhere it is read.
import type { GraphProto, ModelProto, NodeProto, TensorProto } from '../onnx/model.js';

export class GraphEditor {
  readonly graph: GraphProto;
  readonly initializers = new Map<string, TensorProto>();
  private counter = 0;

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
