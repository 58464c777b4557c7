"""qdistill's Gymnasium bridge: runs a vector of a user's environments and answers qdistill over stdio.

qdistill starts this file with the user's Python (`--python` / QDISTILL_PYTHON) and talks to it with the
protocol of docs/gym-bridge.md. It imports only the standard library, numpy and (for registered ids and the
named wrappers) gymnasium, so it runs in any environment where the user's env does, with nothing installed.

Every message, both ways, is one frame: a 4-byte little-endian length, that many bytes of UTF-8 JSON (the
header), then `header["payload"]` bytes of binary data (observations, row after row, in `header["dtype"]`).
"""
import importlib
import importlib.util
import json
import math
import os
import struct
import sys
import traceback

PROTOCOL = 1

# The protocol owns the process's real stdin and stdout; whatever the user's env prints goes to stderr.
_proto_in = os.fdopen(os.dup(0), "rb", buffering=1 << 16)  # buffered: one read() call per request
_proto_out = os.fdopen(os.dup(1), "wb", buffering=0)
os.dup2(2, 1)
_devnull = os.open(os.devnull, os.O_RDONLY)
os.dup2(_devnull, 0)
sys.stdout = sys.stderr


def _die_with_parent():
    """Linux: the kernel kills this process when the thread that started it ends, so no bridge outlives qdistill."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(0)
    except Exception:
        pass


_die_with_parent()

import numpy as np  # noqa: E402  (after the fd swap so that an import-time print cannot corrupt the protocol)


class UsageProblem(Exception):
    """Something about the user's env or setup (not a bug in the bridge): reported as one line."""


def read_exact(n):
    data = _proto_in.read(n)  # a BufferedReader blocks until n bytes or the end of the stream
    return data if len(data) == n else None


def read_frame():
    head = read_exact(4)
    if head is None:
        return None, b""
    (length,) = struct.unpack("<I", head)
    header = json.loads(read_exact(length).decode("utf-8"))
    payload = read_exact(header.get("payload", 0)) if header.get("payload", 0) else b""
    return header, payload


def write_frame(header, payload=b""):
    header = dict(header, payload=len(payload))
    # allow_nan=False: JSON has no NaN or Infinity; the values checked below never need them.
    body = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("utf-8")
    _proto_out.write(struct.pack("<I", len(body)) + body + payload)


# ---- making the envs -------------------------------------------------------------------------------------


def _gymnasium(why):
    try:
        import gymnasium
    except ImportError:
        raise UsageProblem(f"gymnasium is not installed for {sys.executable} ({why}; pip install gymnasium, or pass --python)")
    return gymnasium


def _is_identifier(text):
    return text.isidentifier()


def _load_class(entry):
    """'path/to/file.py:Class' or 'package.module:Class' -> the class."""
    where, _, name = entry.rpartition(":")
    if where.endswith(".py"):
        if not os.path.isfile(where):
            raise UsageProblem(f"no Python file {where}")
        spec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(where))[0], where)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    else:
        try:
            module = importlib.import_module(where)
        except ImportError as error:
            raise UsageProblem(f"cannot import {where}: {error}")
    cls = getattr(module, name, None)
    if cls is None:
        raise UsageProblem(f"{where} has no {name}")
    return cls


class TimeLimit:
    """Gymnasium's TimeLimit rule for envs made from a class: truncated once max_episode_steps steps are done."""

    def __init__(self, env, max_episode_steps):
        self.env = env
        self.max_episode_steps = max_episode_steps
        self.elapsed = 0
        self.observation_space = env.observation_space
        self.action_space = env.action_space

    def reset(self, seed=None):
        self.elapsed = 0
        return self.env.reset(seed=seed)

    def step(self, action):
        result = self.env.step(action)
        if not isinstance(result, tuple) or len(result) != 5:
            return result  # the bridge names what is wrong with it
        observation, reward, terminated, truncated, info = result
        self.elapsed += 1
        if self.elapsed >= self.max_episode_steps:
            truncated = True
        return observation, reward, terminated, truncated, info

    def close(self):
        close = getattr(self.env, "close", None)
        if close:
            close()


def _atari(gymnasium, env):
    """SB3's make_atari_env observation pipeline: AtariPreprocessing (84x84 grey, 4-frame skip with max-pool,
    up to 30 no-op starts) then a stack of the last 4 frames, channel-first as SB3's exported CNNs take it."""
    from gymnasium.wrappers import AtariPreprocessing

    env = AtariPreprocessing(env, noop_max=30, frame_skip=4, screen_size=84, terminal_on_life_loss=False, grayscale_obs=True, scale_obs=False)
    try:
        from gymnasium.wrappers import FrameStackObservation

        return FrameStackObservation(env, 4)
    except ImportError:  # gymnasium < 1.0
        from gymnasium.wrappers import FrameStack

        return FrameStack(env, 4)


WRAPPERS = {"atari": _atari}


def make_one(request):
    entry = request["env"]
    kwargs = dict(request.get("kwargs") or {})
    wrappers = request.get("wrappers") or []
    for name in wrappers:
        if name not in WRAPPERS:
            raise UsageProblem(f"unknown wrapper '{name}' (known: {', '.join(WRAPPERS)})")
    entry = entry.strip()
    where, _, tail = entry.rpartition(":")
    tail = tail.strip()
    if entry.endswith(".py") or (where.strip().endswith(".py") and not _is_identifier(tail)):
        raise UsageProblem(f"a Python file names its env class after a colon: gym:{entry.rpartition('.py')[0]}.py:ClassName")
    if ":" in entry and _is_identifier(tail):
        entry = f"{where.strip()}:{tail}"
        max_steps = kwargs.pop("max_episode_steps", None)
        env = _load_class(entry)(**kwargs)
        spec = getattr(env, "spec", None)
        max_steps = max_steps or getattr(spec, "max_episode_steps", None) or getattr(env, "max_episode_steps", None)
        if max_steps:
            env = TimeLimit(env, int(max_steps))
    else:
        gymnasium = _gymnasium(f"needed to make the registered env '{entry}'")
        if "atari" in wrappers:
            kwargs.setdefault("frameskip", 1)  # AtariPreprocessing does the frame skipping
        try:
            env = gymnasium.make(entry, **kwargs)
        except gymnasium.error.Error as error:
            raise UsageProblem(f"gymnasium cannot make '{entry}': {error}")
        max_steps = getattr(env.spec, "max_episode_steps", None)
    for name in wrappers:
        env = WRAPPERS[name](_gymnasium(f"needed by --wrappers {name}"), env)
    return env, max_steps


def _space_kind(space):
    """'box', 'discrete' or the space's class name, with or without gymnasium installed."""
    name = type(space).__name__
    if name in ("Box", "Discrete"):
        return name.lower()
    if hasattr(space, "n") and not hasattr(space, "low"):
        return "discrete"
    if hasattr(space, "low") and hasattr(space, "high") and hasattr(space, "shape"):
        return "box"
    return name


def describe(envs, request, max_steps):
    env = envs[0]
    observation_kind = _space_kind(env.observation_space)
    action_kind = _space_kind(env.action_space)
    if observation_kind != "box":
        raise UsageProblem(f"the observation space is {observation_kind}; qdistill takes Box observations")
    if action_kind != "discrete":
        raise UsageProblem(f"the action space is {action_kind}; qdistill takes Discrete actions (a DQN's)")
    shape = [int(d) for d in env.observation_space.shape]
    dtype = np.dtype(env.observation_space.dtype)
    threshold = getattr(getattr(env, "spec", None), "reward_threshold", None)
    return {
        "ok": True,
        "protocol": PROTOCOL,
        "pid": os.getpid(),
        "python": sys.executable,
        "observation_shape": shape,
        "observation_dtype": "uint8" if dtype == np.uint8 else "float32",
        "actions": int(env.action_space.n),
        "action_start": int(getattr(env.action_space, "start", 0)),
        "max_episode_steps": int(max_steps) if max_steps else None,
        "reward_threshold": float(threshold) if threshold is not None else None,
        "num_envs": len(envs),
    }


# ---- serving -----------------------------------------------------------------------------------------------


class Bridge:
    def __init__(self, request):
        count = int(request["num_envs"])
        made = [make_one(request) for _ in range(count)]
        self.envs = [env for env, _ in made]
        self.hello = describe(self.envs, request, made[0][1])
        self.shape = tuple(self.hello["observation_shape"])
        self.dtype = np.uint8 if self.hello["observation_dtype"] == "uint8" else np.float32
        self.start = self.hello["action_start"]

    def observation(self, value, where, index):
        if type(value) is np.ndarray and value.dtype == self.dtype and value.shape == self.shape:
            array = value  # the common case, without the checks below
        else:
            array = np.asarray(value)
            if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
                raise UsageProblem(f"{where} returned an observation of dtype {array.dtype}; the Box space needs numbers")
            if array.shape != self.shape:
                raise UsageProblem(f"{where} returned an observation of shape {list(array.shape)}; the observation space says {list(self.shape)}")
            array = np.ascontiguousarray(array, dtype=self.dtype)
        # A NaN or inf in an observation would silently poison a network trained or labelled on it.
        if self.dtype == np.float32 and not math.isfinite(float(array.sum())) and not np.isfinite(array).all():
            raise UsageProblem(f"{where} returned an observation with NaN or infinite values (env {index}): {np.array2string(array, threshold=8)}")
        return array

    def env_call(self, what, index, call):
        try:
            return call()
        except UsageProblem:
            raise
        except Exception as error:
            frame = traceback.extract_tb(error.__traceback__)[-1]
            raise UsageProblem(f"the env raised {type(error).__name__} in {what} (env {index}): {error} [{os.path.basename(frame.filename)}:{frame.lineno}]")

    def reset(self, request):
        rows = []
        for index, seed in zip(request["envs"], request["seeds"]):
            result = self.env_call("reset", index, lambda: self.envs[index].reset(seed=seed))
            if not isinstance(result, tuple) or len(result) != 2:
                raise UsageProblem("reset returned something other than (observation, info): is it an old gym (< 0.26) env?")
            rows.append(self.observation(result[0], "reset", index))
        return {"ok": True, "count": len(rows), "dtype": self.hello["observation_dtype"]}, b"".join(r.tobytes() for r in rows)

    def step(self, request):
        rows, rewards, terminated, truncated = [], [], [], []
        for index, action in zip(request["envs"], request["actions"]):
            result = self.env_call("step", index, lambda: self.envs[index].step(int(action) + self.start))
            if not isinstance(result, tuple) or len(result) != 5:
                raise UsageProblem("step returned something other than (observation, reward, terminated, truncated, info): is it an old gym (4-tuple) env?")
            observation, reward, term, trunc, _info = result
            rows.append(self.observation(observation, "step", index))
            if type(reward) is not float:
                try:
                    reward = float(np.asarray(reward).reshape(()))
                except (TypeError, ValueError):
                    raise UsageProblem(f"step returned a reward that is not one number: {reward!r} (env {index})")
            if not math.isfinite(reward):
                raise UsageProblem(f"step returned a reward of {reward} (env {index}); returns must be finite")
            rewards.append(reward)
            terminated.append(bool(term))
            truncated.append(bool(trunc))
        header = {"ok": True, "count": len(rows), "dtype": self.hello["observation_dtype"], "reward": rewards, "terminated": terminated, "truncated": truncated}
        return header, b"".join(r.tobytes() for r in rows)

    def close(self):
        for env in self.envs:
            try:
                env.close()
            except Exception:
                pass


def fail(error, kind):
    write_frame({"ok": False, "kind": kind, "error": " ".join(str(error).split())})


def main():
    request, _ = read_frame()
    if request is None:
        return
    try:
        bridge = Bridge(request)
    except UsageProblem as error:
        return fail(error, "usage")
    except Exception as error:
        return fail(f"making the env raised {type(error).__name__}: {error}", "usage")
    write_frame(bridge.hello)
    while True:
        request, _ = read_frame()
        if request is None or request["op"] == "close":
            bridge.close()
            return
        try:
            header, payload = bridge.reset(request) if request["op"] == "reset" else bridge.step(request)
        except UsageProblem as error:
            fail(error, "usage")
            continue
        except Exception as error:
            fail(f"the env's {request['op']} gave what the bridge cannot read: {type(error).__name__}: {error}", "usage")
            continue
        write_frame(header, payload)


if __name__ == "__main__":
    main()
    sys.stderr.flush()
    # Not sys.exit: an env's non-daemon threads would keep the interpreter alive until they end.
    os._exit(0)
