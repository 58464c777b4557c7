"""Exports small DQN Q-networks the ways PyTorch / Stable-Baselines3 / CleanRL users do (torch.onnx.export),
into a folder, with torch's own Q-values on fixed states, for test/infer/torch-exports.test.ts.

usage: /usr/bin/python3 export_torch_policies.py OUT_DIR
writes OUT_DIR/<case>.onnx, OUT_DIR/states.f32 (N x 4 CartPole-like states), OUT_DIR/<case>.q.f32
(torch's Q-values on those states, N x A float32) and OUT_DIR/minatar-states.f32 / <case>.q.f32 for the CNN.
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_nets import Mlp, TwoOutputs  # noqa: E402

torch.manual_seed(0)
OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
N = 64


class Sb3Prologue(nn.Module):
    """SB3's QNetwork: FlattenExtractor (nn.Flatten) over obs.float() before the MLP."""

    def __init__(self, mlp):
        super().__init__()
        self.flatten = nn.Flatten()
        self.mlp = mlp

    def forward(self, x):
        return self.mlp(self.flatten(x.float()))


class ArgMaxOnly(nn.Module):
    """SB3's current guide: the exported module returns actions (argmax of the Q-values)."""

    def __init__(self, mlp):
        super().__init__()
        self.mlp = mlp

    def forward(self, x):
        return torch.argmax(self.mlp(x), dim=1)


class MinAtarCnn(nn.Module):
    """CleanRL/MinAtar-style CNN over NCHW [batch, 4, 10, 10]; x.view(x.size(0), -1) or Flatten."""

    def __init__(self, actions=3):
        super().__init__()
        self.conv = nn.Conv2d(4, 16, 3)
        self.fc = nn.Linear(16 * 8 * 8, 64)
        self.out = nn.Linear(64, actions)

    def forward(self, x):
        h = torch.relu(self.conv(x))
        h = h.reshape(1, -1) if getattr(self, 'fixed_reshape', False) else torch.flatten(h, 1)
        return self.out(torch.relu(self.fc(h)))


def export(model, name, example, **kwargs):
    model.eval()
    torch.onnx.export(model, example, os.path.join(OUT, name + '.onnx'), **kwargs)


def save_q(model, name, states):
    with torch.no_grad():
        q = model(torch.from_numpy(states))
    q.numpy().astype(np.float32).tofile(os.path.join(OUT, name + '.q.f32'))


states = (np.random.RandomState(1).randn(N, 4) * 0.5).astype(np.float32)
states.tofile(os.path.join(OUT, 'states.f32'))
one = torch.zeros(1, 4)
dyn = {'obs': {0: 'batch'}, 'q_values': {0: 'batch'}}
mlp = Mlp()
mlp.eval()

# 1. torch defaults: fixed batch 1, opset 13 (SB3's export guide without dynamic_axes).
export(mlp, 'fixed-batch', one, input_names=['obs'], output_names=['q_values'], opset_version=13)
save_q(mlp, 'fixed-batch', states)
# 2. opset 9 (SB3's older guide) with a dynamic batch.
export(mlp, 'opset9', one, input_names=['obs'], output_names=['q_values'], opset_version=9, dynamic_axes=dyn)
save_q(mlp, 'opset9', states)
# 3. opset 11, dynamic batch.
export(mlp, 'opset11', one, input_names=['obs'], output_names=['q_values'], opset_version=11, dynamic_axes=dyn)
save_q(mlp, 'opset11', states)
# 4. SB3 prologue Flatten(Cast(obs)), fixed batch.
sb3 = Sb3Prologue(mlp)
export(sb3, 'sb3-prologue', one, input_names=['obs'], output_names=['q_values'], opset_version=13)
save_q(sb3, 'sb3-prologue', states)
# 5. actions only: ArgMax, int64 output.
am = ArgMaxOnly(mlp)
export(am, 'argmax', one, input_names=['obs'], output_names=['actions'], opset_version=13, dynamic_axes={'obs': {0: 'batch'}, 'actions': {0: 'batch'}})
save_q(mlp, 'argmax', states)
# 6. two outputs: probabilities first, Q-values second.
two = TwoOutputs(mlp)
export(two, 'two-outputs', one, input_names=['obs'], output_names=['probs', 'values'], opset_version=13, dynamic_axes={'obs': {0: 'batch'}, 'probs': {0: 'batch'}, 'values': {0: 'batch'}})
save_q(mlp, 'two-outputs', states)
# 7. float16 input and output. torch 1.13 has no float16 matmul on CPU, so the traced module computes in
# float32 between Casts at its boundary (what a `.half()` export on a GPU looks like from outside).
class HalfBoundary(nn.Module):
    def __init__(self, mlp):
        super().__init__()
        self.mlp = mlp

    def forward(self, x):
        return self.mlp(x.float()).half()


half = HalfBoundary(mlp)
export(half, 'fp16', one.half(), input_names=['obs'], output_names=['q_values'], opset_version=13, dynamic_axes=dyn)
with torch.no_grad():
    half(torch.from_numpy(states).half()).float().numpy().astype(np.float32).tofile(os.path.join(OUT, 'fp16.q.f32'))
# 8. keep_initializers_as_inputs=True.
export(mlp, 'init-inputs', one, input_names=['obs'], output_names=['q_values'], opset_version=11, keep_initializers_as_inputs=True, dynamic_axes=dyn)
save_q(mlp, 'init-inputs', states)
# 9. MinAtar CNN with MinAtar's own 6 actions (our Breakout has 3).
export(MinAtarCnn(6), 'minatar-6-actions', torch.zeros(1, 4, 10, 10), input_names=['obs'], output_names=['q_values'], opset_version=13)
# 10. MinAtar CNN, 3 actions, fixed batch with a hard-coded Reshape(1, -1).
cnn = MinAtarCnn(3)
cnn.fixed_reshape = True
cnn.eval()
export(cnn, 'minatar-fixed-reshape', torch.zeros(1, 4, 10, 10), input_names=['obs'], output_names=['q_values'], opset_version=13)
mstates = np.random.RandomState(2).randint(0, 2, size=(N, 10, 10, 4)).astype(np.float32)  # HWC, as our env gives
mstates.tofile(os.path.join(OUT, 'minatar-states.f32'))
cnn.fixed_reshape = False
save_q(cnn, 'minatar-fixed-reshape', np.ascontiguousarray(mstates.transpose(0, 3, 1, 2)))
# 11. wrong input size (8 features for CartPole's 4).
export(Mlp(obs=8), 'wrong-input', torch.zeros(1, 8), input_names=['obs'], output_names=['q_values'], opset_version=13)
print('ok')
