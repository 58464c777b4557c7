"""Exports small CartPole-v1 Q-networks (4 inputs, 2 outputs) that use the ops of issue 12 with torch.onnx.export,
and torch's own Q-values on random states, for test/codegen/torch-ops.test.ts.

usage: /usr/bin/python3 torch_ops.py OUT_DIR
writes OUT_DIR/states.f32 (N x 4 float32), and per case OUT_DIR/<case>.onnx and OUT_DIR/<case>.q.f32 (N x 2
float32, torch's outputs on the states), and OUT_DIR/cases.txt (one case name and its node op types a line).

The `cast` case: torch drops x.float() / x.to(torch.float32) on a float input, so no torch export holds a
float→float Cast. It is the `relu` case's real export with a Cast(to=FLOAT) node put after the input with the
onnx Python API (what SB3's Flatten(Cast(obs)) prologue looks like); the Q-values are the relu case's.
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn

torch.manual_seed(12)
OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
N = 500
H = 32


def mlp(act):
    return nn.Sequential(nn.Linear(4, H), act(), nn.Linear(H, H), act(), nn.Linear(H, 2))


class LayerNormMlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, H), nn.LayerNorm(H), nn.ReLU(), nn.Linear(H, H), nn.LayerNorm(H, eps=1e-3), nn.Tanh(), nn.Linear(H, 2))
        with torch.no_grad():  # non-trivial affine parameters (torch starts them at 1 and 0)
            for m in self.net:
                if isinstance(m, nn.LayerNorm):
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.5, 0.5)

    def forward(self, x):
        return self.net(x)


class BatchNormMlp(nn.Module):
    """BatchNorm1d on the input (nothing to fold it into) and after a hidden layer, in eval mode."""

    def __init__(self):
        super().__init__()
        self.bn_in = nn.BatchNorm1d(4)
        self.fc1 = nn.Linear(4, H)
        self.bn1 = nn.BatchNorm1d(H, eps=1e-3)
        self.fc2 = nn.Linear(H, 2)

    def forward(self, x):
        return self.fc2(torch.relu(self.bn1(self.fc1(self.bn_in(x)))))


class PReluMlp(nn.Module):
    """One shared slope, then one slope per unit."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, H), nn.PReLU(init=0.2), nn.Linear(H, H), nn.PReLU(H), nn.Linear(H, 2))
        with torch.no_grad():
            self.net[3].weight.uniform_(-0.5, 0.5)

    def forward(self, x):
        return self.net(x)


class DuelingUnbracketed(nn.Module):
    """v + a - a.mean(1, keepdim=True), which torch exports as Sub(Add(v, a), ReduceMean(a))."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(4, H), nn.ReLU())
        self.value = nn.Linear(H, 1)
        self.advantage = nn.Linear(H, 2)

    def forward(self, x):
        h = self.features(x)
        v = self.value(h)
        a = self.advantage(h)
        return v + a - a.mean(1, keepdim=True)


CASES = {
    'relu': mlp(nn.ReLU),
    'layernorm': LayerNormMlp(),
    'selu': mlp(nn.SELU),
    'softplus': mlp(nn.Softplus),
    'prelu': PReluMlp(),
    'gelu': mlp(nn.GELU),
    'silu': mlp(nn.SiLU),
    'hardswish': mlp(nn.Hardswish),
    'hardsigmoid': mlp(nn.Hardsigmoid),
    'softsign': mlp(nn.Softsign),
    'mish': mlp(nn.Mish),
    'relu6': mlp(nn.ReLU6),
    'batchnorm': BatchNormMlp(),
    'dueling-unbracketed': DuelingUnbracketed(),
}

# CartPole-like states, wider than the env visits so the activations see both signs and large values.
states = (np.random.default_rng(12).standard_normal((N, 4)) * np.array([1.5, 2.0, 0.25, 2.5])).astype(np.float32)
states.tofile(os.path.join(OUT, 'states.f32'))

# Running statistics for the BatchNorm case: a few training steps' worth of batches with a shifted distribution.
bn = CASES['batchnorm']
bn.train()
with torch.no_grad():
    for _ in range(20):
        bn(torch.randn(64, 4) * 2 + 0.5)

lines = []


def export(name, model):
    model.eval()
    path = os.path.join(OUT, f'{name}.onnx')
    torch.onnx.export(
        model, torch.zeros(1, 4), path, input_names=['obs'], output_names=['q_values'],
        dynamic_axes={'obs': {0: 'batch'}, 'q_values': {0: 'batch'}}, opset_version=17,
    )
    with torch.no_grad():
        model(torch.from_numpy(states)).numpy().astype(np.float32).tofile(os.path.join(OUT, f'{name}.q.f32'))
    return path


for name, model in CASES.items():
    path = export(name, model)
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    lines.append(f"{name} {' '.join(n.op_type for n in m.graph.node)}")

# The Cast prologue, inserted into the relu case's real export.
m = onnx.load(os.path.join(OUT, 'relu.onnx'))
for node in m.graph.node:
    for i, name in enumerate(node.input):
        if name == 'obs':
            node.input[i] = 'obs_float'
m.graph.node.insert(0, onnx.helper.make_node('Cast', ['obs'], ['obs_float'], name='/Cast', to=onnx.TensorProto.FLOAT))
onnx.checker.check_model(m, full_check=True)
onnx.save(m, os.path.join(OUT, 'cast.onnx'))
np.fromfile(os.path.join(OUT, 'relu.q.f32'), dtype=np.float32).tofile(os.path.join(OUT, 'cast.q.f32'))
lines.append(f"cast {' '.join(n.op_type for n in m.graph.node)}")

# The Softsign op (torch writes x / (1 + |x|)): the softsign case's real export with each Abs → Add → Div
# replaced by one Softsign node, as other exporters write it; the Q-values are the softsign case's.
m = onnx.load(os.path.join(OUT, 'softsign.onnx'))
by_output = {n.output[0]: n for n in m.graph.node}
kept = []
for node in m.graph.node:
    if node.op_type == 'Div' and node.input[1] in by_output and by_output[node.input[1]].op_type == 'Add':
        kept.append(onnx.helper.make_node('Softsign', [node.input[0]], [node.output[0]], name=node.name + '_softsign'))
    elif node.op_type not in ('Abs', 'Add', 'Constant'):
        kept.append(node)
m.graph.ClearField('node')
m.graph.node.extend(kept)
onnx.checker.check_model(m, full_check=True)
onnx.save(m, os.path.join(OUT, 'softsign-op.onnx'))
np.fromfile(os.path.join(OUT, 'softsign.q.f32'), dtype=np.float32).tofile(os.path.join(OUT, 'softsign-op.q.f32'))
lines.append(f"softsign-op {' '.join(n.op_type for n in m.graph.node)}")

with open(os.path.join(OUT, 'cases.txt'), 'w') as f:
    f.write('\n'.join(lines) + '\n')
print('\n'.join(lines))
