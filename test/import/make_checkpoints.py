#!/usr/bin/python3
"""Checkpoints for test/import, made by real torch into a folder the test names (nothing is committed).

  make_checkpoints.py make OUTDIR
      writes the checkpoints below, each with <name>.states.f32 (random normal states) and <name>.q.f32 (what
      the torch module itself computes on them), and OUTDIR/manifest.json describing them.
  make_checkpoints.py sb3-qvalues ZIP STATES OUT OBS
      loads policy.pth from an SB3 zip with torch.load and writes the q_net MLP's outputs on STATES.
"""
import io
import json
import os
import sys
import zipfile

import numpy as np
import torch
from torch import nn

STATES = 1000


def states_for(name, obs, out):
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    x = rng.standard_normal((STATES, obs)).astype(np.float32)
    x.tofile(os.path.join(out, f"{name}.states.f32"))
    return torch.from_numpy(x)


def save_expected(name, module, obs, out):
    x = states_for(name, obs, out)
    with torch.no_grad():
        q = module(x).to(torch.float32).numpy()
    q.tofile(os.path.join(out, f"{name}.q.f32"))
    return q.shape[1]


class QNetwork(nn.Module):
    """CleanRL's dqn.py Q-network."""

    def __init__(self, obs, actions):
        super().__init__()
        self.network = nn.Sequential(nn.Linear(obs, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, actions))

    def forward(self, x):
        return self.network(x)


class StridedNet(nn.Module):
    """Weights saved as views: a transpose (non-contiguous strides), a slice (storage offset), float64 and float16."""

    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(3)
        big = torch.randn(40, 4, generator=g)
        self.w0 = big[8:40]  # [32, 4] at storage offset 32
        self.b0 = torch.randn(32, generator=g).double()
        self.w1 = torch.randn(32, 16, generator=g).t()  # [16, 32], strides (1, 16)
        self.b1 = torch.randn(16, generator=g).half()
        self.w2 = torch.randn(2, 16, generator=g).half()
        self.b2 = torch.randn(2, generator=g)

    def forward(self, x):
        h = torch.relu(x @ self.w0.t() + self.b0.float())
        h = torch.relu(h @ self.w1.float().t() + self.b1.float())
        return h @ self.w2.float().t() + self.b2

    def state(self):
        return {"l0.weight": self.w0, "l0.bias": self.b0, "l1.weight": self.w1, "l1.bias": self.b1, "l2.weight": self.w2, "l2.bias": self.b2}


class Evil:
    def __init__(self, fn, arg):
        self.fn, self.arg = fn, arg

    def __reduce__(self):
        return (self.fn, (self.arg,))


def make(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    manifest = {}

    seq = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
    torch.save(seq.state_dict(), os.path.join(out, "sequential.pt"))
    manifest["sequential.pt"] = {"obs": 4, "actions": save_expected("sequential.pt", seq, 4, out), "network": "64-64"}

    q = QNetwork(6, 3)
    torch.save(q.state_dict(), os.path.join(out, "q_network.cleanrl_model"))
    manifest["q_network.cleanrl_model"] = {"obs": 6, "actions": save_expected("q_network.cleanrl_model", q, 6, out), "network": "120-84"}

    s = StridedNet()
    torch.save(s.state(), os.path.join(out, "strided.pth"))
    manifest["strided.pth"] = {"obs": 4, "actions": save_expected("strided.pth", s, 4, out), "network": "32-16"}

    marker = os.path.join(out, "PWNED")
    torch.save({"0.weight": Evil(eval, f"open({marker!r}, 'w').write('x')")}, os.path.join(out, "evil-eval.pt"))
    torch.save(Evil(os.system, f"touch {marker}"), os.path.join(out, "evil-system.pt"))
    # pickle protocol 2 (what torch.save writes) spells builtins as __builtin__
    manifest["evil-eval.pt"] = {"global": "__builtin__.eval"}
    manifest["evil-system.pt"] = {"global": f"{os.system.__module__}.system"}

    whole = open(os.path.join(out, "sequential.pt"), "rb").read()
    open(os.path.join(out, "truncated.pt"), "wb").write(whole[: len(whole) // 2])
    open(os.path.join(out, "not-a-zip.pt"), "wb").write(b"this is not a checkpoint\n")

    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)


def sb3_qvalues(zip_path, states_path, out_path, obs):
    with zipfile.ZipFile(zip_path) as z:
        state = torch.load(io.BytesIO(z.read("policy.pth")), map_location="cpu")
    names = [k for k in state if k.startswith("q_net.q_net.") and k.endswith(".weight")]
    names.sort(key=lambda k: int(k.split(".")[2]))
    x = torch.from_numpy(np.fromfile(states_path, dtype=np.float32).reshape(-1, int(obs)))
    with torch.no_grad():
        for i, k in enumerate(names):
            x = nn.functional.linear(x, state[k], state[k[: -len("weight")] + "bias"])
            if i < len(names) - 1:
                x = torch.relu(x)
    x.numpy().astype(np.float32).tofile(out_path)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    elif sys.argv[1] == "sb3-qvalues":
        sb3_qvalues(*sys.argv[2:6])
    else:
        sys.exit(f"unknown mode {sys.argv[1]}")
