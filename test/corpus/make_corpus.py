#!/usr/bin/python3
"""The corpus of issue 12: Q-network files made the way users make them, for test/corpus/corpus.test.ts.

usage: /usr/bin/python3 test/corpus/make_corpus.py OUTDIR

(test/import/make_checkpoints.py imports this file for its SB3-format writers: importing it writes nothing.)

OUTDIR/states.json (written by the test before this runs) names, per env id, a raw float32 file of states in
the env's native layout and its shape, e.g. {"CartPole-v1": {"file": "states-CartPole-v1.f32", "shape": [256, 4]}}.
This script writes into OUTDIR:
  - every corpus file (.onnx, an external-data file, SB3 .zip files, torch.save state dicts);
  - <file>.ref.bin: torch's outputs on that env's states (float32 Q-values [N, A], or int64 actions for the
    argmax export);
  - manifest.json: file -> {kind, env, made, notes, states, ref, refDtype, refShape, tolerance}.
Nothing is downloaded; everything is made from seeded torch modules (Debian's torch 1.13, onnx).
"""
import base64
import io
import json
import os
import pickle
import sys
import types
import zipfile

import numpy as np
import onnx
from onnx import numpy_helper
import torch
from torch import nn

OUT = None  # set by main()
STATES_INDEX = {}
MANIFEST = {}
HERE = os.path.dirname(os.path.abspath(__file__))
SB3_TEMPLATE = os.environ.get("QDISTILL_SB3_TEMPLATE", "/work/shared/fixtures/sb3/dqn-CartPole-v1/CartPole-v1.zip")


def states(env):
    """The test's states of `env` in the env's native layout (HWC for MinAtar)."""
    entry = STATES_INDEX[env]
    return np.fromfile(os.path.join(OUT, entry["file"]), dtype=np.float32).reshape(entry["shape"])


def nchw(x):
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def record(name, kind, env, made, notes, ref=None, ref_states=None, tolerance=1e-5, extra=None):
    entry = {"kind": kind, "env": env, "made": made, "notes": notes, "states": ref_states, "tolerance": tolerance}
    if ref is not None:
        ref = np.ascontiguousarray(ref)
        ref_file = name + ".ref.bin"
        ref.tofile(os.path.join(OUT, ref_file))
        entry.update(ref=ref_file, refDtype=str(ref.dtype), refShape=list(ref.shape))
    if extra:
        entry.update(extra)
    MANIFEST[name] = entry
    print("wrote", name)


def torch_ref(module, x):
    with torch.no_grad():
        out = module(torch.from_numpy(x))
    if isinstance(out, tuple):
        out = out[0]
    return out.numpy()


def export(module, example, name, opset=None, dynamic=True, input_names=("input",), output_names=("output",), **kw):
    module.eval()
    args = dict(input_names=list(input_names), output_names=list(output_names))
    if opset is not None:
        args["opset_version"] = opset
    if dynamic:
        args["dynamic_axes"] = {n: {0: "batch_size"} for n in list(input_names) + list(output_names)}
    args.update(kw)
    torch.onnx.export(module, example, os.path.join(OUT, name), **args)


# --- Stable-Baselines3's QNetwork and its export guide ------------------------------------------------------


class FlattenExtractor(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()

    def forward(self, obs):
        return self.flatten(obs)


class QNetwork(nn.Module):
    """SB3's dqn.policies.QNetwork: preprocess_obs (obs.float() for a Box) → FlattenExtractor → q_net MLP."""

    def __init__(self, obs, actions, net_arch=(64, 64)):
        super().__init__()
        self.features_extractor = FlattenExtractor()
        layers, last = [], obs
        for width in net_arch:
            layers += [nn.Linear(last, width), nn.ReLU()]
            last = width
        layers.append(nn.Linear(last, actions))
        self.q_net = nn.Sequential(*layers)

    def forward(self, obs):
        return self.q_net(self.features_extractor(obs.float()))


class OnnxableDQN(nn.Module):
    """SB3's export guide for DQN (older versions): a module wrapping the policy's q_net that returns Q-values."""

    def __init__(self, q_net):
        super().__init__()
        self.q_net = q_net

    def forward(self, observation):
        return self.q_net(observation)


class OnnxableDQNActions(nn.Module):
    """SB3's current export guide: the exported module returns the greedy action (int64)."""

    def __init__(self, q_net):
        super().__init__()
        self.q_net = q_net

    def forward(self, observation):
        return self.q_net(observation).argmax(dim=1)


def sb3_exports():
    x = states("CartPole-v1")
    for opset in (9, 11, 13, 17):
        for dynamic in (False, True):
            torch.manual_seed(opset)
            q = QNetwork(4, 2)
            module = OnnxableDQN(q)
            name = f"sb3-opset{opset}-{'dynamic' if dynamic else 'fixed'}.onnx"
            # The guide's dummy input: th.randn(1, *observation_space.shape)
            export(module, torch.randn(1, 4), name, opset=opset, dynamic=dynamic)
            record(name, "onnx", "CartPole-v1",
                   f"SB3 QNetwork (Flatten(obs.float()) → 64-64 ReLU) wrapped per SB3's export guide, opset {opset}, "
                   + ("dynamic_axes batch" if dynamic else "no dynamic_axes (batch fixed at 1)"),
                   "fixed batch of 1: the graph's input is [1, 4]" if not dynamic else "",
                   ref=torch_ref(module, x), ref_states="CartPole-v1")
    torch.manual_seed(21)
    q = QNetwork(4, 2)
    module = OnnxableDQNActions(q)
    export(module, torch.randn(1, 4), "sb3-argmax.onnx", opset=17, dynamic=True)
    record("sb3-argmax.onnx", "onnx", "CartPole-v1",
           "SB3's current export guide: forward returns q_net(obs).argmax(dim=1), int64 [N], opset 17, dynamic batch",
           "the output is the action, not Q-values", ref=torch_ref(module, x).astype(np.int64), ref_states="CartPole-v1")


# --- CleanRL -----------------------------------------------------------------------------------------------


class CleanRLQNetwork(nn.Module):
    """CleanRL's dqn.py QNetwork."""

    def __init__(self, obs=4, actions=2):
        super().__init__()
        self.network = nn.Sequential(nn.Linear(obs, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, actions))

    def forward(self, x):
        return self.network(x)


def cleanrl_exports():
    x = states("CartPole-v1")
    for dynamic in (False, True):
        torch.manual_seed(30 + dynamic)
        q = CleanRLQNetwork()
        name = f"cleanrl-{'dynamic' if dynamic else 'fixed'}.onnx"
        # torch.onnx.export's defaults: opset 14 in torch 1.13, names input.1 / 9-style unless given
        if dynamic:
            export(q, torch.zeros(1, 4), name, dynamic=True, input_names=("x",), output_names=("q_values",))
        else:
            q.eval()
            torch.onnx.export(q, torch.zeros(1, 4), os.path.join(OUT, name))
        record(name, "onnx", "CartPole-v1",
               "CleanRL QNetwork nn.Sequential(Linear(4,120) ReLU Linear(120,84) ReLU Linear(84,2)), torch.onnx.export "
               + ("with dynamic_axes and names" if dynamic else "with all defaults (opset 14, fixed batch 1, generated tensor names)"),
               "", ref=torch_ref(q, x), ref_states="CartPole-v1")


# --- heads, activations, normalizations ------------------------------------------------------------------------


class Dueling(nn.Module):
    def __init__(self, obs=4, actions=2):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(obs, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
        self.value = nn.Linear(64, 1)
        self.advantage = nn.Linear(64, actions)

    def forward(self, x):
        h = self.features(x)
        v, a = self.value(h), self.advantage(h)
        return v + a - a.mean(1, keepdim=True)


class TwoHeads(nn.Module):
    """Q-values and a separate state value, as some users export for logging."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
        self.q = nn.Linear(64, 2)
        self.v = nn.Linear(64, 1)

    def forward(self, x):
        h = self.body(x)
        return self.q(h), self.v(h)


def mlp_with(layer_after_linear, obs=4, actions=2, width=64):
    return nn.Sequential(nn.Linear(obs, width), *layer_after_linear(), nn.Linear(width, width), *layer_after_linear(), nn.Linear(width, actions))


def activation_exports():
    x = states("CartPole-v1")
    torch.manual_seed(40)
    d = Dueling()
    export(d, torch.zeros(1, 4), "dueling.onnx", opset=13)
    record("dueling.onnx", "onnx", "CartPole-v1", "dueling head: v + a - a.mean(1, keepdim=True), opset 13, dynamic batch",
           "ReduceMean, Sub, Add after two Gemm heads", ref=torch_ref(d, x), ref_states="CartPole-v1")

    cases = {
        "layernorm": (lambda: [nn.LayerNorm(64), nn.ReLU()], 17, "Linear → LayerNorm → ReLU, opset 17 (LayerNormalization op)"),
        "selu": (lambda: [nn.SELU()], 13, "Linear → SELU"),
        "softplus": (lambda: [nn.Softplus()], 13, "Linear → Softplus"),
        "prelu": (lambda: [nn.PReLU()], 13, "Linear → PReLU (one learned slope)"),
        "gelu": (lambda: [nn.GELU()], 13, "Linear → GELU (opset 13: Div, Erf, Add, Mul)"),
        "silu": (lambda: [nn.SiLU()], 13, "Linear → SiLU (Sigmoid, Mul)"),
        "batchnorm": (lambda: [nn.BatchNorm1d(64), nn.ReLU()], 13, "Linear → BatchNorm1d (eval mode, non-trivial running stats) → ReLU"),
    }
    for i, (key, (layers, opset, made)) in enumerate(cases.items()):
        torch.manual_seed(50 + i)
        net = mlp_with(layers)
        for m in net.modules():
            if isinstance(m, nn.BatchNorm1d):
                m.running_mean.copy_(torch.randn(64) * 0.1)
                m.running_var.copy_(torch.rand(64) + 0.5)
                m.weight.data.copy_(torch.rand(64) + 0.5)
                m.bias.data.copy_(torch.randn(64) * 0.1)
            if isinstance(m, nn.PReLU):
                m.weight.data.fill_(0.1)
        net.eval()
        name = f"act-{key}.onnx"
        export(net, torch.zeros(2, 4), name, opset=opset)
        record(name, "onnx", "CartPole-v1", made + f", opset {opset}, dynamic batch", "", ref=torch_ref(net, x), ref_states="CartPole-v1")

    torch.manual_seed(60)
    two = TwoHeads()
    export(two, torch.zeros(1, 4), "two-outputs.onnx", opset=13, output_names=("q_values", "value"))
    record("two-outputs.onnx", "onnx", "CartPole-v1", "two outputs: q_values [N, 2] and value [N, 1], opset 13, dynamic batch",
           "the reference is the first output", ref=torch_ref(two, x), ref_states="CartPole-v1")


# --- CNNs ------------------------------------------------------------------------------------------------------


class NatureCNN(nn.Module):
    def __init__(self, actions=4):
        super().__init__()
        self.cnn = nn.Sequential(nn.Conv2d(4, 32, 8, stride=4), nn.ReLU(), nn.Conv2d(32, 64, 4, stride=2), nn.ReLU(),
                                 nn.Conv2d(64, 64, 3, stride=1), nn.ReLU(), nn.Flatten())
        self.linear = nn.Sequential(nn.Linear(3136, 512), nn.ReLU())
        self.q = nn.Linear(512, actions)

    def forward(self, x):
        return self.q(self.linear(self.cnn(x.float() / 255.0)))


class MinAtarCNN(nn.Module):
    def __init__(self, actions=3):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(4, 16, 3, stride=1), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 8 * 16, 128), nn.ReLU(), nn.Linear(128, actions))

    def forward(self, x):
        return self.net(x)


def cnn_exports():
    torch.manual_seed(70)
    nature = NatureCNN()
    export(nature, torch.zeros(1, 4, 84, 84), "nature-cnn.onnx", opset=13)
    rng = np.random.default_rng(70)
    xs = (rng.random((8, 4, 84, 84)) * 255).astype(np.float32)
    np.ascontiguousarray(xs).tofile(os.path.join(OUT, "nature-cnn.states.bin"))
    record("nature-cnn.onnx", "onnx", "MinAtar/Breakout",
           "SB3 NatureCNN (Atari 84×84×4, /255, 3 convs, 512, 4 actions), opset 13, NCHW, dynamic batch",
           "no env of ours has an 84×84×4 observation: the documented shape error is expected",
           ref=torch_ref(nature, xs), ref_states=None, extra={"ownStates": "nature-cnn.states.bin", "ownStatesShape": list(xs.shape)})

    xb = nchw(states("MinAtar/Breakout"))
    torch.manual_seed(71)
    small = MinAtarCNN(3)
    export(small, torch.zeros(1, 4, 10, 10), "minatar-cnn.onnx", opset=13)
    record("minatar-cnn.onnx", "onnx", "MinAtar/Breakout",
           "small CNN Conv2d(4,16,3) ReLU Flatten Linear(1024,128) ReLU Linear(128,3), NCHW [N,4,10,10], opset 13",
           "the env is HWC: the loader should feed it transposed", ref=torch_ref(small, xb), ref_states="MinAtar/Breakout")

    torch.manual_seed(72)
    six = MinAtarCNN(6)
    export(six, torch.zeros(1, 4, 10, 10), "minatar-6actions.onnx", opset=13)
    record("minatar-6actions.onnx", "onnx", "MinAtar/Breakout",
           "MinAtar-style CNN with MinAtar's own full action set (6 actions)",
           "our MinAtar/Breakout has 3 actions: the action-count error is expected", ref=torch_ref(six, xb), ref_states="MinAtar/Breakout")


# --- export options ----------------------------------------------------------------------------------------------


def half_export():
    """model.half() exported as a CUDA user does: float16 initializers, float16 input and output.

    Debian's CPU torch 1.13 cannot run a float16 Linear ("addmm_impl_cpu_ not implemented for 'Half'"), so tracing
    model.half() fails here; the float export of a model whose weights were rounded to float16 is converted to
    what the CUDA export writes (every float tensor and the graph's input/output typed FLOAT16)."""
    x = states("CartPole-v1")
    torch.manual_seed(80)
    q = QNetwork(4, 2)
    module = OnnxableDQN(q)
    for p in module.parameters():
        p.data = p.data.half().float()
    name = "half.onnx"
    export(module, torch.zeros(1, 4), name, opset=13)
    model = onnx.load(os.path.join(OUT, name))
    for init in model.graph.initializer:
        if init.data_type == onnx.TensorProto.FLOAT:
            arr = numpy_helper.to_array(init).astype(np.float16)
            init.CopyFrom(numpy_helper.from_array(arr, init.name))
    for v in list(model.graph.input) + list(model.graph.output):
        v.type.tensor_type.elem_type = onnx.TensorProto.FLOAT16
    # SB3's obs.float() prologue: in a half network the cast is to the network's own dtype
    for node in model.graph.node:
        for a in node.attribute:
            if node.op_type == "Cast" and a.name == "to" and a.i == onnx.TensorProto.FLOAT:
                a.i = onnx.TensorProto.FLOAT16
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, os.path.join(OUT, name))
    # reference: float16 inputs, float16 weights, each layer's output rounded to float16 (what fp16 kernels give)
    h = x.astype(np.float16).astype(np.float32)
    layers = [m for m in q.q_net if isinstance(m, nn.Linear)]
    for i, layer in enumerate(layers):
        h = h @ layer.weight.detach().numpy().T + layer.bias.detach().numpy()
        if i < len(layers) - 1:
            h = np.maximum(h, 0)
        h = h.astype(np.float16).astype(np.float32)
    record(name, "onnx", "CartPole-v1", "SB3 QNetwork with .half(): float16 weights, float16 input and output, opset 13",
           "made by converting the float export (CPU torch cannot trace half Linear); reference rounds to float16 per layer",
           ref=h.astype(np.float32), ref_states="CartPole-v1", tolerance=1e-3, extra={"inputDtype": "float16"})


def option_exports():
    x = states("CartPole-v1")
    torch.manual_seed(81)
    q = OnnxableDQN(QNetwork(4, 2))
    export(q, torch.zeros(1, 4), "keep-initializers.onnx", opset=13, keep_initializers_as_inputs=True)
    record("keep-initializers.onnx", "onnx", "CartPole-v1", "torch.onnx.export(..., keep_initializers_as_inputs=True), opset 13",
           "every weight is also a graph input (with its initializer as default)", ref=torch_ref(q, x), ref_states="CartPole-v1")

    torch.manual_seed(82)
    q = OnnxableDQN(QNetwork(4, 2))
    name = "external-data.onnx"
    export(q, torch.zeros(1, 4), name, opset=13)
    model = onnx.load(os.path.join(OUT, name))
    onnx.save(model, os.path.join(OUT, name), save_as_external_data=True, all_tensors_to_one_file=True,
              location="external-data.onnx.data", size_threshold=0)
    record(name, "onnx", "CartPole-v1",
           "onnx.save(model, path, save_as_external_data=True, all_tensors_to_one_file=True, size_threshold=0)",
           "weights in external-data.onnx.data beside the file", ref=torch_ref(q, x), ref_states="CartPole-v1")


# --- checkpoints for `qdistill import` -------------------------------------------------------------------------
#
# SB3 and sb3-contrib are not installed here, so their policies are rebuilt from torch modules with SB3's own
# attribute names (state_dict() then spells the keys as SB3's does: q_net.features_extractor.cnn.0.weight,
# q_net.q_net.0.weight, quantile_net.quantile_net.0.weight, the *_target copies), and the zip is laid out as
# SB3's save_to_zip_file writes it: `data` (data_to_json: JSON, with cloudpickle under ':serialized:' and the
# first-level fields of each non-JSON object beside it, str() of what JSON cannot hold), policy.pth,
# policy.optimizer.pth, pytorch_variables.pth, _stable_baselines3_version and system_info.txt.


def fake_class(module_name, class_name):
    """A stand-in class pickled under gym's own module and class names (gym is not installed here)."""
    parts = module_name.split(".")
    for i in range(1, len(parts) + 1):
        sys.modules.setdefault(".".join(parts[:i]), types.ModuleType(".".join(parts[:i])))
    module = sys.modules[module_name]
    cls = getattr(module, class_name, None)
    if cls is None:
        cls = type(class_name, (), {"__module__": module_name})
        setattr(module, class_name, cls)
    return cls


def serialized(obj):
    return base64.b64encode(pickle.dumps(obj, protocol=4)).decode()


def box_space(gym, obs):
    cls = fake_class(f"{gym}.spaces.box", "Box")
    box = cls.__new__(cls)
    low = np.full(obs, -np.inf, dtype=np.float32)
    high = np.full(obs, np.inf, dtype=np.float32)
    box.__dict__.update(dtype=np.dtype("float32"), _shape=(obs,), low=low, high=high,
                        bounded_below=np.zeros(obs, bool), bounded_above=np.zeros(obs, bool), _np_random=None)
    return {
        ":type:": f"<class '{gym}.spaces.box.Box'>", ":serialized:": serialized(box), "dtype": "float32",
        "bounded_below": str(box.bounded_below), "bounded_above": str(box.bounded_above),
        "_shape": [obs], "low": str(low), "high": str(high), "low_repr": "-inf", "high_repr": "inf", "_np_random": "None",
    }


def short_repr(arr):
    """gymnasium.spaces.box._short_repr: the one value when every element has it, else str(arr)."""
    return str(np.min(arr)) if arr.size != 0 and np.min(arr) == np.max(arr) else str(arr)


def image_box_space(gym, shape, dtype, low, high):
    """A Box as data_to_json writes it: its __dict__ fields, str() for the arrays (numpy elides big ones with '...').

    gymnasium (SB3 2.x) Boxes also hold low_repr/high_repr; gym 0.21 (SB3 1.x) ones do not."""
    cls = fake_class(f"{gym}.spaces.box", "Box")
    box = cls.__new__(cls)
    lo = np.full(shape, low, dtype=dtype)
    hi = np.full(shape, high, dtype=dtype)
    fields = dict(dtype=np.dtype(dtype), _shape=tuple(shape), low=lo, high=hi,
                  bounded_below=np.isfinite(lo.astype(np.float64)), bounded_above=np.isfinite(hi.astype(np.float64)))
    if gym == "gymnasium":
        fields.update(low_repr=short_repr(lo), high_repr=short_repr(hi))
    fields["_np_random"] = None
    box.__dict__.update(fields)
    out = {":type:": f"<class '{gym}.spaces.box.Box'>", ":serialized:": serialized(box)}
    for key, value in fields.items():
        try:
            json.dumps(value)
            out[key] = value
        except TypeError:
            out[key] = list(value) if isinstance(value, tuple) else str(value)
    out["_shape"] = list(shape)
    return out


def discrete_space(gym, n):
    cls = fake_class(f"{gym}.spaces.discrete", "Discrete")
    d = cls.__new__(cls)
    d.__dict__.update(n=np.int64(n), start=np.int64(0), _shape=(), dtype=np.dtype("int64"), _np_random=None)
    return {":type:": f"<class '{gym}.spaces.discrete.Discrete'>", ":serialized:": serialized(d), "n": str(n), "start": "0",
            "_shape": [], "dtype": "int64", "_np_random": "None"}


def policy_class_entry(module_name, class_name):
    """data['policy_class'] as data_to_json writes a class: a cloudpickle reference and its plain attributes."""
    cls = fake_class(module_name, class_name)
    return {
        ":type:": "<class 'abc.ABCMeta'>", ":serialized:": serialized(cls), "__module__": module_name,
        "__doc__": f"\n    Policy class ({class_name}) written by test/corpus/make_corpus.py in SB3's layout\n    ",
        "__init__": f"<function {class_name}.__init__ at 0x7f3a1c2b5e40>", "__abstractmethods__": "frozenset()",
        "_abc_impl": "<_abc._abc_data object at 0x7f3a1c2c1a00>",
    }


class SB3NatureCNN(nn.Module):
    """SB3's torch_layers.NatureCNN: cnn = 3 convs (8×8/4, 4×4/2, 3×3/1, no padding) with ReLU and Flatten, then
    linear = Linear(n_flatten, features_dim) ReLU, n_flatten from one forward pass as SB3 computes it."""

    def __init__(self, channels, height, width, features_dim=512, kernels=(8, 4, 3)):
        super().__init__()
        self.cnn = nn.Sequential(nn.Conv2d(channels, 32, kernels[0], stride=4, padding=0), nn.ReLU(),
                                 nn.Conv2d(32, 64, kernels[1], stride=2, padding=0), nn.ReLU(),
                                 nn.Conv2d(64, 64, kernels[2], stride=1, padding=0), nn.ReLU(), nn.Flatten())
        with torch.no_grad():
            n_flatten = self.cnn(torch.zeros(1, channels, height, width)).shape[1]
        self.linear = nn.Sequential(nn.Linear(n_flatten, features_dim), nn.ReLU())
        self.features_dim = features_dim

    def forward(self, x):
        return self.linear(self.cnn(x))


class SB3QNet(nn.Module):
    """SB3's dqn.policies.QNetwork (head 'q_net') or sb3-contrib's qrdqn.policies.QuantileNetwork (head
    'quantile_net'): preprocess_obs (obs.float(), / 255 for an image space with normalize_images), the
    features extractor (NatureCNN or FlattenExtractor), then create_mlp(features, actions [× n_quantiles],
    net_arch). forward gives what the policy's _predict takes the argmax of: Q-values, or for QR-DQN the mean
    over quantiles of quantile_net(features).view(-1, n_quantiles, n_actions)."""

    def __init__(self, head, extractor, features_dim, actions, net_arch, divide_by_255, n_quantiles=None):
        super().__init__()
        self.features_extractor = extractor
        layers, last = [], features_dim
        for width in net_arch:
            layers += [nn.Linear(last, width), nn.ReLU()]
            last = width
        layers.append(nn.Linear(last, actions * (n_quantiles or 1)))
        self.head = head
        setattr(self, head, nn.Sequential(*layers))
        self.actions, self.n_quantiles, self.divide_by_255 = actions, n_quantiles, divide_by_255

    def forward(self, obs):
        x = obs.float()
        if self.divide_by_255:
            x = x / 255.0
        out = getattr(self, self.head)(self.features_extractor(x))
        if self.n_quantiles:
            out = out.view(-1, self.n_quantiles, self.actions).mean(dim=1)
        return out


class SB3Policy(nn.Module):
    """DQNPolicy / QRDQNPolicy: the online network and its target copy (same weights after _build)."""

    def __init__(self, head, make_net):
        super().__init__()
        online, target = make_net(), make_net()
        target.load_state_dict(online.state_dict())
        setattr(self, head, online)
        setattr(self, f"{head}_target", target)
        self.online = [online]

    def forward(self, obs):
        return self.online[0](obs)


def make_policy(algo, obs_shape, actions, net_arch=None, cnn=False, divide_by_255=False, n_quantiles=None, features_dim=512, kernels=(8, 4, 3)):
    """The policy SB3 (algo 'dqn') or sb3-contrib (algo 'qrdqn') builds; net_arch None is its default
    ([64, 64] for an MLP, [] after a CNN)."""
    head = "q_net" if algo == "dqn" else "quantile_net"
    arch = list(net_arch) if net_arch is not None else ([] if cnn else [64, 64])

    def make_net():
        if cnn:
            extractor = SB3NatureCNN(*obs_shape, features_dim=features_dim, kernels=kernels)
            dim = extractor.features_dim
        else:
            extractor = FlattenExtractor()
            dim = int(np.prod(obs_shape))
        return SB3QNet(head, extractor, dim, actions, arch, divide_by_255, n_quantiles if algo == "qrdqn" else None)

    return SB3Policy(head, make_net)


def write_sb3_zip(path, policy, policy_class, policy_kwargs, observation_space, action_space, sb3_version, gym, clear_last_obs=False):
    """A model .zip laid out as SB3's save_to_zip_file writes it, the real RL Zoo data JSON as the template."""
    with zipfile.ZipFile(SB3_TEMPLATE) as z:
        data = json.loads(z.read("data"))
    data["policy_class"] = policy_class_entry(*policy_class)
    data["policy_kwargs"] = policy_kwargs
    data["observation_space"] = observation_space
    data["action_space"] = action_space
    data["n_envs"] = 1
    data["num_timesteps"] = 100000
    data["_total_timesteps"] = 100000
    if clear_last_obs:
        data["_last_obs"] = None
        data["_last_original_obs"] = None
    optimizer = torch.optim.Adam(policy.online[0].parameters(), lr=1e-3)
    buffers = {}
    for key, obj in (("policy.pth", policy.state_dict()), ("policy.optimizer.pth", optimizer.state_dict()), ("pytorch_variables.pth", {})):
        b = io.BytesIO()
        torch.save(obj, b)
        buffers[key] = b.getvalue()
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("data", json.dumps(data, indent=4))
        for key, value in buffers.items():
            z.writestr(key, value)
        z.writestr("_stable_baselines3_version", sb3_version)
        z.writestr("system_info.txt", f"- OS: Linux-6.1.0-x86_64-with-glibc2.36 # 1 SMP Debian\n- Python: 3.11.2\n- Stable-Baselines3: {sb3_version}\n"
                   f"- PyTorch: 2.1.0\n- GPU Enabled: False\n- Numpy: 1.26.4\n- Cloudpickle: 3.0.0\n- Gymnasium: 0.29.1\n")


def write_zoo_yaml(path, pairs):
    """A YAML file as the RL Zoo writes config.yml and args.yml: an OrderedDict of [key, value] pairs."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    lines = ["!!python/object/apply:collections.OrderedDict"]
    for i, (key, value) in enumerate(pairs):
        lines.append(("- - - " if i == 0 else "  - - ") + key)
        text = "true" if value is True else "false" if value is False else "null" if value is None else str(value)
        lines.append("    - " + text)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def sb3_zip(name, env, obs, actions, net_arch, policy_kwargs, sb3_version, gym):
    """A DQN MlpPolicy .zip, the real RL Zoo data JSON as the template."""
    observation_space = box_space(gym, obs)
    action_space = discrete_space(gym, actions)
    # SB3 1.x with gym keeps the space's shape as "shape"; the 2.x layout here names it "shape" as well.
    observation_space["shape"] = [obs] if gym == "gym" else observation_space.pop("_shape")
    action_space["shape"] = [] if gym == "gym" else action_space.pop("_shape")
    torch.manual_seed(abs(hash(name)) % 1000)
    policy = make_policy("dqn", (obs,), actions, net_arch)
    write_sb3_zip(os.path.join(OUT, name), policy, ("stable_baselines3.dqn.policies", "DQNPolicy"), policy_kwargs,
                  observation_space, action_space, sb3_version, gym)
    x = states(env)
    record(name, "zip", env,
           f"SB3 {sb3_version} DQN MlpPolicy zip ({gym}), net_arch {list(net_arch)}, policy_kwargs {json.dumps(policy_kwargs)}, "
           "data JSON from the RL Zoo CartPole zip with its spaces and policy_kwargs replaced",
           f"{obs} inputs, {actions} actions", ref=torch_ref(policy, x), ref_states=env)


def qrdqn_zip():
    """sb3-contrib QR-DQN MlpPolicy on CartPole-v1 with sb3-contrib's defaults: net_arch [64, 64], n_quantiles 200
    (QRDQNPolicy's default; policy_kwargs names neither)."""
    name = "qrdqn-CartPole-v1.zip"
    torch.manual_seed(101)
    policy = make_policy("qrdqn", (4,), 2, n_quantiles=200)
    write_sb3_zip(os.path.join(OUT, name), policy, ("sb3_contrib.qrdqn.policies", "QRDQNPolicy"), {},
                  image_box_space("gymnasium", (4,), np.float32, -np.inf, np.inf), discrete_space("gymnasium", 2), "2.3.2", "gymnasium")
    record(name, "zip", "CartPole-v1",
           "sb3-contrib 2.3 QR-DQN MlpPolicy zip (gymnasium): quantile_net 64-64 → 2 actions × 200 quantiles (the defaults, "
           "policy_kwargs {}), data JSON from the RL Zoo CartPole zip with policy_class, spaces and policy_kwargs replaced",
           "Q = mean over quantiles of quantile_net(obs).view(-1, 200, 2)", ref=torch_ref(policy, states("CartPole-v1")), ref_states="CartPole-v1")


def cnn_states(seed, count, shape):
    """Image observations as an Atari VecFrameStack + VecTransposeImage env gives them: uint8 values, float32 here."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(count, *shape)).astype(np.float32)


def cnn_zip():
    """SB3 DQN CnnPolicy (NatureCNN, normalize_images) on Atari-shaped uint8 [4, 84, 84] observations."""
    name = "dqn-cnn-84x84.zip"
    torch.manual_seed(102)
    policy = make_policy("dqn", (4, 84, 84), 4, cnn=True, divide_by_255=True)
    write_sb3_zip(os.path.join(OUT, name), policy, ("stable_baselines3.dqn.policies", "CnnPolicy"), {},
                  image_box_space("gymnasium", (4, 84, 84), np.uint8, 0, 255), discrete_space("gymnasium", 4), "2.3.2", "gymnasium",
                  clear_last_obs=True)
    xs = cnn_states(102, 16, (4, 84, 84))
    xs.tofile(os.path.join(OUT, "dqn-cnn-84x84.states.bin"))
    record(name, "zip", None,
           "SB3 2.3 DQN CnnPolicy zip (gymnasium): Box(0, 255, (4, 84, 84), uint8) after VecTransposeImage, NatureCNN "
           "(random weights) → q_net Linear(512, 4), normalize_images (obs / 255)",
           "no env of ours has [4, 84, 84] observations: import writes the teacher without one", ref=torch_ref(policy, xs),
           ref_states=None, extra={"ownStates": "dqn-cnn-84x84.states.bin", "ownStatesShape": list(xs.shape)})


def state_dicts():
    x = states("CartPole-v1")
    torch.manual_seed(90)
    q = CleanRLQNetwork()
    torch.save(q.state_dict(), os.path.join(OUT, "cleanrl-cartpole.cleanrl_model"))
    record("cleanrl-cartpole.cleanrl_model", "state_dict", "CartPole-v1", "CleanRL dqn.py: torch.save(q_network.state_dict(), path)",
           "network.0/2/4 Linear keys, 120-84", ref=torch_ref(q, x), ref_states="CartPole-v1")
    xm = states("MountainCar-v0")
    torch.manual_seed(91)
    seq = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))
    torch.save(seq.state_dict(), os.path.join(OUT, "mountaincar-sequential.pt"))
    record("mountaincar-sequential.pt", "state_dict", "MountainCar-v0", "torch.save(nn.Sequential(...).state_dict()) of a 64-64 MLP",
           "2 inputs, 3 actions; keys 0/2/4", ref=torch_ref(seq, xm), ref_states="MountainCar-v0")


def main(out):
    global OUT, STATES_INDEX
    OUT = out
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "states.json")) as f:
        STATES_INDEX = json.load(f)
    sb3_exports()
    cleanrl_exports()
    activation_exports()
    cnn_exports()
    half_export()
    option_exports()
    sb3_zip("dqn-Acrobot-v1.zip", "Acrobot-v1", 6, 3, (64, 64), {"net_arch": [64, 64]}, "2.3.2", "gymnasium")
    sb3_zip("dqn-LunarLander-v3.zip", "LunarLander-v3", 8, 4, (64, 64), {}, "1.8.0", "gym")
    qrdqn_zip()
    cnn_zip()
    state_dicts()
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(MANIFEST, f, indent=2)
    print(f"{len(MANIFEST)} files")


if __name__ == "__main__":
    main(sys.argv[1])
