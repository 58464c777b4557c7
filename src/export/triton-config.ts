// A Triton model configuration (config.pbtxt) as protobuf text format: the few fields of Triton's ModelConfig
// message (model_config.proto) that a policy needs. Written by hand rather than through protobufjs, which reads
// and writes the binary and JSON forms of a message but not its text format.

/** What `config.pbtxt` says about one policy. Field names follow ModelConfig's, in camelCase. */
export interface TritonModelConfig {
  /** The model's name: Triton requires it to be the name of the folder that holds the config. */
  name: string;
  /** The most observations in one batch; > 0, so every tensor has a leading batch dimension that `dims` leaves out. */
  maxBatchSize: number;
  /** The observation input: the graph's input name, its shape without the batch. */
  input: TritonTensor;
  /** The Q-values (or logits) output: the graph's output name, its shape without the batch. */
  output: TritonTensor;
  /** Triton's dynamic batcher, or null to run every request on its own. */
  dynamicBatching: { preferredBatchSize: number[]; maxQueueDelayMicroseconds: number } | null;
  /** Where the instances run, and how many there are. */
  instanceGroup: { kind: 'KIND_CPU' | 'KIND_GPU'; count: number };
  /** ModelConfig.parameters: key → string_value. */
  parameters: Record<string, string>;
}

/** A float32 tensor of the config: its name in the graph and its dims without the batch. */
export interface TritonTensor {
  /** The tensor's name in the ONNX graph. */
  name: string;
  /** Its shape without the batch dimension. */
  dims: number[];
}

/**
 * A string as a text-format literal: quotes and backslashes escaped, and every byte outside printable ASCII
 * (control characters, the UTF-8 bytes of other characters) as a three-digit octal escape, which every
 * text-format reader decodes back to the same bytes.
 */
export function textFormatString(value: string): string {
  let out = '"';
  for (const byte of new TextEncoder().encode(value)) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += '\\\\';
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += '\\' + byte.toString(8).padStart(3, '0');
  }
  return out + '"';
}

function tensor(kind: 'input' | 'output', t: TritonTensor): string[] {
  return [`${kind} [`, '  {', `    name: ${textFormatString(t.name)}`, '    data_type: TYPE_FP32', `    dims: [ ${t.dims.join(', ')} ]`, '  }', ']'];
}

/**
 * The text of config.pbtxt for `config`, after `header` (comment lines, each written with a leading '# ').
 * The backend is named both ways Triton accepts: `backend` (current releases) and `platform` (older ones);
 * the two agree, so either reading loads the onnxruntime backend.
 */
export function renderModelConfig(config: TritonModelConfig, header: string[] = []): string {
  const lines = [
    ...header.map((line) => `# ${line}`),
    `name: ${textFormatString(config.name)}`,
    'backend: "onnxruntime"',
    'platform: "onnxruntime_onnx"',
    `max_batch_size: ${config.maxBatchSize}`,
    ...tensor('input', config.input),
    ...tensor('output', config.output),
  ];
  if (config.dynamicBatching) {
    lines.push(
      'dynamic_batching {',
      `  preferred_batch_size: [ ${config.dynamicBatching.preferredBatchSize.join(', ')} ]`,
      `  max_queue_delay_microseconds: ${config.dynamicBatching.maxQueueDelayMicroseconds}`,
      '}',
    );
  }
  lines.push('instance_group [', '  {', `    kind: ${config.instanceGroup.kind}`, `    count: ${config.instanceGroup.count}`, '  }', ']');
  for (const [key, value] of Object.entries(config.parameters)) {
    lines.push('parameters {', `  key: ${textFormatString(key)}`, `  value: { string_value: ${textFormatString(value)} }`, '}');
  }
  return lines.join('\n') + '\n';
}
