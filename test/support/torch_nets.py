"""Q-networks the torch export scripts of test/support share."""
import torch
import torch.nn as nn


class Mlp(nn.Module):
    def __init__(self, obs=4, actions=2, hidden=32):
        super().__init__()
        self.q_net = nn.Sequential(nn.Linear(obs, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, actions))

    def forward(self, x):
        return self.q_net(x)


class TwoOutputs(nn.Module):
    def __init__(self, mlp):
        super().__init__()
        self.mlp = mlp

    def forward(self, x):
        q = self.mlp(x)
        return torch.softmax(q, dim=1), q
