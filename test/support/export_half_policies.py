"""Exports a CartPole-sized DQN Q-network the two ways the compression passes must accept, for
test/compress/float16-outputs.test.ts:

  half.onnx         a real `model.half()` export: float16 input, output, weights and arithmetic (Gemm, Relu)
  two-outputs.onnx  a float32 network with two outputs: 'probs' (softmax) first, the Q-values 'values' second

with OUT_DIR/states.f32 (N x 4 CartPole-like states) and torch's own outputs on them: half.q.f32 (the float16
network's Q-values, as float32) and two-outputs.q.f32 (the Q-values).

torch 1.13 has no float16 matmul or relu on the CPU, so this script registers CPU kernels for aten::addmm and
aten::relu that compute in float32 and round to the input's dtype (float16 in, float16 out, as a GPU's
float16 kernels with float32 accumulation do); the traced graph is the plain float16 Gemm/Relu graph torch
writes for `.half()`.

usage: /usr/bin/python3 export_half_policies.py OUT_DIR
"""
import os
import sys
import warnings

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_nets import Mlp, TwoOutputs  # noqa: E402

warnings.filterwarnings('ignore')  # the kernel override below warns once per op
torch.manual_seed(3)
OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
N = 64

_lib = torch.library.Library('aten', 'IMPL')


def _addmm(bias, a, b, beta=1, alpha=1):
    return (torch.mm(a.float(), b.float()) * alpha + bias.float() * beta).to(a.dtype)


def _relu(x):
    return torch.clamp_min(x.float(), 0).to(x.dtype)


_lib.impl('addmm', _addmm, 'CPU')
_lib.impl('relu', _relu, 'CPU')


states = (np.random.RandomState(5).randn(N, 4) * 0.5).astype(np.float32)
states.tofile(os.path.join(OUT, 'states.f32'))

half = Mlp(hidden=64).half().eval()
torch.onnx.export(half, torch.zeros(1, 4).half(), os.path.join(OUT, 'half.onnx'), input_names=['obs'], output_names=['q_values'], opset_version=13,
                  dynamic_axes={'obs': {0: 'batch'}, 'q_values': {0: 'batch'}})
with torch.no_grad():
    half(torch.from_numpy(states).half()).float().numpy().astype(np.float32).tofile(os.path.join(OUT, 'half.q.f32'))

two = TwoOutputs(Mlp(hidden=64)).eval()
torch.onnx.export(two, torch.zeros(1, 4), os.path.join(OUT, 'two-outputs.onnx'), input_names=['obs'], output_names=['probs', 'values'], opset_version=13,
                  dynamic_axes={'obs': {0: 'batch'}, 'probs': {0: 'batch'}, 'values': {0: 'batch'}})
with torch.no_grad():
    two(torch.from_numpy(states))[1].numpy().astype(np.float32).tofile(os.path.join(OUT, 'two-outputs.q.f32'))
print('ok')
