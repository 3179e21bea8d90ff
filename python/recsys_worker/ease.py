"""EASE (`family: ease`) for retrainA/retrainB, as lib/models/ease/ease-train.ts trains it: the
Gram matrix of the training set's positives (row weights multiply; explicit negatives are
left out), lambda from a grid relative to the mean train rows per item and, with `recency:
auto`, a history half-life, chosen jointly on validation NDCG@10 (the plain history and the
smaller lambda on ties). The solve and the validation scoring run on the training device:
float64 on the CPU, as the TypeScript solve, float32 on a GPU. No randomness, no epochs: the
same set gives the same model. Saved in the TypeScript layout (model.json + ease.bin), which
evaluate loads.
"""

import json
import time
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from .ranking import Validation, mean_ndcg10
from .state_io import BadArtifact

EASE_FORMAT = "recsys-augment/ease@1"
# lib/models/ease/ease.ts: the dense solve's limit and default grid.
EASE_MAX_ITEMS = 5000
RELATIVE_LAMBDAS = (0.5, 2.0, 8.0, 32.0)
# lib/models/baselines/recency.ts: half-lives tried after the plain history.
RECENCY_HALF_LIVES = (16, 8, 4, 2, 1)


@dataclass
class EaseConfig:
    recency: str
    relative_lambdas: tuple
    validation_users: int
    seed: int

    @staticmethod
    def from_json(c: dict) -> "EaseConfig":
        """From lib/models/types.ts's TrainConfig (camelCase)."""
        if c.get("family", "ease") != "ease":
            raise BadArtifact(f"model.family {c.get('family')}: expected ease")
        return EaseConfig(
            recency=c.get("recency") or "none",
            relative_lambdas=tuple(float(r) for r in (c.get("relativeLambdas") or RELATIVE_LAMBDAS)),
            validation_users=int(c.get("validationUsers") or 0),
            seed=int(c["seed"]),
        )


@dataclass
class EaseSet:
    """The training set's positives grouped by user (row order kept), with their weights."""

    n_users: int
    n_items: int
    indptr: np.ndarray
    indices: np.ndarray
    weight: np.ndarray
    negatives: int

    @staticmethod
    def of(n_users, n_items, user, item, label, weight) -> "EaseSet":
        if n_items > EASE_MAX_ITEMS:
            raise BadArtifact(
                f"EASE solves an items x items system densely and supports at most {EASE_MAX_ITEMS} items; "
                f"this catalog has {n_items}. Use another model family (bpr, neumf), or filter the catalog "
                "(k-core) below the limit."
            )
        keep = np.asarray(label) == 1
        user, item, weight = np.asarray(user)[keep], np.asarray(item)[keep], np.asarray(weight, np.float32)[keep]
        order = np.argsort(user, kind="stable")
        indptr = np.zeros(n_users + 1, np.int32)
        np.cumsum(np.bincount(user, minlength=n_users), out=indptr[1:])
        return EaseSet(n_users, n_items, indptr, item[order].astype(np.int32), weight[order],
                       int(len(label) - keep.sum()))


def recency_ranks(indptr, indices, ts) -> np.ndarray:
    """For each train CSR entry: how many of the user's rows are later (0 the latest), later by
    timestamp, then by item, then by position; without timestamps by position
    (baselines/recency.ts recencyRankSteps)."""
    n = len(indices)
    user = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    pos = np.arange(n)
    ts = np.asarray(ts, np.float64)
    keys = (pos,) if np.isnan(ts).any() else (pos, indices, ts)
    order = np.lexsort((*keys, user))  # by user, oldest first within each
    ranks = np.empty(n, np.int32)
    ranks[order] = indptr[user[order] + 1] - 1 - np.arange(n)
    return ranks


def history_ranks(s: EaseSet, train_indptr, train_indices, train_ranks) -> np.ndarray:
    """Each history entry's rank among its user's real train rows; a synthetic row counts as
    the latest (ease-train.ts historyRanks)."""
    n_items = np.int64(s.n_items)
    train_user = np.repeat(np.arange(len(train_indptr) - 1, dtype=np.int64), np.diff(train_indptr))
    keys = train_user * n_items + train_indices
    order = np.argsort(keys, kind="stable")
    keys, ranks = keys[order], np.asarray(train_ranks, np.int32)[order]
    if len(keys) == 0:
        return np.zeros(len(s.indices), np.int32)
    want = np.repeat(np.arange(s.n_users, dtype=np.int64), np.diff(s.indptr)) * n_items + s.indices
    at = np.minimum(np.searchsorted(keys, want), len(keys) - 1)
    return np.where(keys[at] == want, ranks[at], 0).astype(np.int32)


def on_device(dev) -> bool:
    """Whether the math runs in JAX, float32, on `dev` (a GPU), or in numpy, float64, as the
    TypeScript solve does (a CPU)."""
    return dev.platform != "cpu"


def gram(s: EaseSet, dev, chunk: int = 2048, jax_f32: bool | None = None) -> np.ndarray:
    """G = X^T X of the weighted user x item matrix (duplicates add up), float64, a block of
    users at a time (with `jax_f32`, each block's product in float32 on `dev`)."""
    jax_f32 = on_device(dev) if jax_f32 is None else jax_f32
    g = np.zeros((s.n_items, s.n_items), np.float64)
    for u0 in range(0, s.n_users, chunk):
        u1 = min(s.n_users, u0 + chunk)
        a, e = s.indptr[u0], s.indptr[u1]
        x = np.zeros((u1 - u0, s.n_items), np.float64)
        rows = np.repeat(np.arange(u1 - u0), np.diff(s.indptr[u0 : u1 + 1]))
        np.add.at(x, (rows, s.indices[a:e]), s.weight[a:e].astype(np.float64))
        if not jax_f32:
            g += x.T @ x
        else:
            xd = jax.device_put(x.astype(np.float32), dev)
            g += np.asarray(xd.T @ xd, np.float64)
    return g


def weights_for(g: np.ndarray, lam: float, dev, jax_f32: bool | None = None) -> np.ndarray:
    """B = I - P diag(1 / diag P) with P = (G + lambda I)^-1, zero diagonal, float32."""
    a = g + lam * np.eye(len(g))
    if not (on_device(dev) if jax_f32 is None else jax_f32):
        p = np.linalg.inv(a)
    else:
        with jax.default_device(dev):
            p = np.asarray(jnp.linalg.inv(jnp.asarray(a, jnp.float32)), np.float64)
    b = -p / np.diag(p)[None, :]
    np.fill_diagonal(b, 0.0)
    return b.astype(np.float32)


def validation_ndcg10(s: EaseSet, b: np.ndarray, history_weight: np.ndarray, v: Validation, dev) -> float:
    """NDCG@10 of the histories (weighted) times B on the validation users."""
    b_dev = jax.device_put(b, dev) if on_device(dev) else b

    def score_rows(us):
        h = np.zeros((len(us), s.n_items), np.float32)
        for r, u in enumerate(us):
            if u < s.n_users:
                a, e = s.indptr[u], s.indptr[u + 1]
                np.add.at(h[r], s.indices[a:e], history_weight[a:e])
        return np.asarray(jax.device_put(h, dev) @ b_dev) if on_device(dev) else h @ b

    return mean_ndcg10(v, score_rows)


@dataclass
class EaseModel:
    n_users: int
    n_items: int
    lam: float
    weights: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    history_weight: np.ndarray
    half_life: float | None


def train_ease(s: EaseSet, v: Validation, c: EaseConfig, dev, ranks=None, on_epoch=None):
    """Fits each lambda of the grid, with `ranks` each half-life too, and keeps the best pair on
    validation. Returns (model, history, best index, chosen)."""
    g = gram(s, dev)
    mean_degree = max(1.0, float(np.trace(g)) / s.n_items)
    history, best = [], None
    t0 = time.time()
    for r in c.relative_lambdas:
        lam = r * mean_degree
        b = weights_for(g, lam, dev)
        score, half_life, used = validation_ndcg10(s, b, s.weight, v, dev), None, s.weight
        if ranks is not None:
            for h in RECENCY_HALF_LIVES:
                w = (np.exp2(-ranks / h).astype(np.float32) * s.weight).astype(np.float32)
                sh = validation_ndcg10(s, b, w, v, dev)
                if sh > score:
                    score, half_life, used = sh, h, w
        history.append({"lam": lam, "validNdcg10": score})
        if best is None or score > best[0]:
            best = (score, len(history) - 1, r, EaseModel(s.n_users, s.n_items, lam, b, s.indptr, s.indices, used,
                                                          half_life))
    seconds = (time.time() - t0) / len(history)
    log = [{"epoch": k + 1, "loss": 0, "validNdcg10": h["validNdcg10"], "samples": int(len(s.indices)),
            "seconds": seconds} for k, h in enumerate(history)]
    for entry in log:
        if on_epoch:
            on_epoch(entry)
    score, at, relative, model = best
    chosen = {"lambda": model.lam, "relativeLambda": relative,
              **({"halfLife": model.half_life} if model.half_life is not None else {})}
    return model, log, at, chosen


def model_files(m: EaseModel) -> dict:
    """model.json and ease.bin as lib/models/ease/ease-model.ts saves them (little-endian)."""
    meta = {"format": EASE_FORMAT, "nUsers": m.n_users, "nItems": m.n_items, "nnz": int(len(m.indices)),
            "lambda": m.lam, **({"halfLife": m.half_life} if m.half_life is not None else {})}
    data = b"".join(np.ascontiguousarray(a).astype(t).tobytes() for a, t in (
        (m.weights, "<f4"), (m.indptr, "<i4"), (m.indices, "<i4"), (m.history_weight, "<f4")))
    return {"model.json": json.dumps(meta).encode(), "ease.bin": data}
