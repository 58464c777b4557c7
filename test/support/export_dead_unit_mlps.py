"""MLPs with the activations torch writes as several ops (SiLU, GELU, Mish, Hardtanh-free ReLU6 via Clip) whose
hidden layers have half their units dead (zero incoming weights and bias), exported by torch.onnx.export, for
test/compress/prune-activations.test.ts: removing the dead units must leave the function unchanged, since each
of these activations maps 0 to 0.

usage: /usr/bin/python3 export_dead_unit_mlps.py OUT_DIR  → OUT_DIR/<act>.onnx, OUT_DIR/states.f32
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn

OUT = sys.argv[1]
torch.manual_seed(7)
ACTS = {'silu': nn.SiLU, 'gelu': nn.GELU, 'mish': nn.Mish, 'relu6': nn.ReLU6, 'relu': nn.ReLU}


def dead_half(layer):
    with torch.no_grad():
        layer.weight[1::2] = 0
        layer.bias[1::2] = 0


for name, act in ACTS.items():
    l1, l2, l3 = nn.Linear(4, 32), nn.Linear(32, 32), nn.Linear(32, 2)
    dead_half(l1)
    dead_half(l2)
    net = nn.Sequential(l1, act(), l2, act(), l3).eval()
    torch.onnx.export(net, torch.zeros(1, 4), os.path.join(OUT, name + '.onnx'), input_names=['obs'], output_names=['q_values'],
                      opset_version=13, dynamic_axes={'obs': {0: 'batch'}, 'q_values': {0: 'batch'}})
(np.random.RandomState(3).randn(64, 4) * 0.5).astype(np.float32).tofile(os.path.join(OUT, 'states.f32'))
print('ok')
