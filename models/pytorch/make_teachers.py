"""Export two Q-networks the way PyTorch users do (torch.onnx.export), for the tests of qdistill's ONNX loader.

The weights are those of qdistill's committed tfjs teachers, copied into plain torch modules, so the PyTorch
files must act exactly like ours: a cross-framework check of export, loading and layouts.
  - cartpole-v1-mlp.onnx: nn.Sequential of Linear/ReLU (torch writes Gemm with transB=1), input 'input' [N, 4].
  - minatar-breakout-cnn.onnx: Conv2d 3x3 + ReLU + Flatten + Linear (torch writes Conv and Flatten), input
    NCHW [N, 4, 10, 10], which the loader recognises and feeds by transposing the env's HWC observation.

Run from the repository root with Debian's python3-torch:  /usr/bin/python3 models/pytorch/make_teachers.py
"""
import json
import os

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.dirname(HERE)


def tfjs_weights(folder):
    """name -> numpy array, from a tfjs layers-model folder (model.json + one weights file)."""
    with open(os.path.join(MODELS, folder, "model.json")) as f:
        manifest = json.load(f)["weightsManifest"][0]
    with open(os.path.join(MODELS, folder, manifest["paths"][0]), "rb") as f:
        data = f.read()
    weights, offset = {}, 0
    for spec in manifest["weights"]:
        count = int(np.prod(spec["shape"])) if spec["shape"] else 1
        weights[spec["name"]] = np.frombuffer(data, dtype=np.float32, count=count, offset=offset).reshape(spec["shape"])
        offset += 4 * count
    return weights


def set_linear(layer, kernel, bias):
    # tfjs Dense kernels are [in, out]; torch Linear weights are [out, in].
    layer.weight.data = torch.from_numpy(kernel.T.copy())
    layer.bias.data = torch.from_numpy(bias.copy())


def export(module, example, path, opset):
    module.eval()
    torch.onnx.export(
        module, example, path, input_names=["input"], output_names=["output"],
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, opset_version=opset,
    )
    print("wrote", os.path.relpath(path, os.path.dirname(MODELS)))


def cartpole_mlp():
    w = tfjs_weights("cartpole-v1")
    net = nn.Sequential(nn.Linear(4, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 2))
    set_linear(net[0], w["hidden_0/kernel"], w["hidden_0/bias"])
    set_linear(net[2], w["hidden_1/kernel"], w["hidden_1/bias"])
    set_linear(net[4], w["q_values/kernel"], w["q_values/bias"])
    export(net, torch.zeros(1, 4), os.path.join(HERE, "cartpole-v1-mlp.onnx"), 13)


def breakout_cnn():
    w = tfjs_weights("minatar-breakout")
    net = nn.Sequential(
        nn.Conv2d(4, 16, kernel_size=3, stride=1), nn.ReLU(), nn.Flatten(),
        nn.Linear(8 * 8 * 16, 128), nn.ReLU(), nn.Linear(128, 3),
    )
    # tfjs conv kernels are [kh, kw, in, out]; torch's are [out, in, kh, kw].
    net[0].weight.data = torch.from_numpy(w["conv/kernel"].transpose(3, 2, 0, 1).copy())
    net[0].bias.data = torch.from_numpy(w["conv/bias"].copy())
    # tfjs flattens HWC (row, column, channel); torch flattens CHW: reorder the dense kernel's rows.
    dense = w["hidden_0/kernel"].reshape(8, 8, 16, 128).transpose(2, 0, 1, 3).reshape(1024, 128)
    set_linear(net[3], dense, w["hidden_0/bias"])
    set_linear(net[5], w["q_values/kernel"], w["q_values/bias"])
    export(net, torch.zeros(1, 4, 10, 10), os.path.join(HERE, "minatar-breakout-cnn.onnx"), 17)


if __name__ == "__main__":
    torch.manual_seed(0)
    cartpole_mlp()
    breakout_cnn()
