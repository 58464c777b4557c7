#!/usr/bin/python3
"""Checkpoints for test/import, made by real torch into a folder the test names (nothing is committed).

  make_checkpoints.py make OUTDIR
      writes the checkpoints below, each with <name>.states.f32 (random normal states) and <name>.q.f32 (what
      the torch module itself computes on them), and OUTDIR/manifest.json describing them.
  make_checkpoints.py sb3-qvalues ZIP STATES OUT OBS
      loads policy.pth from an SB3 zip with torch.load and writes the q_net MLP's outputs on STATES.
  make_checkpoints.py sb3-zips OUTDIR
      writes SB3 / sb3-contrib zips (QR-DQN MlpPolicy, DQN and QR-DQN CnnPolicy with NatureCNN, and two CNNs
      qdistill must refuse) with the RL Zoo's config.yml / args.yml where a Zoo run has them, each with
      <name>.states.f32 and <name>.q.f32 (what the torch policy itself computes on them: its argmax is the
      action SB3's predict takes), and OUTDIR/manifest.json. The zips are written by test/corpus/make_corpus.py's
      SB3-format writer.
"""
import io
import json
import os
import sys
import zipfile
import zlib

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


def sb3_zips(out):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus"))
    import make_corpus as sb3  # the SB3-format writers (importing it writes nothing)

    os.makedirs(out, exist_ok=True)
    manifest = {}

    def states(name, count, shape, images=None):
        rng = np.random.default_rng(zlib.crc32(name.encode()))  # hash() of a str changes from run to run
        if images == "uint8":
            x = rng.integers(0, 256, size=(count, *shape)).astype(np.float32)
        elif images == "unit":
            x = rng.random((count, *shape)).astype(np.float32)
        else:
            x = rng.standard_normal((count, *shape)).astype(np.float32)
        x.tofile(os.path.join(out, f"{name}.states.f32"))
        return torch.from_numpy(x)

    def trained_looking(policy, head):
        """Q-values of a few units rather than ~0.01, and a target network unlike the online one (as after training)."""
        online = getattr(policy, head)
        last = [m for m in getattr(online, head) if isinstance(m, nn.Linear)][-1]
        with torch.no_grad():
            last.weight.mul_(40)
            last.bias.copy_(torch.randn(last.bias.shape) * 3)
            for p in getattr(policy, f"{head}_target").parameters():
                p.normal_()

    def write(name, policy, head, observations, policy_class, policy_kwargs, obs_space, act_space, version, gym, **info):
        """The zip `name` and torch's Q-values on `observations` = (count, shape, kind) states."""
        path = os.path.join(out, name)
        key = name.replace("/", "_")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        trained_looking(policy, head)
        sb3.write_sb3_zip(path, policy, policy_class, policy_kwargs, obs_space, act_space, version, gym, clear_last_obs=True)
        x = states(key, *observations)
        with torch.no_grad():
            q = policy(x).numpy().astype(np.float32)
        q.tofile(os.path.join(out, f"{key}.q.f32"))
        manifest[name] = dict(states=f"{key}.states.f32", q=f"{key}.q.f32", obsShape=list(x.shape[1:]), actions=q.shape[1],
                              sb3Version=version, **info)

    QRDQN_MLP = ("sb3_contrib.qrdqn.policies", "QRDQNPolicy")
    QRDQN_CNN = ("sb3_contrib.qrdqn.policies", "CnnPolicy")
    DQN_CNN = ("stable_baselines3.dqn.policies", "CnnPolicy")
    gymnasium, gym = "gymnasium", "gym"
    flat_box = lambda g, n: sb3.image_box_space(g, (n,), np.float32, -np.inf, np.inf)
    uint8_images = lambda g, shape: sb3.image_box_space(g, shape, np.uint8, 0, 255)

    # An RL Zoo run folder: logs/qrdqn/CartPole-v1_1/{CartPole-v1.zip, CartPole-v1/config.yml, CartPole-v1/args.yml}
    torch.manual_seed(11)
    name = "zoo-qrdqn/CartPole-v1.zip"
    policy = sb3.make_policy("qrdqn", (4,), 2, net_arch=(64, 64), n_quantiles=25)
    write(name, policy, "quantile_net", (STATES, (4,)), QRDQN_MLP, {"net_arch": [64, 64], "n_quantiles": 25},
          flat_box(gymnasium, 4), sb3.discrete_space(gymnasium, 2), "2.3.2", gymnasium, network="64-64", quantiles=25)
    config = [("batch_size", 64), ("buffer_size", 100000), ("exploration_final_eps", 0.04), ("exploration_fraction", 0.16),
              ("gamma", 0.99), ("gradient_steps", 128), ("learning_rate", 0.0023), ("learning_starts", 1000), ("n_timesteps", 50000.0),
              ("policy", "MlpPolicy"), ("policy_kwargs", "dict(net_arch=[64, 64], n_quantiles=25)"), ("target_update_interval", 10), ("train_freq", 256)]
    sb3.write_zoo_yaml(os.path.join(out, "zoo-qrdqn", "CartPole-v1", "config.yml"), config)
    sb3.write_zoo_yaml(os.path.join(out, "zoo-qrdqn", "CartPole-v1", "args.yml"),
                       [("algo", "qrdqn"), ("env", "CartPole-v1"), ("eval_freq", 10000), ("n_timesteps", -1), ("seed", 3141)])
    manifest[name].update(config={k: v for k, v in config}, args={"algo": "qrdqn", "env": "CartPole-v1", "seed": 3141})

    # sb3-contrib's defaults: policy_kwargs {} → net_arch [64, 64], n_quantiles 200
    torch.manual_seed(12)
    policy = sb3.make_policy("qrdqn", (4,), 2, n_quantiles=200)
    write("qrdqn-default.zip", policy, "quantile_net", (STATES, (4,)), QRDQN_MLP, {},
          flat_box(gymnasium, 4), sb3.discrete_space(gymnasium, 2), "2.3.2", gymnasium, network="64-64", quantiles=200)

    # DQN CnnPolicy on Atari frames (SB3 1.x with gym 0.21: "_shape", no low_repr, numpy's elided str(low)), 6 actions
    torch.manual_seed(13)
    policy = sb3.make_policy("dqn", (4, 84, 84), 6, cnn=True, divide_by_255=True)
    write("atari/dqn-cnn.zip", policy, "q_net", (8, (4, 84, 84), "uint8"), DQN_CNN, {},
          uint8_images(gym, (4, 84, 84)), sb3.discrete_space(gym, 6), "1.8.0", gym, network="conv32-64-64-512", preprocessing="obs / 255")
    sb3.write_zoo_yaml(os.path.join(out, "atari", "args.yml"), [("algo", "dqn"), ("env", "PongNoFrameskip-v4"), ("seed", 1)])

    # normalize_images=False on float images in [0, 1], features_dim 256, net_arch [256]: no / 255
    torch.manual_seed(14)
    policy = sb3.make_policy("dqn", (3, 64, 64), 5, net_arch=(256,), cnn=True, divide_by_255=False, features_dim=256)
    write("dqn-cnn-float.zip", policy, "q_net", (8, (3, 64, 64), "unit"), DQN_CNN,
          {"normalize_images": False, "net_arch": [256], "features_extractor_kwargs": {"features_dim": 256}},
          sb3.image_box_space(gymnasium, (3, 64, 64), np.float32, 0.0, 1.0), sb3.discrete_space(gymnasium, 5), "2.3.2", gymnasium,
          network="conv32-64-64-256-256", preprocessing=None)

    # QR-DQN CnnPolicy: quantile_net.features_extractor.*, n_quantiles 10, 3 actions
    torch.manual_seed(15)
    policy = sb3.make_policy("qrdqn", (4, 84, 84), 3, cnn=True, divide_by_255=True, n_quantiles=10)
    write("qrdqn-cnn.zip", policy, "quantile_net", (8, (4, 84, 84), "uint8"), QRDQN_CNN, {"n_quantiles": 10},
          uint8_images(gymnasium, (4, 84, 84)), sb3.discrete_space(gymnasium, 3), "2.3.2", gymnasium,
          network="conv32-64-64-512", quantiles=10, preprocessing="obs / 255")

    # Refused: a CnnPolicy zip whose space is MinAtar-shaped [4, 10, 10] (NatureCNN cannot take 10×10 images, so
    # SB3 could not have built it: the weights are an 84×84 one's), and a custom CNN under NatureCNN's names.
    torch.manual_seed(16)
    policy = sb3.make_policy("dqn", (4, 84, 84), 3, cnn=True, divide_by_255=True)
    sb3.write_sb3_zip(os.path.join(out, "cnn-minatar-shape.zip"), policy, DQN_CNN, {}, uint8_images(gymnasium, (4, 10, 10)),
                      sb3.discrete_space(gymnasium, 3), "2.3.2", gymnasium)
    policy = sb3.make_policy("dqn", (4, 84, 84), 4, cnn=True, divide_by_255=True, kernels=(5, 3, 3))
    sb3.write_sb3_zip(os.path.join(out, "cnn-custom.zip"), policy, DQN_CNN, {}, uint8_images(gymnasium, (4, 84, 84)),
                      sb3.discrete_space(gymnasium, 4), "2.3.2", gymnasium)

    # A state dict of an MLP no env of ours fits (7 observations, 3 actions): imported without an env.
    torch.manual_seed(17)
    seq = nn.Sequential(nn.Linear(7, 32), nn.ReLU(), nn.Linear(32, 3))
    with torch.no_grad():
        seq[2].weight.mul_(20)
    torch.save(seq.state_dict(), os.path.join(out, "mlp-7-inputs.pt"))
    x = states("mlp-7-inputs.pt", STATES, (7,))
    with torch.no_grad():
        seq(x).numpy().astype(np.float32).tofile(os.path.join(out, "mlp-7-inputs.pt.q.f32"))
    manifest["mlp-7-inputs.pt"] = dict(states="mlp-7-inputs.pt.states.f32", q="mlp-7-inputs.pt.q.f32", obsShape=[7], actions=3, network="32")

    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    elif sys.argv[1] == "sb3-zips":
        sb3_zips(sys.argv[2])
    elif sys.argv[1] == "sb3-qvalues":
        sb3_qvalues(*sys.argv[2:6])
    else:
        sys.exit(f"unknown mode {sys.argv[1]}")
