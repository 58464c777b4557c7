"""Policies exported as actions, and a real `.half()` export, made with torch.onnx.export for
test/codegen/torch-actions.test.ts and test/distill/actions-teacher.test.ts.

usage: /usr/bin/python3 export_action_policies.py OUT_DIR
writes into OUT_DIR:
  states.f32                 N x 4 CartPole-like states (float32)
  argmax.onnx, argmax-fixed.onnx   SB3's current export guide: Flatten(obs.float()) -> MLP -> argmax(dim=1), int64
                             actions (dynamic batch, opset 17; and the guide's fixed batch of 1, opset 13)
  argmax.q.f32               torch's Q-values (the network before its argmax) on the states
  half.onnx                  nn.Sequential(...).half() exported (float16 input, weights, Gemm/Relu and output)
  half.q.f32                 torch's float32 Q-values of the same float16 weights (what float32 code computes)
  half.q16.f32               torch's float16 outputs (each layer rounded to float16), as float32
  <teacher>.onnx             qdistill's CartPole teacher (models/cartpole-v1, copied into torch) exported so that
                             its output is actions, one way per file (see TEACHERS below)
  <teacher>.actions.i64      torch's actions on the states (int64)
  teacher.q.f32              the CartPole teacher's Q-values on the states
  two-heads.onnx             the CartPole teacher with two outputs: softmax probabilities 'probs', Q-values 'values'
Debian's CPU torch 1.13 has no float16 Linear or ReLU kernels ("addmm_impl_cpu_" not implemented for 'Half'), so
the `.half()` model is traced with F.linear and F.relu computing in float32 and rounding to float16; the graph is
what torch.onnx writes for a half model on a GPU (Gemm transB=1 and Relu on float16 tensors, float16 initializers).
"""
import contextlib
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
N = 256
torch.manual_seed(0)
states = (np.random.RandomState(3).randn(N, 4) * np.array([1.0, 1.0, 0.1, 1.0])).astype(np.float32)
states.tofile(os.path.join(OUT, 'states.f32'))
x = torch.from_numpy(states)


def export(module, name, example, dynamic=True, opset=13, outputs=('actions',)):
    module.eval()
    kw = dict(input_names=['obs'], output_names=list(outputs), opset_version=opset)
    if dynamic:
        kw['dynamic_axes'] = {n: {0: 'batch'} for n in ['obs', *outputs]}
    torch.onnx.export(module, example, os.path.join(OUT, name + '.onnx'), **kw)


def save(array, name):
    np.ascontiguousarray(array).tofile(os.path.join(OUT, name))


# --- A: SB3's export guide (ArgMax output) ---------------------------------------------------------------


class QNetwork(nn.Module):
    """SB3's QNetwork: preprocess_obs (obs.float()) -> FlattenExtractor -> q_net MLP."""

    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.q_net = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))

    def forward(self, obs):
        return self.q_net(self.flatten(obs.float()))


class OnnxableDQNActions(nn.Module):
    """SB3's current export guide: forward returns policy(obs, deterministic=True), the greedy action."""

    def __init__(self, q):
        super().__init__()
        self.q = q

    def forward(self, obs):
        return self.q(obs).argmax(dim=1)


q = QNetwork().eval()
export(OnnxableDQNActions(q), 'argmax', torch.zeros(1, 4), opset=17)
export(OnnxableDQNActions(q), 'argmax-fixed', torch.zeros(1, 4), dynamic=False)
with torch.no_grad():
    save(q(x).numpy().astype(np.float32), 'argmax.q.f32')


# --- A: a real .half() export ------------------------------------------------------------------------------


class _HalfLinear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w, b):
        return (x.float() @ w.float().t() + b.float()).half()

    @staticmethod
    def symbolic(g, x, w, b):
        return g.op('Gemm', x, w, b, transB_i=1)  # what torch.onnx writes for a 2-D nn.Linear


class _HalfRelu(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.relu(x.float()).half()

    @staticmethod
    def symbolic(g, x):
        return g.op('Relu', x)


@contextlib.contextmanager
def cpu_half_kernels():
    linear, relu = F.linear, F.relu
    F.linear = lambda x, w, b=None: _HalfLinear.apply(x, w, b)
    F.relu = lambda x, inplace=False: _HalfRelu.apply(x)
    try:
        yield
    finally:
        F.linear, F.relu = linear, relu


torch.manual_seed(5)
mlp = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
half = mlp.half().eval()
with cpu_half_kernels():
    export(half, 'half', torch.zeros(1, 4).half(), outputs=('q_values',))
    with torch.no_grad():
        save(half(x.half()).float().numpy(), 'half.q16.f32')
with torch.no_grad():
    save(half.float()(x).numpy().astype(np.float32), 'half.q.f32')


# --- B: the CartPole teacher exported as actions ---------------------------------------------------------


def tfjs_weights(folder):
    with open(os.path.join(ROOT, 'models', folder, 'model.json')) as f:
        manifest = json.load(f)['weightsManifest'][0]
    with open(os.path.join(ROOT, 'models', folder, manifest['paths'][0]), 'rb') as f:
        data = f.read()
    weights, offset = {}, 0
    for spec in manifest['weights']:
        count = int(np.prod(spec['shape'])) if spec['shape'] else 1
        weights[spec['name']] = np.frombuffer(data, dtype=np.float32, count=count, offset=offset).reshape(spec['shape'])
        offset += 4 * count
    return weights


def cartpole_teacher(reverse_actions=False):
    w = tfjs_weights('cartpole-v1')
    net = nn.Sequential(nn.Linear(4, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 2))
    for layer, name in ((net[0], 'hidden_0'), (net[2], 'hidden_1'), (net[4], 'q_values')):
        layer.weight.data = torch.from_numpy(w[f'{name}/kernel'].T.copy())
        layer.bias.data = torch.from_numpy(w[f'{name}/bias'].copy())
    if reverse_actions:
        net[4].weight.data = net[4].weight.data.flip(0).contiguous()
        net[4].bias.data = net[4].bias.data.flip(0).contiguous()
    return net.eval()


class Actions(nn.Module):
    def __init__(self, net, how):
        super().__init__()
        self.net = net
        self.how = how
        # Q-values over the network's own action order, looked up in a table of the env's action ids.
        self.register_buffer('table', torch.tensor([1, 0]))

    def forward(self, obs):
        if self.how == 'float64':
            return self.net.double()(obs.double()).argmax(1)
        q = self.net(obs)
        if self.how == 'table':
            return self.table[q.argmax(1)]
        if self.how == 'greater':
            return (q[:, 1] > q[:, 0]).long()
        if self.how == 'topk':
            return torch.topk(q, 1).indices
        if self.how == 'max-indices':
            return q.max(1).indices
        if self.how == 'double-argmax':
            return q.double().argmax(1)
        if self.how == 'int32':
            return q.argmax(1).int()
        raise ValueError(self.how)


# Actions-only (no float32 Q-values of the 2 actions behind the output): table, greater, float64.
# Traced to their Q-values: topk, max-indices, double-argmax, int32.
TEACHERS = ['table', 'greater', 'float64', 'topk', 'max-indices', 'double-argmax', 'int32']
with torch.no_grad():
    save(cartpole_teacher()(x).numpy().astype(np.float32), 'teacher.q.f32')
for how in TEACHERS:
    module = Actions(cartpole_teacher(reverse_actions=how == 'table'), how).eval()
    export(module, how, torch.zeros(1, 4), opset=13)
    with torch.no_grad():
        save(module(x).reshape(-1).numpy().astype(np.int64), how + '.actions.i64')


class TwoHeads(nn.Module):
    """Probabilities first, Q-values second: --output values picks the Q-values."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, obs):
        q = self.net(obs)
        return torch.softmax(q, dim=1), q


export(TwoHeads(cartpole_teacher()), 'two-heads', torch.zeros(1, 4), outputs=('probs', 'values'))
print('ok')
