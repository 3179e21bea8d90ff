"""Implicit ALS (`family: ials`) for retrainA/retrainB, as lib/models/ials trains it: every
user x item pair a target (0 unless observed), an observed row's confidence 1 + alpha x its
weight (an explicit negative's target 0), the two factor tables re-solved in turn, each row by
a few conjugate-gradient steps warm-started from its current value. Here every row of a table
takes its CG steps at once, as batched JAX on the training device (float32, as the
TypeScript SIMD kernel), a block of rows at a time. Seeded initial factors, no randomness
after them: a resumed run repeats the uninterrupted one. Early stopping, checkpoints (the
TypeScript layout) and the model files (BPR-MF's factor layout, family ials) as the other
trainers.
"""

import time
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from . import bpr
from .early_stop import best_weights, budget_allows, end_epoch
from .ranking import validation_ndcg10
from .state_io import BadArtifact, pack_state, unpack_state

# Rows solved in one batched call, and at most this many of their observations (a block of
# popular items can hold most of the log); observations are padded to a power of two, so a
# table compiles few shapes.
ROW_BLOCK = 4096
OBS_BLOCK = 1 << 21


@dataclass
class IalsConfig:
    factors: int
    epochs: int
    l2: float
    alpha: float
    cg_steps: int
    patience: int
    eval_every: int
    seed: int
    validation_users: int = 0

    @staticmethod
    def from_json(c: dict) -> "IalsConfig":
        """From lib/models/types.ts's TrainConfig (camelCase)."""
        if c.get("family", "ials") != "ials":
            raise BadArtifact(f"model.family {c.get('family')}: expected ials")
        if c.get("alpha") is None:
            raise BadArtifact("family ials needs model.alpha (the config gives 10)")
        return IalsConfig(
            factors=int(c["factors"]), epochs=int(c["epochs"]), l2=float(c["l2"]), alpha=float(c["alpha"]),
            cg_steps=int(c.get("cgSteps") or 3), patience=int(c["patience"]), eval_every=int(c["evalEvery"]),
            seed=int(c["seed"]), validation_users=int(c.get("validationUsers") or 0),
        )


@dataclass
class Observations:
    """The rows grouped by one side (ials.ts observations): CSR pointers, the other side's id,
    c - 1 and c x p of each row, in row order within a group."""

    ptr: np.ndarray
    other: np.ndarray
    extra: np.ndarray
    target: np.ndarray


@dataclass
class IalsSet:
    n_users: int
    n_items: int
    n: int
    by_user: Observations
    by_item: Observations

    @staticmethod
    def of(n_users, n_items, user, item, label, weight, alpha) -> "IalsSet":
        if not (n_users > 0 and n_items > 1):
            raise BadArtifact(f"training set: nUsers {n_users}, nItems {n_items}: expected >= 1 and >= 2")
        user, item = np.asarray(user, np.int64), np.asarray(item, np.int64)
        extra = (np.float32(alpha) * np.asarray(weight, np.float32)).astype(np.float32)
        target = np.where(np.asarray(label) == 1, 1 + extra, 0).astype(np.float32)

        def grouped(key, val, rows):
            order = np.argsort(key, kind="stable")
            ptr = np.zeros(rows + 1, np.int64)
            np.cumsum(np.bincount(key, minlength=rows), out=ptr[1:])
            return Observations(ptr, val[order].astype(np.int32), extra[order], target[order])

        return IalsSet(n_users, n_items, len(user), grouped(user, item, n_users), grouped(item, user, n_items))


@jax.jit
def _gram(table):
    return jnp.dot(table.T, table, precision=jax.lax.Precision.HIGHEST)


def _solve_block(x, fixed, gram_reg, row, other, extra, target, steps: int):
    """`steps` CG steps for each row of the block `x` (rows x dim) against `fixed`, the
    block's observations given by (row within the block, other, extra, target); cgSolveRows
    in ials.ts, every row at once. A row stops for good when its residual is below 1e-20 or
    its curvature is not positive."""
    n = x.shape[0]
    y = fixed[other]
    hp = jax.lax.Precision.HIGHEST

    def a_times(v):
        dots = jnp.sum(y * v[row], axis=1)
        return jnp.dot(v, gram_reg, precision=hp) + jax.ops.segment_sum((extra * dots)[:, None] * y, row, n)

    b = jax.ops.segment_sum(target[:, None] * y, row, n)
    r = b - a_times(x)
    p = r
    rs = jnp.sum(r * r, axis=1)
    active = rs > 1e-20
    for _ in range(steps):
        ap = a_times(p)
        pap = jnp.sum(p * ap, axis=1)
        ok = active & (pap > 0)
        a = jnp.where(ok, rs / jnp.where(ok, pap, 1), 0)
        x = x + a[:, None] * p
        r = r - a[:, None] * ap
        rs_new = jnp.sum(r * r, axis=1)
        beta = jnp.where(ok, rs_new / jnp.where(ok, rs, 1), 0)
        p = jnp.where(ok[:, None], r + beta[:, None] * p, p)
        rs = jnp.where(ok, rs_new, rs)
        active = ok & (rs_new > 1e-20)
    return x


_solve_block_jit = jax.jit(_solve_block, static_argnums=(7,))


@jax.jit
def _observed_loss(x, fixed, row, other, extra, target):
    """sum of c (p - s)^2 - s^2 over the block's observations (ials.ts loss), s = <y, x_row>."""
    s = jnp.sum(fixed[other] * x[row], axis=1)
    return jnp.sum(target * (1 - 2 * s) + extra * s * s)


def solve_table(solve, fixed, obs: Observations, lam: float, steps: int, dev, with_loss=False):
    """Re-solves every row of `solve` (rows x dim, numpy) against `fixed`; returns the new table
    and, with `with_loss`, the solved rows' share of the objective (float64)."""
    rows, dim = solve.shape
    fixed_d = jax.device_put(np.asarray(fixed, np.float32), dev)
    gram_reg = _gram(fixed_d) + np.float32(lam) * jnp.eye(dim, dtype=jnp.float32)
    out = np.empty_like(solve)
    loss = 0.0
    r0 = 0
    while r0 < rows:
        # As many rows as fit both limits, and at least one.
        fit = int(np.searchsorted(obs.ptr, obs.ptr[r0] + OBS_BLOCK, side="right")) - 1
        r1 = min(rows, r0 + ROW_BLOCK, max(r0 + 1, fit))
        a, e = int(obs.ptr[r0]), int(obs.ptr[r1])
        size = max(1, 1 << int(np.ceil(np.log2(max(e - a, 1)))))
        # Padding observations: block row 0, zero confidence and target, so they add nothing.
        row = np.zeros(size, np.int32)
        row[: e - a] = np.repeat(np.arange(r1 - r0, dtype=np.int32), np.diff(obs.ptr[r0 : r1 + 1]))
        other = np.zeros(size, np.int32)
        other[: e - a] = obs.other[a:e]
        extra = np.zeros(size, np.float32)
        extra[: e - a] = obs.extra[a:e]
        target = np.zeros(size, np.float32)
        target[: e - a] = obs.target[a:e]
        x = np.zeros((ROW_BLOCK, dim), np.float32)
        x[: r1 - r0] = solve[r0:r1]
        args = [jax.device_put(v, dev) for v in (x, row, other, extra, target)]
        solved = _solve_block_jit(args[0], fixed_d, gram_reg, *args[1:], steps)
        out[r0:r1] = np.asarray(solved)[: r1 - r0]
        if with_loss:
            loss += float(_observed_loss(solved, fixed_d, *args[1:]))
        r0 = r1
    return out, loss


@dataclass
class IalsState:
    epoch: int
    users: np.ndarray
    items: np.ndarray
    best: dict | None = None
    best_score: float = -1.0
    best_epoch: int = 0
    bad: int = 0
    history: list = field(default_factory=list)


def train_ials(data: IalsSet, validation, config: IalsConfig, randomness, resume_from=None, on_epoch=None,
               on_checkpoint=None, checkpoint_every=0, budget=None, dev=None):
    """Trains with early stopping (and within `budget` when given) on `dev` (None: JAX's
    default device); returns (state, best weights, stopped early)."""
    if resume_from:
        s = restore(resume_from, data, config)
    else:
        users, items = randomness.ials_init(data.n_users, data.n_items, config.factors)
        s = IalsState(0, users, items)
    stopped_early = False
    bias = np.zeros(data.n_items, np.float32)
    for epoch in range(s.epoch + 1, config.epochs + 1):
        if not budget_allows(budget):
            stopped_early = True
            break
        t0 = time.time()
        s.users, _ = solve_table(s.users, s.items, data.by_user, config.l2, config.cg_steps, dev)
        s.items, observed = solve_table(s.items, s.users, data.by_item, config.l2, config.cg_steps, dev,
                                        with_loss=True)
        ug = s.users.astype(np.float64).T @ s.users.astype(np.float64)
        ig = s.items.astype(np.float64).T @ s.items.astype(np.float64)
        loss = (np.sum(ug * ig) + observed + config.l2 * (np.trace(ug) + np.trace(ig))) / max(data.n, 1)
        log = {"epoch": epoch, "loss": float(loss), "samples": data.n, "seconds": time.time() - t0}
        weights = {"users": s.users, "items": s.items, "bias": bias}
        stop = end_epoch(s, weights, log, epoch, config, lambda: validation_ndcg10(weights, validation),
                         on_epoch, on_checkpoint, checkpoint_every, lambda: serialize(s), budget)
        if stop:
            stopped_early = epoch < config.epochs
            break
    best = best_weights(s, {"users": s.users, "items": s.items, "bias": bias})
    return s, best, stopped_early


def serialize(s: IalsState) -> bytes:
    """ials-train.ts's checkpoint layout."""
    arrays = {"users": s.users, "items": s.items}
    if s.best is not None:
        arrays["best.users"], arrays["best.items"] = s.best["users"], s.best["items"]
    header = {
        "family": "ials", "nUsers": s.users.shape[0], "nItems": s.items.shape[0], "dim": s.users.shape[1],
        "epoch": s.epoch, "bestScore": s.best_score, "bestEpoch": s.best_epoch, "bad": s.bad,
        "history": s.history,
    }
    return pack_state(header, {k: np.asarray(v, np.float32).ravel() for k, v in arrays.items()})


def restore(data_bytes: bytes, data: IalsSet, config: IalsConfig) -> IalsState:
    h, a = unpack_state(data_bytes)
    if (h.get("family") != "ials" or h.get("nUsers") != data.n_users or h.get("nItems") != data.n_items
            or h.get("dim") != config.factors):
        raise BadArtifact(
            f"checkpoint does not match this training ({h.get('family')} {h.get('nUsers')}x{h.get('nItems')} "
            f"dim {h.get('dim')})"
        )
    dim = config.factors
    s = IalsState(h["epoch"], a["users"].reshape(-1, dim).copy(), a["items"].reshape(-1, dim).copy(),
                  None, h["bestScore"], h["bestEpoch"], h["bad"], h["history"])
    if "best.users" in a:
        s.best = {"users": a["best.users"].reshape(-1, dim), "items": a["best.items"].reshape(-1, dim),
                  "bias": np.zeros(data.n_items, np.float32)}
    return s


def model_files(best: dict) -> dict:
    """BPR-MF's factor layout with family ials (bpr-mf.ts's save; the item bias stays 0)."""
    return bpr.model_files(best, family="ials")
