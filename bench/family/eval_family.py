#!/usr/bin/python3
"""Plays every teacher in DIR/manifest.json with qdistill's own `eval` (greedy, its default seeds) and writes
DIR/eval.json. Finished entries in an existing eval.json are kept, so it can be rerun as the family grows.

  /usr/bin/python3 bench/family/eval_family.py runs/family [--episodes 20] [--env CartPole-v1] [--pct 100]
"""
import argparse
import json
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
p = argparse.ArgumentParser()
p.add_argument("dir", nargs="?", default="runs/family")
p.add_argument("--episodes", type=int, default=20)
p.add_argument("--env", default=None)
p.add_argument("--pct", type=int, default=None)
args = p.parse_args()
root = Path(args.dir)
manifest = json.loads((root / "manifest.json").read_text())["teachers"]
out_path = root / "eval.json"
results = json.loads(out_path.read_text())["results"] if out_path.exists() else []
done = {(r["path"], r["sha256"], r["episodes"]) for r in results if "mean" in r}
for t in manifest:
    if (args.env and t["env"] != args.env) or (args.pct and t["snapshot_pct"] != args.pct):
        continue
    if (t["path"], t["sha256"], args.episodes) in done:
        continue
    cmd = ["node", "--import", "tsx", "src/cli/index.ts", "eval", t["path"], "--env", t["env"],
           "--episodes", str(args.episodes), "--json"]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    entry = dict(path=t["path"], sha256=t["sha256"], env=t["env"], run=t["run"], snapshot_pct=t["snapshot_pct"],
                 episodes=args.episodes, command=" ".join(cmd))
    try:
        d = json.loads(proc.stdout[proc.stdout.index("{\n"):])
        entry.update(mean=d["mean"], std=d["std"], seed=d["seed"], runtime=d["runtime"], returns=d["returns"])
        print(f"{t['run']}/step-{t['snapshot_pct']:03d}: {d['mean']:.1f} ± {d['std']:.1f} ({args.episodes} episodes)", flush=True)
    except ValueError:
        entry.update(error=(proc.stderr.strip() or proc.stdout.strip())[-2000:], exit_code=proc.returncode)
        print(f"{t['run']}/step-{t['snapshot_pct']:03d}: REFUSED (exit {proc.returncode}): {entry['error']}", flush=True)
    results = [r for r in results if not (r["path"] == entry["path"] and r["episodes"] == entry["episodes"])] + [entry]
    tmp = out_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(dict(results=results), indent=2) + "\n")
    os.replace(tmp, out_path)
