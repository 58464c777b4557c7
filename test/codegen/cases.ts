// Shared by the codegen tests: the policy files to compile (committed ones, and ones made here by our own
// passes and exporter), states each env's teacher visits, onnxruntime's outputs on them, and the comparison
// rule: outputs within a float32 tolerance, actions identical except on exact near-ties.
import { readFileSync } from 'node:fs';
import { fp16Pass } from '../../src/compress/fp16.js';
import { runPass } from '../../src/compress/pass.js';
import { weightQuantizationPass } from '../../src/compress/quantize-weights.js';
import { envSpec } from '../../src/envs/registry.js';
import { openPolicy, openPolicyBytes } from '../../src/infer/open.js';
import { tfjsToOnnx } from '../../src/onnx/export-tfjs.js';
import { policyMetadata } from '../../src/policy/metadata.js';
import { decodeModel, encodeModel } from '../../src/onnx/model.js';
import { argmax } from '../../src/policy/agreement.js';
import { visitedStates as policyVisitedStates } from '../../src/rollout/visited-states.js';

export interface PolicyCase {
  name: string;
  bytes: Uint8Array;
  /** For files without qdistill.env metadata. */
  env?: string;
  envId: string;
}

const file = (name: string, path: string, envId: string, env?: string): PolicyCase => ({ name, bytes: new Uint8Array(readFileSync(path)), env, envId });

export const CARTPOLE_STUDENT = 'models/cartpole-v1-student-16x16/student.onnx';
export const CARTPOLE_TEACHER = 'models/cartpole-v1/teacher.onnx';
export const LUNAR_STUDENT = 'models/lunarlander-v3-student-64x64/student.onnx';
export const BREAKOUT_TEACHER = 'models/minatar-breakout/teacher.onnx';

export function committedCases(): PolicyCase[] {
  return [
    file('CartPole 16-16 student', CARTPOLE_STUDENT, 'CartPole-v1'),
    file('CartPole teacher', CARTPOLE_TEACHER, 'CartPole-v1'),
    file('LunarLander 64-64 student', LUNAR_STUDENT, 'LunarLander-v3'),
    file('Breakout CNN teacher (HWC, Transposes)', BREAKOUT_TEACHER, 'MinAtar/Breakout'),
    file('PyTorch CartPole MLP (transB Gemm)', 'models/pytorch/cartpole-v1-mlp.onnx', 'CartPole-v1', 'CartPole-v1'),
    file('PyTorch Breakout CNN (NCHW)', 'models/pytorch/minatar-breakout-cnn.onnx', 'MinAtar/Breakout', 'MinAtar/Breakout'),
  ];
}

function passed<O>(name: string, path: string, envId: string, pass: Parameters<typeof runPass<O>>[0], options: O): PolicyCase {
  const { model } = runPass(pass, decodeModel(readFileSync(path), path), options);
  return { name, bytes: encodeModel(model), envId };
}

/** Files our passes write: weights-only int8 (DequantizeLinear of int8 initializers) and float16 (Cast). */
export function compressedCases(): PolicyCase[] {
  return [
    passed('LunarLander student, weights-only int8 per channel', LUNAR_STUDENT, 'LunarLander-v3', weightQuantizationPass, { perChannel: true }),
    passed('Breakout teacher, weights-only int8 per tensor', BREAKOUT_TEACHER, 'MinAtar/Breakout', weightQuantizationPass, { perChannel: false }),
    passed('CartPole teacher, float16', CARTPOLE_TEACHER, 'CartPole-v1', fp16Pass, {}),
  ];
}

/** A dueling CNN from our own builder and exporter, NCHW input and MatMul + Add dense layers (random weights). */
export async function duelingCase(): Promise<PolicyCase> {
  const tf = await import('@tensorflow/tfjs');
  const { buildQNetwork } = await import('../../src/tfjs/networks.js');
  await tf.setBackend('cpu');
  const spec = envSpec('MinAtar/Breakout');
  const network = buildQNetwork(spec, { hidden: [32], dueling: true, convFilters: 8 }, 11);
  const model = tfjsToOnnx(network, spec, { dense: 'matmul', layout: 'nchw', metadata: policyMetadata(spec, { test: 'dueling' }, { layout: 'nchw' }) });
  network.dispose();
  return { name: 'Breakout dueling CNN (NCHW, MatMul + Add, ReduceMean/Sub/Add head)', bytes: encodeModel(model), envId: spec.id };
}

const statesCache = new Map<string, Float32Array>();
const TEACHERS: Record<string, string> = {
  'CartPole-v1': CARTPOLE_TEACHER,
  'LunarLander-v3': 'models/lunarlander-v3/teacher.onnx',
  'MinAtar/Breakout': BREAKOUT_TEACHER,
};

/** States the env's committed teacher visits (ε-greedy), the same for every test. */
export async function visitedStates(envId: string, count: number): Promise<Float32Array> {
  const key = `${envId}:${count}`;
  if (!statesCache.has(key)) {
    const teacher = await openPolicy(TEACHERS[envId]);
    statesCache.set(key, (await policyVisitedStates(teacher, count, 20240601)).observations);
    await teacher.dispose();
  }
  return statesCache.get(key)!;
}

/**
 * onnxruntime-node's outputs for the file (observations in the env's layout; NCHW files are fed NCHW).
 * Optimization level 'basic': at 'extended'/'all' onnxruntime rewrites DequantizeLinear → Gemm of weights-only
 * int8 files into integer kernels that also quantize the activations, which is not what the graph says
 * (outputs move by up to 0.06 on the LunarLander student); 'basic' computes the graph as written.
 */
export async function ortReference(c: PolicyCase, observations: Float32Array, count: number): Promise<Float32Array> {
  const policy = await openPolicyBytes(c.bytes, c.name, { env: c.env, runtime: 'ort-cpu', graphOptimizationLevel: 'basic' });
  const out = await policy.qValues(observations, count);
  await policy.dispose();
  return out;
}

export const RELATIVE_TOLERANCE = 1e-4;
/** Top-two outputs closer than this (relative) are a tie that float32 rounding order may break either way. */
export const TIE = 1e-5;

export interface Agreement {
  maxError: number;
  /** States whose action differs although onnxruntime's top two are further apart than TIE. */
  realMismatches: number;
  tieMismatches: number;
  /** Outputs off by more than RELATIVE_TOLERANCE × max(1, |expected|). */
  outOfTolerance: number;
}

export function agreement(expected: Float32Array, actual: Float32Array, actions: number, actualActions?: ArrayLike<number>): Agreement {
  let maxError = 0;
  let outOfTolerance = 0;
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(expected[i] - actual[i]);
    maxError = Math.max(maxError, error);
    if (!(error <= RELATIVE_TOLERANCE * Math.max(1, Math.abs(expected[i])))) outOfTolerance++;
  }
  let realMismatches = 0;
  let tieMismatches = 0;
  for (let s = 0; s < expected.length / actions; s++) {
    const want = argmax(expected, s * actions, actions);
    const got = actualActions ? actualActions[s] : argmax(actual, s * actions, actions);
    if (want === got) continue;
    const a = expected[s * actions + want];
    const b = expected[s * actions + got];
    if (Math.abs(a - b) <= TIE * Math.max(1, Math.abs(a))) tieMismatches++;
    else realMismatches++;
  }
  return { maxError, realMismatches, tieMismatches, outOfTolerance };
}

export function stateCount(envId: string): number {
  // The CNNs cost ~100× an MLP per state; fewer states keep the test short.
  return envId === 'MinAtar/Breakout' ? 2000 : 10_000;
}
