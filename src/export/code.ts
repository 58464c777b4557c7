// `export js` and `export c`: a policy compiled (src/codegen) to a standalone ES module or a C99 header file.
import { basename, resolve } from 'node:path';
import { checkEnvId } from '../envs/registry.js';
import { generateC } from '../codegen/c.js';
import type { Requantization } from '../codegen/c-int8.js';
import { generateJs } from '../codegen/js.js';
import { programFromBytes, type WeightFormat } from '../codegen/program.js';
import { readPolicyBytes } from '../infer/open.js';
import { prepareOutputFile, writeFileAtomic } from '../util/atomic-write.js';
import { commandLine } from '../util/command-line.js';
import { UsageError } from '../util/errors.js';

/** Options of exportJs() and exportC(): the file to write, the weights' format, the environment, which output to read. */
export interface ExportCodeOptions {
  /** The file to write (.mjs / .js for JavaScript, .h for C). */
  out: string;
  /** Number format of the inlined weights (default float32). */
  weights?: WeightFormat;
  /** Environment id for files without qdistill.env metadata. */
  env?: string;
  /** The graph output holding the Q-values, for files with several outputs (default: q_values, logits, else the first). */
  output?: string;
  /** Accept a file with a float16 input and output; the generated code computes in float32 with its float16 weights. */
  allowFp16?: boolean;
  /**
   * C, int8 graphs: 'fixed-point' (default) passes 8-bit codes from one integer layer to the next by an integer
   * multiplier and shift (no float between them); 'float' goes back to float between layers as the file's ONNX
   * ops do, which is onnxruntime's arithmetic.
   */
  requantize?: Requantization;
}

/** What an export wrote. */
export interface ExportCodeResult {
  /** The file written. */
  out: string;
  /** 'js' (ES module) or 'c' (C99 header). */
  language: 'js' | 'c';
  /** Environment id the policy plays. */
  env: string;
  /** Number format of the inlined weights. */
  weights: WeightFormat;
  /** Size of the generated code in bytes. */
  bytes: number;
  /** The input model: { file: its base name, sha256: hex digest of its bytes }. */
  source: { file: string; sha256: string };
  /** Numbers in one observation (the generated code's input length). */
  observationSize: number;
  /** Outputs per observation (the generated code's output length). */
  actionCount: number;
  /** The compiled program's steps (gemm, relu, ...). */
  steps: string[];
  /** How the file was adapted before compiling (an ArgMax output read as its Q-values, float16 widened, …). */
  notes: string[];
  /** Steps computed on 8-bit integers (the integer layers of an int8 graph); 0 for float files. */
  integerSteps: number;
}

function exportCode(language: 'js' | 'c', model: string, o: ExportCodeOptions): ExportCodeResult {
  prepareOutputFile(o.out);
  if (resolve(model) === resolve(o.out)) throw new UsageError('--out must differ from the input model', o.out);
  if (o.env) checkEnvId(o.env);
  const program = programFromBytes(readPolicyBytes(model), model, {
    env: o.env,
    weights: o.weights ?? 'float32',
    target: `export ${language}`,
    output: o.output,
    allowFp16: o.allowFp16,
  });
  const command = commandLine();
  const code = language === 'js' ? generateJs(program, { command }) : generateC(program, { command, fileName: basename(o.out), requantize: o.requantize });
  writeFileAtomic(o.out, code);
  return {
    out: o.out,
    language,
    env: program.env,
    weights: program.weights,
    bytes: Buffer.byteLength(code),
    source: program.source,
    observationSize: program.observationSize,
    actionCount: program.actionCount,
    steps: program.steps.map((s) => s.kind),
    notes: program.notes,
    integerSteps: program.steps.filter((s) => (s.kind === 'dense' || s.kind === 'conv2d') && s.integer).length,
  };
}

/** The policy as one dependency-free ES module exporting `act`, `qValues` and `qValuesBatch` (Node and browsers). */
export function exportJs(model: string, o: ExportCodeOptions): ExportCodeResult {
  return exportCode('js', model, o);
}

/** The policy as a C99 header with `qdistill_act` and `qdistill_q_values`: static buffers, no allocation, only math.h. */
export function exportC(model: string, o: ExportCodeOptions): ExportCodeResult {
  return exportCode('c', model, o);
}
