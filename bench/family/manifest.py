#!/usr/bin/python3
"""Writes DIR/manifest.json: one entry per ONNX teacher of every finished run (a run folder with train.json).

  /usr/bin/python3 bench/family/manifest.py runs/family
"""
import json
import os
import sys
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/family")
entries = []
for train_json in sorted(root.glob("*/train.json")):
    run = json.loads(train_json.read_text())
    for snap in run["snapshots"]:
        entries.append(dict(
            path=str(train_json.parent / snap["file"]), run=train_json.parent.name,
            env=run["env"], seed=run["seed"], arch=run["arch"], head=run["head"], hparams=run["hparams"],
            snapshot_pct=snap["pct"], steps=snap["steps"], total_steps=run["total_steps"],
            train_wall_s=run["wall_s"], snapshot_wall_s=snap["wall_s"], train_return100=snap["return100"],
            return100_episodes=snap["return100_episodes"], gradient_steps=snap["gradient_steps"],
            onnx_inputs=snap["inputs"], onnx_outputs=snap["outputs"], opset=snap["opset"],
            bytes=snap["bytes"], sha256=snap["sha256"],
        ))
tmp = root / "manifest.json.tmp"
tmp.write_text(json.dumps(dict(teachers=entries), indent=2) + "\n")
os.replace(tmp, root / "manifest.json")
print(f"{root / 'manifest.json'}: {len(entries)} teachers from {len({e['run'] for e in entries})} runs")
