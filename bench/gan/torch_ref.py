"""PyTorch CPU reference of the CFGAN network the pipeline trains (bench only).

Same shapes and losses as lib/gan/train.ts with one D and one G pass per epoch (the speed
bench's setting): generator nItems -> hidden (sigmoid) -> nItems (linear), discriminator
[condition | vector] -> hidden (sigmoid) -> 1, ZR and PM masks, the non-saturating generator
loss, Adam. Here each mini-batch of users takes its D step then its G step; the work per
epoch is the same. Inputs are dense multi-hot rows, as PyTorch CFGAN implementations do.
Prints one JSON line with its timings.

  .venv-bench/bin/python bench/gan/torch_ref.py --data FILE --epochs 3 --threads 2
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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--g-units", type=int, default=400)
    p.add_argument("--d-units", type=int, default=125)
    p.add_argument("--lr", type=float, default=1e-4)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    n_users, n_items, indptr, indices = load_csr(a.data)
    dense = np.zeros((n_users, n_items), dtype=np.float32)
    rows = np.repeat(np.arange(n_users), np.diff(indptr))
    dense[rows, indices[: len(rows)]] = 1.0
    real_all = torch.from_numpy(dense)
    active = torch.from_numpy(np.nonzero(np.diff(indptr) > 0)[0])

    G = nn.Sequential(nn.Linear(n_items, a.g_units), nn.Sigmoid(), nn.Linear(a.g_units, n_items))
    D = nn.Sequential(nn.Linear(2 * n_items, a.d_units), nn.Sigmoid(), nn.Linear(a.d_units, 1))
    opt_g = torch.optim.Adam(G.parameters(), lr=a.lr)
    opt_d = torch.optim.Adam(D.parameters(), lr=a.lr)
    logsig = nn.functional.logsigmoid
    times = []
    cpu = []
    for epoch in range(a.epochs):
        t0 = time.perf_counter()
        c0 = time.process_time()
        order = active[torch.randperm(len(active))]
        for s in range(0, len(order), a.batch):
            e = real_all[order[s : s + a.batch]]
            free = 1 - e
            zr = (torch.rand_like(e) < 0.7).float() * free
            mask = e + (torch.rand_like(e) < 0.7).float() * free
            # D step
            fake = G(e) * mask
            d_loss = -logsig(D(torch.cat([e, e], 1))).mean() - logsig(-D(torch.cat([e, fake.detach()], 1))).mean()
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            # G step
            out = G(e)
            g_loss = -logsig(D(torch.cat([e, out * mask], 1))).mean() + 0.03 * (zr * out * out).sum() / len(e)
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    best = min(times)
    print(json.dumps({
        "torch": torch.__version__,
        "threads": a.threads,
        "users": int(len(active)),
        "items": n_items,
        "epochSeconds": times,
        "secondsPerEpoch": best,
        "samplesPerSec": len(active) / best,
        # All threads' CPU seconds of the fastest epoch (how busy the machine was shows in
        # the gap to its wall time).
        "cpuSecondsPerEpoch": cpu[times.index(best)],
    }))


if __name__ == "__main__":
    main()
