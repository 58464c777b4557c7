#!/usr/bin/python3
"""Trains one DQN (or QR-DQN) teacher on one of qdistill's environments, CleanRL style: one file, top to bottom.

The environment is qdistill's own, served over stdio by bench/family/env-server.ts, so the teacher learns
the dynamics qdistill evaluates on. Snapshots are exported to ONNX at 50%, 75% and 100% of the steps the way
users export PyTorch policies (torch.onnx.export), and train.json records what was done.

  /usr/bin/python3 bench/family/train_teacher.py --env CartPole-v1 --seed 1 --arch 256,256 \
      --head dqn --hparams zoo --out runs/family/cartpole-v1-zoo-dqn-s1

--hparams zoo      RL Baselines3 Zoo's values with Stable-Baselines3's semantics: dqn.yml (read from
                   src/rl/presets.ts through the env server) for --head dqn, qrdqn.yml for --head qrdqn.
--hparams cleanrl  CleanRL dqn.py's defaults and loop (MSE loss, no gradient clipping, one gradient step
                   every train_frequency steps once global_step > learning_starts).
"""
import argparse
import copy
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--env", required=True, help="CartPole-v1, Acrobot-v1, MountainCar-v0 or LunarLander-v3")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--arch", type=str, default=None, help="hidden sizes, e.g. 256,256 (default: the hparams')")
    p.add_argument("--head", choices=["dqn", "qrdqn"], default="dqn")
    p.add_argument("--hparams", choices=["zoo", "cleanrl"], default="zoo")
    p.add_argument("--total-timesteps", type=int, default=None, help="override (smoke tests)")
    p.add_argument("--out", required=True, help="run folder: step-050.onnx, step-075.onnx, step-100.onnx, train.json")
    return p.parse_args()


# ---------------------------------------------------------------------------------------------------------
# The environment: qdistill's, in a Node subprocess, one JSON line per request and per response.
class EnvClient:
    def __init__(self, env_id):
        node = shutil.which("node") or "node"
        self.proc = subprocess.Popen(
            [node, "--import", "tsx", str(HERE / "env-server.ts"), env_id],
            cwd=str(REPO), stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=1 << 16,
        )

    def call(self, line):
        self.proc.stdin.write(line)
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline())
        if "error" in reply:
            raise RuntimeError(f"env server: {reply['error']}")
        return reply

    def spec(self):
        return self.call(b'{"op":"spec"}\n')

    def preset(self):
        return self.call(b'{"op":"preset"}\n')

    def reset(self, seed=None):
        req = b'{"op":"reset"}\n' if seed is None else b'{"op":"reset","seed":%d}\n' % seed
        return np.asarray(self.call(req)["obs"], dtype=np.float32)

    def step(self, action):
        r = self.call(b'{"op":"step","action":%d}\n' % action)
        return np.asarray(r["obs"], dtype=np.float32), float(r["r"]), bool(r["term"]), bool(r["trunc"])

    def close(self):
        try:
            self.call(b'{"op":"close"}\n')
        except Exception:
            pass
        self.proc.wait(timeout=10)


# ---------------------------------------------------------------------------------------------------------
# Hyperparameters.
CLEANRL = dict(  # cleanrl/dqn.py's argparse defaults
    style="cleanrl", total_timesteps=500_000, learning_rate=2.5e-4, buffer_size=10_000, gamma=0.99, tau=1.0,
    target_network_frequency=500, batch_size=128, start_e=1.0, end_e=0.05, exploration_fraction=0.5,
    learning_starts=10_000, train_frequency=10, net_arch=[120, 84], loss="mse", max_grad_norm=None,
    adam_eps=1e-8,
)

# RL Baselines3 Zoo hyperparams/qrdqn.yml ("# Tuned" entries). The Zoo's LunarLander entry is for -v2; we use it
# for -v3. sb3-contrib's QRDQN: Adam eps = 0.01 / batch_size, max_grad_norm None (no clipping).
ZOO_QRDQN = {
    "CartPole-v1": dict(total_timesteps=50_000, learning_rate=2.3e-3, batch_size=64, buffer_size=100_000,
                        learning_starts=1000, gamma=0.99, target_update_interval=10, train_freq=256,
                        gradient_steps=128, exploration_fraction=0.16, exploration_final_eps=0.04,
                        net_arch=[256, 256], n_quantiles=10),
    "MountainCar-v0": dict(total_timesteps=120_000, learning_rate=4e-3, batch_size=128, buffer_size=10_000,
                           learning_starts=1000, gamma=0.98, target_update_interval=600, train_freq=16,
                           gradient_steps=8, exploration_fraction=0.2, exploration_final_eps=0.07,
                           net_arch=[256, 256], n_quantiles=25),
    "LunarLander-v3": dict(total_timesteps=100_000, learning_rate=1.5e-3, learning_rate_schedule="linear",
                           batch_size=128, buffer_size=100_000, learning_starts=10_000, gamma=0.995,
                           target_update_interval=1, train_freq=256, gradient_steps=-1,
                           exploration_fraction=0.24, exploration_final_eps=0.18, net_arch=[256, 256],
                           n_quantiles=170),
    "Acrobot-v1": dict(total_timesteps=100_000, learning_rate=6.3e-4, batch_size=128, buffer_size=50_000,
                       learning_starts=0, gamma=0.99, target_update_interval=250, train_freq=4,
                       gradient_steps=-1, exploration_fraction=0.12, exploration_final_eps=0.1,
                       net_arch=[256, 256], n_quantiles=25),
}


def hyperparameters(args, env):
    if args.hparams == "cleanrl":
        if args.head != "dqn":
            sys.exit("--hparams cleanrl trains --head dqn only (CleanRL's dqn.py)")
        hp = dict(CLEANRL)
    elif args.head == "dqn":
        z = env.preset()  # src/rl/presets.ts: the Zoo's dqn.yml over SB3's defaults
        hp = dict(style="sb3", loss="smooth_l1", adam_eps=1e-8, learning_rate_schedule="constant")
        for k in ("total_timesteps", "learning_rate", "buffer_size", "learning_starts", "batch_size", "tau",
                  "gamma", "train_freq", "gradient_steps", "target_update_interval", "exploration_fraction",
                  "exploration_initial_eps", "exploration_final_eps", "max_grad_norm", "net_arch"):
            hp[k] = z[k]
        if z["double_q"] or z["dueling"]:
            sys.exit("preset asks for double/dueling DQN, which SB3's DQN does not do")
    else:
        hp = dict(style="sb3", loss="quantile_huber", tau=1.0, exploration_initial_eps=1.0, max_grad_norm=None,
                  learning_rate_schedule="constant")
        hp.update(ZOO_QRDQN[args.env])
        hp["adam_eps"] = 0.01 / hp["batch_size"]
    if args.arch:
        hp["net_arch"] = [int(x) for x in args.arch.split(",")]
    if args.total_timesteps:
        hp["total_timesteps"] = args.total_timesteps
    return hp


# ---------------------------------------------------------------------------------------------------------
# Networks.
def mlp(n_in, hidden, n_out):
    layers, last = [], n_in
    for h in hidden:
        layers += [nn.Linear(last, h), nn.ReLU()]
        last = h
    layers.append(nn.Linear(last, n_out))
    return nn.Sequential(*layers)


class QNetwork(nn.Module):
    def __init__(self, obs_dim, n_actions, hidden):
        super().__init__()
        self.network = mlp(obs_dim, hidden, n_actions)

    def forward(self, x):
        return self.network(x)


class QuantileNetwork(nn.Module):
    """sb3-contrib's QuantileNetwork: an MLP to n_actions × n_quantiles, viewed as (batch, n_quantiles, n_actions)."""

    def __init__(self, obs_dim, n_actions, hidden, n_quantiles):
        super().__init__()
        self.n_actions, self.n_quantiles = n_actions, n_quantiles
        self.network = mlp(obs_dim, hidden, n_actions * n_quantiles)

    def forward(self, x):
        return self.network(x).view(-1, self.n_quantiles, self.n_actions)


class QuantileMeanQ(nn.Module):
    """What is exported for a QR-DQN teacher: Q-values = mean over quantiles, as sb3-contrib's policy acts."""

    def __init__(self, quantile_net):
        super().__init__()
        self.quantile_net = quantile_net

    def forward(self, x):
        return self.quantile_net(x).mean(dim=1)


def quantile_huber_loss(current, target):
    """sb3-contrib's quantile_huber_loss (κ = 1, summed over the current quantiles as in the paper), written with
    the fused smooth_l1_loss (Huber with κ = 1): the same value and gradient in about half the time on one core.
    current: (batch, n_quantiles), target: (batch, n_target_quantiles)."""
    n = current.shape[-1]
    tau = ((torch.arange(n, dtype=torch.float32) + 0.5) / n).view(1, -1, 1)
    cur = current.unsqueeze(-1).expand(-1, -1, target.shape[-1])  # (batch, n, n_target)
    tgt = target.unsqueeze(-2).expand(-1, n, -1)
    with torch.no_grad():
        weight = torch.where(tgt < cur, 1 - tau, tau)  # |τ − 1{target − current < 0}|
    huber = F.smooth_l1_loss(cur, tgt, reduction="none")
    return (weight * huber).sum(dim=-2).mean()


# ---------------------------------------------------------------------------------------------------------
# Replay buffer (as SB3's ReplayBuffer: uniform with replacement; `dones` are terminations only, so an episode
# cut by the time limit bootstraps from its last observation).
class ReplayBuffer:
    def __init__(self, size, obs_dim, rng):
        self.size, self.pos, self.full, self.rng = size, 0, False, rng
        self.obs = np.zeros((size, obs_dim), np.float32)
        self.next_obs = np.zeros((size, obs_dim), np.float32)
        self.actions = np.zeros((size, 1), np.int64)
        self.rewards = np.zeros((size, 1), np.float32)
        self.dones = np.zeros((size, 1), np.float32)

    def add(self, obs, next_obs, action, reward, done):
        i = self.pos
        self.obs[i], self.next_obs[i], self.actions[i], self.rewards[i], self.dones[i] = obs, next_obs, action, reward, done
        self.pos = (i + 1) % self.size
        self.full = self.full or self.pos == 0

    def sample(self, n):
        idx = self.rng.integers(0, self.size if self.full else self.pos, size=n)
        t = torch.from_numpy
        return t(self.obs[idx]), t(self.actions[idx]), t(self.next_obs[idx]), t(self.rewards[idx]), t(self.dones[idx])


def linear_schedule(start_e, end_e, duration, t):  # CleanRL's
    slope = (end_e - start_e) / duration
    return max(slope * t + start_e, end_e)


def sb3_exploration(hp, num_timesteps):  # SB3's get_linear_fn on progress = num_timesteps / total
    progress = num_timesteps / hp["total_timesteps"]
    if progress > hp["exploration_fraction"]:
        return hp["exploration_final_eps"]
    return hp["exploration_initial_eps"] + progress * (hp["exploration_final_eps"] - hp["exploration_initial_eps"]) / hp["exploration_fraction"]


# ---------------------------------------------------------------------------------------------------------
# Export, the way users export: torch.onnx.export of the module in eval mode on CPU.
def loaded_blas():
    """The BLAS libraries loaded (Debian's torch calls whatever libblas.so.3 the dynamic loader finds)."""
    paths = set()
    for line in Path("/proc/self/maps").read_text().splitlines():
        fields = line.split()
        if len(fields) >= 6 and "blas" in os.path.basename(fields[-1]):
            paths.add(os.path.realpath(fields[-1]))
    return sorted(paths)


def export_onnx(module, obs_dim, path, named):
    m = copy.deepcopy(module).cpu().eval()
    dummy = torch.zeros(1, obs_dim)
    if named:  # SB3's export guide
        torch.onnx.export(m, dummy, str(path), input_names=["obs"], output_names=["q_values"],
                          dynamic_axes={"obs": {0: "batch"}, "q_values": {0: "batch"}})
    else:  # all defaults: fixed batch 1, torch's automatic names, default opset
        torch.onnx.export(m, dummy, str(path))
    model = onnx.load(str(path))
    onnx.checker.check_model(model)
    with torch.no_grad():
        q = m(dummy).numpy().ravel().tolist()
    return dict(
        file=path.name, sha256=hashlib.sha256(path.read_bytes()).hexdigest(), bytes=path.stat().st_size,
        opset=[o.version for o in model.opset_import if o.domain in ("", "ai.onnx")][0],
        inputs=[i.name for i in model.graph.input], outputs=[o.name for o in model.graph.output],
        q_at_zero_obs=q,
    )


# ---------------------------------------------------------------------------------------------------------
if __name__ == "__main__":
    args = parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    env = EnvClient(args.env)
    spec = env.spec()
    obs_dim, n_actions = int(np.prod(spec["obs_shape"])), spec["n_actions"]
    hp = hyperparameters(args, env)
    total = hp["total_timesteps"]
    qr = args.head == "qrdqn"
    print(f"{args.env} seed {args.seed} {args.hparams}/{args.head} {hp['net_arch']}: {json.dumps(hp)}", flush=True)

    if qr:
        q_network = QuantileNetwork(obs_dim, n_actions, hp["net_arch"], hp["n_quantiles"])
        target_network = QuantileNetwork(obs_dim, n_actions, hp["net_arch"], hp["n_quantiles"])
    else:
        q_network = QNetwork(obs_dim, n_actions, hp["net_arch"])
        target_network = QNetwork(obs_dim, n_actions, hp["net_arch"])
    target_network.load_state_dict(q_network.state_dict())
    optimizer = torch.optim.Adam(q_network.parameters(), lr=hp["learning_rate"], eps=hp["adam_eps"])
    rb = ReplayBuffer(hp["buffer_size"], obs_dim, rng)

    def q_values(net, x):
        return net(x).mean(dim=1) if qr else net(x)

    def gradient_step(num_timesteps):
        if hp.get("learning_rate_schedule") == "linear":  # Zoo's lin_<lr>: lr × progress remaining
            for g in optimizer.param_groups:
                g["lr"] = hp["learning_rate"] * (1 - num_timesteps / total)
        b_obs, b_act, b_next, b_rew, b_done = rb.sample(hp["batch_size"])
        with torch.no_grad():
            if qr:  # the target network's mean over quantiles picks the greedy next action
                next_quantiles = target_network(b_next)
                greedy = next_quantiles.mean(dim=1, keepdim=True).argmax(dim=2, keepdim=True)
                next_quantiles = next_quantiles.gather(2, greedy.expand(-1, hp["n_quantiles"], 1)).squeeze(2)
                target = b_rew + (1 - b_done) * hp["gamma"] * next_quantiles
            else:
                target = b_rew + (1 - b_done) * hp["gamma"] * target_network(b_next).max(dim=1, keepdim=True)[0]
        if qr:
            current = q_network(b_obs).gather(2, b_act[..., None].expand(-1, hp["n_quantiles"], 1)).squeeze(2)
            loss = quantile_huber_loss(current, target)
        else:
            current = q_network(b_obs).gather(1, b_act)
            loss = F.mse_loss(current, target) if hp["loss"] == "mse" else F.smooth_l1_loss(current, target)
        optimizer.zero_grad()
        loss.backward()
        if hp["max_grad_norm"] is not None:
            nn.utils.clip_grad_norm_(q_network.parameters(), hp["max_grad_norm"])
        optimizer.step()

    def update_target():
        tau = hp["tau"]
        with torch.no_grad():
            for tp, p in zip(target_network.parameters(), q_network.parameters()):
                tp.data.copy_(tau * p.data + (1.0 - tau) * tp.data)

    snapshots_at = {total * 50 // 100: 50, total * 75 // 100: 75, total: 100}
    snapshots = []
    returns100, episode_return, episodes = deque(maxlen=100), 0.0, 0
    gradient_steps_done, since_train = 0, 0
    start = time.time()

    obs = env.reset(args.seed)
    for global_step in range(total):  # global_step env steps done before this one
        # ALGO LOGIC: ε-greedy action
        if hp["style"] == "cleanrl":
            epsilon = linear_schedule(hp["start_e"], hp["end_e"], hp["exploration_fraction"] * total, global_step)
            explore = random.random() < epsilon
        else:  # SB3: uniformly random actions until learning_starts, then ε-greedy
            epsilon = sb3_exploration(hp, global_step)
            explore = global_step < hp["learning_starts"] or random.random() < epsilon
        if explore:
            action = random.randrange(n_actions)
        else:
            with torch.no_grad():
                action = int(q_values(q_network, torch.from_numpy(obs).unsqueeze(0)).argmax(dim=1)[0])

        # play it; store the transition with the terminal observation; reset at the end of an episode
        next_obs, reward, terminated, truncated = env.step(action)
        rb.add(obs, next_obs, action, reward, float(terminated))
        episode_return += reward
        obs = next_obs
        if terminated or truncated:
            returns100.append(episode_return)
            episodes += 1
            episode_return = 0.0
            obs = env.reset()
        num_timesteps = global_step + 1
        since_train += 1

        # ALGO LOGIC: training
        if hp["style"] == "cleanrl":
            if global_step > hp["learning_starts"]:
                if global_step % hp["train_frequency"] == 0:
                    gradient_step(num_timesteps)
                    gradient_steps_done += 1
                if global_step % hp["target_network_frequency"] == 0:
                    update_target()
        else:
            if num_timesteps % hp["target_update_interval"] == 0:  # _on_step, every env step
                update_target()
            if since_train == hp["train_freq"] or num_timesteps == total:  # end of a rollout of train_freq steps
                if num_timesteps > hp["learning_starts"]:
                    n = since_train if hp["gradient_steps"] == -1 else hp["gradient_steps"]
                    for _ in range(n):
                        gradient_step(num_timesteps)
                    gradient_steps_done += n
                since_train = 0

        if num_timesteps % 10_000 == 0 or num_timesteps in snapshots_at:
            r100 = float(np.mean(returns100)) if returns100 else None
            sps = num_timesteps / (time.time() - start)
            print(f"step {num_timesteps}/{total} eps {epsilon:.3f} episodes {episodes} return100 "
                  f"{'-' if r100 is None else f'{r100:.1f}'} grad_steps {gradient_steps_done} sps {sps:.0f}", flush=True)
        if num_timesteps in snapshots_at:
            pct = snapshots_at[num_timesteps]
            net = QuantileMeanQ(q_network) if qr else q_network
            named = qr or args.hparams == "cleanrl"
            info = export_onnx(net, obs_dim, out / f"step-{pct:03d}.onnx", named)
            snapshots.append(dict(pct=pct, steps=num_timesteps, wall_s=round(time.time() - start, 2),
                                  episodes=episodes, return100=float(np.mean(returns100)) if returns100 else None,
                                  return100_episodes=len(returns100), gradient_steps=gradient_steps_done, **info))

    wall = time.time() - start
    env.close()
    record = dict(
        env=args.env, seed=args.seed, arch=hp["net_arch"], head=args.head, hparams=args.hparams,
        hyperparameters=hp, total_steps=total, wall_s=round(wall, 2), steps_per_s=round(total / wall, 1),
        gradient_steps=gradient_steps_done, episodes=episodes, snapshots=snapshots,
        torch=torch.__version__, onnx=onnx.__version__, python=sys.version.split()[0], torch_threads=torch.get_num_threads(), blas=loaded_blas(),
        command=" ".join([Path(sys.executable).as_posix()] + sys.argv),
    )
    tmp = out / "train.json.tmp"
    tmp.write_text(json.dumps(record, indent=2) + "\n")
    os.replace(tmp, out / "train.json")
    print(f"done in {wall:.1f} s ({total / wall:.0f} steps/s); {out / 'train.json'}", flush=True)
