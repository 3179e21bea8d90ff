"""GPU check for the Python training worker: needs only numpy, pyarrow and jax (no Node, no
network) and the project's python/ folder. Generates its own data set, times CFGAN and
BPR-MF per epoch, an iALS epoch (64 factors, 3 CG steps) and EASE's fit for one lambda (Gram matrix and solve, on the first
`--ease-users` users and the catalog's first 5,000 items at most) on the CPU and (when there
is one) the GPU, trains the same short run on both with the same injected randomness and
says whether they agree (EASE: the GPU's float32 weights against the CPU's float64 solve).
Prints one JSON line.

    python bench/gpu/check.py                      # 50K users x 10K items, cpu + cuda if any
    python bench/gpu/check.py --device cuda        # exits 2 when no CUDA device is there
    python bench/gpu/check.py --users 5000 --items 2000 --device cpu   # a CPU-sized run

Epoch times come from `--batches` timed batches (after one warm-up batch that compiles),
scaled to the batches of a full epoch, so a CPU figure at full size stays within minutes.
Shapes are the pipeline's defaults: CFGAN 400/125 hidden units, dSteps 2, gSteps 4, batches
of 64 (D) and 32 (G), variant user (vectors over the catalog), 70 % of G's inputs hidden,
the own-entry reconstruction term; BPR-MF 64 factors, batches of
2,048, one negative, Adam.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from recsys_worker import bpr, cfgan, ease, ials  # noqa: E402
from recsys_worker.randomness import NumpyRandomness  # noqa: E402

# Agreement between devices after the short run: relative to each table's largest weight.
TOLERANCE = 1e-3


def synthetic(n_users, n_items, per_user, seed):
    """A skewed implicit data set: per user ~per_user distinct items, popular ones likelier."""
    gen = np.random.default_rng(seed)
    counts = np.clip(gen.poisson(per_user, n_users), 2, n_items // 2)
    pop = 1 / np.arange(1, n_items + 1) ** 0.8
    pop /= pop.sum()
    indptr = np.zeros(n_users + 1, np.int32)
    np.cumsum(counts, out=indptr[1:])
    indices = np.empty(indptr[-1], np.int32)
    for u in range(n_users):
        indices[indptr[u] : indptr[u + 1]] = np.sort(gen.choice(n_items, counts[u], replace=False, p=pop))
    return indptr, indices


def cfgan_config(epochs=1):
    return cfgan.CfganConfig(
        generator_units=400, discriminator_units=125, noise_dim=0, epochs=epochs, batch_size=32,
        learning_rate=0.001, zr_ratio=0.7, pm_ratio=0.7, zr_coefficient=1.0, seed=1,
        variant="user", d_steps=2, g_steps=4, discriminator_batch_size=64, reg_g=0.001,
        reconstruction_coefficient=1.0, input_dropout=0.7,
    )


def cfgan_batch(stream, train, users, n_items, c, put):
    """(cond, shown, mask, zr, z) of one batch on the device: G's input `shown` is `cond`
    less the entries the input dropout hid."""
    mask, zr, z, shown = stream.batch(
        train, users, n_items, c.zr_ratio, c.pm_ratio, c.noise_dim, c.input_dropout
    )
    cond = cfgan.multi_hot(train, users, n_items)
    return [put(x) for x in (cond, cond if shown is None else shown, mask, zr, z)]


def time_cfgan(device, train, n_users, n_items, batches):
    """Seconds per CFGAN epoch on `device`, from `batches` timed D and G batches."""
    c = cfgan_config()
    s = cfgan.fresh_state(n_items, c, NumpyRandomness(1))
    put = lambda a: jax.device_put(a, device)  # noqa: E731
    g, d, gm, dm = (jax.tree.map(put, x) for x in (s.g, s.d, s.gm, s.dm))
    stream = NumpyRandomness(1).cfgan_epoch(1)
    active = np.flatnonzero(np.diff(train[0]) > 0)
    order = stream.order(active)

    def batch(k, size):
        users = order[(k * size) % len(order) :][:size]
        return cfgan_batch(stream, train, users, n_items, c, put)

    rate, alpha, reg = np.float32(1e-3), np.float32(c.zr_coefficient), np.float32(c.reg_g)
    beta = np.float32(c.reconstruction_coefficient)
    seconds = {}
    for kind, size in (("d", c.discriminator_batch_size), ("g", c.batch_size)):
        elapsed = 0.0
        for k in range(batches + 1):
            cond, shown, mask, zr, z = batch(k, size)
            t0 = time.perf_counter()
            if kind == "d":
                d, dm, logs = cfgan.d_step(g, d, dm, cond, shown, mask, z, rate)
                jax.block_until_ready(logs)
            else:
                g, gm, loss = cfgan.g_step(g, gm, d, cond, shown, mask, zr, z, rate, alpha, beta, reg)
                jax.block_until_ready(loss)
            if k > 0:  # the first batch compiles
                elapsed += time.perf_counter() - t0
        per_epoch = -(-len(active) // size) * (c.d_steps if kind == "d" else c.g_steps)
        seconds[kind] = elapsed / batches * per_epoch
    return seconds["d"] + seconds["g"]


def time_bpr(device, pairs, n_users, n_items, batches):
    """Seconds per BPR-MF epoch on `device`, from `batches` timed batches of 2,048."""
    size = 2048
    r = NumpyRandomness(1)
    users, items = r.bpr_init(n_users, n_items, 64)
    put = lambda a: jax.device_put(a, device)  # noqa: E731
    params = {"users": put(users), "items": put(items), "bias": put(np.zeros(n_items, np.float32))}
    moments = {k: (jnp.zeros_like(v), jnp.zeros_like(v)) for k, v in params.items()}
    u, p, n, w = r.bpr_epoch(1, pairs, 1)
    elapsed = 0.0
    for k in range(batches + 1):
        sl = slice(k * size, (k + 1) * size)
        args = [put(x) for x in (u[sl], p[sl], n[sl], w[sl])]
        t0 = time.perf_counter()
        params, moments, loss = bpr.adam_batch(params, moments, *args, np.float32(1e-3), np.float32(1e-3))
        jax.block_until_ready(loss)
        if k > 0:
            elapsed += time.perf_counter() - t0
    return elapsed / batches * -(-len(u) // size)


def short_runs(device, train, n_users, n_items, pairs):
    """The same few CFGAN and BPR-MF updates on `device`: the weights to compare."""
    c = cfgan_config()
    s = cfgan.fresh_state(n_items, c, NumpyRandomness(2))
    put = lambda a: jax.device_put(a, device)  # noqa: E731
    g, d, gm, dm = (jax.tree.map(put, x) for x in (s.g, s.d, s.gm, s.dm))
    stream = NumpyRandomness(2).cfgan_epoch(1)
    order = stream.order(np.flatnonzero(np.diff(train[0]) > 0))
    rate, alpha, reg = np.float32(1e-3), np.float32(c.zr_coefficient), np.float32(c.reg_g)
    beta = np.float32(c.reconstruction_coefficient)
    for k in range(3):
        users = order[k * 64 : (k + 1) * 64]
        cond, shown, mask, zr, z = cfgan_batch(stream, train, users, n_items, c, put)
        d, dm, _ = cfgan.d_step(g, d, dm, cond, shown, mask, z, rate)
        g, gm, _ = cfgan.g_step(g, gm, d, cond, shown, mask, zr, z, rate, alpha, beta, reg)
    r = NumpyRandomness(2)
    users, items = r.bpr_init(n_users, n_items, 64)
    params = {"users": put(users), "items": put(items), "bias": put(np.zeros(n_items, np.float32))}
    moments = {k: (jnp.zeros_like(v), jnp.zeros_like(v)) for k, v in params.items()}
    u, p, n, w = r.bpr_epoch(1, pairs, 1)
    for k in range(3):
        sl = slice(k * 2048, (k + 1) * 2048)
        args = [put(x) for x in (u[sl], p[sl], n[sl], w[sl])]
        params, moments, _ = bpr.adam_batch(params, moments, *args, np.float32(1e-3), np.float32(1e-3))
    out = {f"cfgan.g.{k}": np.asarray(v) for k, v in g.items()}
    out.update({f"cfgan.d.{k}": np.asarray(v) for k, v in d.items()})
    out.update({f"bpr.{k}": np.asarray(v) for k, v in params.items()})
    return out


def ials_set(train, n_users, n_items):
    """The whole data set as iALS observations (weight 1, alpha 10)."""
    indptr, indices = train
    users = np.repeat(np.arange(n_users, dtype=np.int32), np.diff(indptr))
    n = len(indices)
    return ials.IalsSet.of(n_users, n_items, users, indices, np.ones(n, np.int32), np.ones(n, np.float32), 10.0)


def ials_epoch(device, data, dim=64):
    """One iALS epoch (both tables, 3 CG steps) on `device` from the same numpy start: the
    factors and the seconds (after a first epoch that compiles)."""
    users, items = NumpyRandomness(3).ials_init(data.n_users, data.n_items, dim)

    def epoch(u, i):
        u, _ = ials.solve_table(u, i, data.by_user, 0.05, 3, device)
        i, _ = ials.solve_table(i, u, data.by_item, 0.05, 3, device)
        return u, i

    epoch(users, items)  # compiles the block shapes
    t0 = time.perf_counter()
    u, i = epoch(users, items)
    return {"ials.users": u, "ials.items": i}, time.perf_counter() - t0


def ease_set(train, n_users, n_items):
    """The EASE check's training set: the first n_users users, items below n_items."""
    indptr, indices = train
    end = indptr[n_users]
    users = np.repeat(np.arange(n_users, dtype=np.int32), np.diff(indptr[: n_users + 1]))
    keep = indices[:end] < n_items
    n = int(keep.sum())
    return ease.EaseSet.of(n_users, n_items, users[keep], indices[:end][keep], np.ones(n, np.int32),
                           np.ones(n, np.float32))


def ease_fit(device, s):
    """EASE's weights for one lambda on `device` (8 x the mean train rows per item, the grid's
    usual pick), and the seconds the Gram matrix and the solve took."""
    t0 = time.perf_counter()
    g = ease.gram(s, device)
    lam = 8 * max(1.0, float(np.trace(g)) / s.n_items)
    b = ease.weights_for(g, lam, device)
    return b, time.perf_counter() - t0


def device_name(dev) -> str:
    if dev.platform == "cpu":
        return "cpu"
    return f"cuda:{dev.id} {getattr(dev, 'device_kind', dev.platform)}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    ap.add_argument("--users", type=int, default=50_000)
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--per-user", type=float, default=20.0)
    ap.add_argument("--batches", type=int, default=5, help="timed batches per measurement")
    ap.add_argument("--ease-users", type=int, default=20_000, help="users in EASE's Gram matrix")
    ap.add_argument("--skip-cpu-timing", action="store_true", help="GPU figures only")
    args = ap.parse_args()
    # Full float32 matmuls on the GPU too (no TF32), so both devices compute the same floats.
    jax.config.update("jax_default_matmul_precision", "highest")

    try:
        gpus = jax.devices("gpu")
    except RuntimeError:
        gpus = []
    if args.device == "cuda" and not gpus:
        print(json.dumps({"ok": False, "error": "--device cuda: no CUDA device", "jax": jax.__version__}))
        return 2
    cpu = jax.devices("cpu")[0]
    targets = ([] if args.device == "cuda" and args.skip_cpu_timing else [cpu]) + (
        gpus[:1] if args.device in ("auto", "cuda") else []
    )
    t_start = time.time()
    train = synthetic(args.users, args.items, args.per_user, 7)
    nnz = int(train[0][-1])
    users_col = np.repeat(np.arange(args.users, dtype=np.int32), np.diff(train[0]))
    pairs = bpr.TrainingPairs(
        args.users, args.items, users_col, train[1], np.ones(nnz, np.int32), np.ones(nnz, np.float32)
    )
    es = ease_set(train, min(args.users, args.ease_users), min(args.items, ease.EASE_MAX_ITEMS))
    timings, ease_weights, ials_factors = {}, {}, {}
    ials_data = ials_set(train, args.users, args.items)
    for dev in targets:
        ease_weights[dev.platform], ease_seconds = ease_fit(dev, es)
        ials_factors[dev.platform], ials_seconds = ials_epoch(dev, ials_data)
        timings[device_name(dev)] = {
            "cfganSecondsPerEpoch": round(time_cfgan(dev, train, args.users, args.items, args.batches), 3),
            "bprSecondsPerEpoch": round(time_bpr(dev, pairs, args.users, args.items, args.batches), 3),
            "easeSecondsPerLambda": round(ease_seconds, 3),
            "ialsSecondsPerEpoch": round(ials_seconds, 3),
        }
    agreement = None
    if gpus and args.device != "cpu":
        a = short_runs(cpu, train, args.users, args.items, pairs)
        b = short_runs(gpus[0], train, args.users, args.items, pairs)
        if "cpu" in ease_weights and "gpu" in ease_weights:
            a["ease.weights"], b["ease.weights"] = ease_weights["cpu"], ease_weights["gpu"]
            a.update(ials_factors["cpu"])
            b.update(ials_factors["gpu"])
        worst = max(float(np.max(np.abs(a[k] - b[k])) / max(np.max(np.abs(a[k])), 1e-6)) for k in a)
        agreement = {"maxRelativeError": worst, "tolerance": TOLERANCE, "agree": worst < TOLERANCE}
    result = {
        "ok": agreement is None or agreement["agree"],
        "device": device_name(gpus[0]) if gpus and args.device != "cpu" else "cpu",
        "jax": jax.__version__,
        "cpus": os.cpu_count(),
        "size": {"users": args.users, "items": args.items, "interactions": nnz},
        "easeSize": {"users": es.n_users, "items": es.n_items, "interactions": int(len(es.indices))},
        "secondsPerEpoch": timings,
        "gpuAgreesWithCpu": agreement,
        "seconds": round(time.time() - t_start, 1),
    }
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
