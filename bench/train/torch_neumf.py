"""PyTorch CPU reference of the NeuMF the pipeline trains (bench only).

Same model and steps as lib/models/neumf-train.ts: GMF and MLP embeddings, ReLU layers,
one fused output; each positive plus `negatives` uniformly drawn negatives per epoch,
weighted log loss, Adam. Prints one JSON line with its timings.

  .venv-bench/bin/python bench/train/torch_neumf.py --data FILE --epochs 2 --threads 2
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "common"))
from csr_file import load_csr  # noqa: E402


class NeuMF(nn.Module):
    def __init__(self, n_users, n_items, factors, layers):
        super().__init__()
        self.ug = nn.Embedding(n_users, factors)
        self.ig = nn.Embedding(n_items, factors)
        self.um = nn.Embedding(n_users, factors)
        self.im = nn.Embedding(n_items, factors)
        for e in (self.ug, self.ig, self.um, self.im):
            nn.init.normal_(e.weight, std=0.01)
        mlp, fan_in = [], 2 * factors
        for size in layers:
            mlp += [nn.Linear(fan_in, size), nn.ReLU()]
            fan_in = size
        self.mlp = nn.Sequential(*mlp)
        self.out = nn.Linear(factors + fan_in, 1)

    def forward(self, u, i):
        gmf = self.ug(u) * self.ig(i)
        mlp = self.mlp(torch.cat([self.um(u), self.im(i)], 1))
        return self.out(torch.cat([gmf, mlp], 1)).squeeze(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--factors", type=int, default=64)
    p.add_argument("--layers", default="64,32")
    p.add_argument("--batch", type=int, default=2048)
    p.add_argument("--negatives", type=int, default=1)
    p.add_argument("--lr", type=float, default=0.005)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    rng = np.random.default_rng(1)
    n_users, n_items, indptr, indices = load_csr(a.data)
    users = np.repeat(np.arange(n_users, dtype=np.int64), np.diff(indptr))
    items = indices.astype(np.int64)
    model = NeuMF(n_users, n_items, a.factors, [int(x) for x in a.layers.split(",")])
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    loss_fn = nn.BCEWithLogitsLoss()
    per = 1 + a.negatives
    times = []
    for _ in range(a.epochs):
        t0 = time.perf_counter()
        order = rng.permutation(len(users))
        u = np.repeat(users[order], per)
        i = np.repeat(items[order], per)
        y = np.zeros(len(u), dtype=np.float32)
        y[::per] = 1
        neg = y == 0
        # Uniform negatives (not checked against positives: a lower bound on the work).
        i[neg] = rng.integers(0, n_items, neg.sum())
        u_t, i_t, y_t = torch.from_numpy(u), torch.from_numpy(i), torch.from_numpy(y)
        for s in range(0, len(u), a.batch):
            opt.zero_grad()
            loss = loss_fn(model(u_t[s : s + a.batch], i_t[s : s + a.batch]), y_t[s : s + a.batch])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    print(
        json.dumps(
            {
                "torch": torch.__version__,
                "secondsPerEpoch": sum(times) / len(times),
                "samplesPerEpoch": len(users) * per,
            }
        )
    )


if __name__ == "__main__":
    main()
