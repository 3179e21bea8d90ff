"""BPR-MF (Rendle et al. 2009) in JAX with lib/models/bpr's math: for a sample
x = <u, i - j> + b_i - b_j, the batch loss is (-sum w log sigmoid(x) + l2 sum(|u|^2 + |i|^2 +
|j|^2)) / n; `optimizer: adam` takes one lazy Adam step per batch over the rows it touched
(jax.grad gives the per-row sums bpr-kernel.ts writes out), `optimizer: sgd` steps sample by
sample. Early stopping on validation NDCG@10 and the checkpoint layout are those of
bpr-train.ts and training/early-stopping.ts, so either worker resumes the other's checkpoint.
"""

import json
import time
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from .adam import AdamClock, adam_update
from .early_stop import best_weights, budget_allows, end_epoch
from .ranking import validation_ndcg10
from .rng import Rng
from .state_io import BadArtifact, pack_state, unpack_state

BPR_FORMAT = "recsys-augment/bpr-mf@1"
EXPLICIT_SHARE = 0.5  # the cap of a user's explicit share (training-pairs.ts)
MAX_REJECTIONS = 32


@dataclass
class BprConfig:
    factors: int
    epochs: int
    batch_size: int
    learning_rate: float
    l2: float
    negatives: int
    patience: int
    eval_every: int
    seed: int
    optimizer: str = "adam"
    validation_users: int = 0

    @staticmethod
    def from_json(c: dict) -> "BprConfig":
        """From lib/models/types.ts's TrainConfig (camelCase)."""
        if c.get("family", "bpr") != "bpr":
            raise BadArtifact(f"model.family {c.get('family')}: expected bpr")
        return BprConfig(
            factors=int(c["factors"]),
            epochs=int(c["epochs"]),
            batch_size=int(c["batchSize"]),
            learning_rate=float(c["learningRate"]),
            l2=float(c["l2"]),
            negatives=int(c["negatives"]),
            patience=int(c["patience"]),
            eval_every=int(c["evalEvery"]),
            seed=int(c["seed"]),
            optimizer=c.get("optimizer") or "adam",
            validation_users=int(c.get("validationUsers") or 0),
        )


class TrainingPairs:
    """training-pairs.ts: the positives in row order and per-user lookups for negatives."""

    def __init__(self, n_users, n_items, user, item, label, weight):
        if not (n_users > 0 and n_items > 1):
            raise BadArtifact(f"training set: nUsers {n_users}, nItems {n_items}: expected >= 1 and >= 2")
        for name, col, hi in (("user", user, n_users), ("item", item, n_items)):
            bad = np.flatnonzero((col < 0) | (col >= hi))
            if len(bad):
                raise BadArtifact(f"training set row {bad[0]}: {name} {col[bad[0]]} is not in [0, {hi})")
        bad = np.flatnonzero(~(np.isfinite(weight) & (weight > 0)))
        if len(bad):
            raise BadArtifact(f"training set row {bad[0]}: weight {weight[bad[0]]} is not a finite number > 0")
        bad = np.flatnonzero((label != 0) & (label != 1))
        if len(bad):
            raise BadArtifact(f"training set row {bad[0]}: label {label[bad[0]]} is not 0 or 1")
        pos = np.flatnonzero(label == 1)
        if len(pos) == 0:
            raise BadArtifact("the training set has no positive row (label 1)")
        self.n_users, self.n_items = n_users, n_items
        self.pos_user = user[pos].astype(np.int32)
        self.pos_item = item[pos].astype(np.int32)
        self.pos_weight = weight[pos].astype(np.float32)
        self.positive_sets = [set() for _ in range(n_users)]
        for u, i in zip(self.pos_user.tolist(), self.pos_item.tolist()):
            self.positive_sets[u].add(i)
        neg = np.flatnonzero(label == 0)
        self.negative_lists = [[] for _ in range(n_users)]
        for u, i in zip(user[neg].tolist(), item[neg].tolist()):
            self.negative_lists[u].append(i)
        for lst in self.negative_lists:
            lst.sort()
        # training-pairs.ts's explicitShareOf: the weights summed in row order, in float64.
        pos_sum = [0.0] * n_users
        neg_sum = [0.0] * n_users
        for u, w, l in zip(user.tolist(), weight.astype(np.float32).tolist(), label.tolist()):
            if l == 1:
                pos_sum[u] += w
            else:
                neg_sum[u] += w
        self.explicit_share = [
            0.0 if not n > 0 else (min(EXPLICIT_SHARE, n / p) if p > 0 else EXPLICIT_SHARE)
            for p, n in zip(pos_sum, neg_sum)
        ]
        self._keys = np.sort(self.pos_user.astype(np.int64) * n_items + self.pos_item)

    def negative(self, u: int, rng: Rng) -> int:
        """training-pairs.ts's negative(): the same draws in the same order."""
        negs = self.negative_lists[u]
        if negs and rng.next() < self.explicit_share[u]:
            return negs[rng.int(len(negs))]
        positives = self.positive_sets[u]
        for _ in range(MAX_REJECTIONS):
            j = rng.int(self.n_items)
            if j not in positives:
                return j
        start = rng.int(self.n_items)
        for d in range(self.n_items):
            j = (start + d) % self.n_items
            if j not in positives:
                return j
        return start

    def is_positive_many(self, users, items) -> np.ndarray:
        keys = users.astype(np.int64) * self.n_items + items
        at = np.searchsorted(self._keys, keys)
        return (at < len(self._keys)) & (self._keys[np.minimum(at, len(self._keys) - 1)] == keys)


def batch_loss(params, user, pos, neg, weight, l2):
    """bpr-kernel.ts's batch loss; `params` holds the rows the indices point into."""
    u = params["users"][user]
    i = params["items"][pos]
    j = params["items"][neg]
    x = jnp.sum(u * (i - j), axis=1) + params["bias"][pos] - params["bias"][neg]
    reg = jnp.sum(u * u) + jnp.sum(i * i) + jnp.sum(j * j)
    n = user.shape[0]
    return (l2 * reg - jnp.sum(weight * jax.nn.log_sigmoid(x))) / n


bpr_value_and_grad = jax.value_and_grad(batch_loss)


@jax.jit
def adam_batch(params, moments, user, pos, neg, weight, l2, rate):
    """One batch's loss and lazy Adam step. The batch's distinct rows are gathered first and
    the loss differentiated with respect to them, so a batch costs O(batch x dim) on any
    device, never O(table): the gradient is already the per-row sum bpr-kernel.ts builds.
    Padding rows (index = table size) read as 0 and are dropped on write."""
    n = user.shape[0]
    n_users, n_items = params["users"].shape[0], params["items"].shape[0]
    u_rows, u_at = jnp.unique(user, size=n, fill_value=n_users, return_inverse=True)
    i_rows, i_at = jnp.unique(jnp.concatenate([pos, neg]), size=2 * n, fill_value=n_items, return_inverse=True)
    i_at = i_at.reshape(-1)
    rows = {"users": u_rows, "items": i_rows, "bias": i_rows}
    local = {k: params[k].at[rows[k]].get(mode="fill", fill_value=0) for k in rows}
    loss, grads = bpr_value_and_grad(local, u_at.reshape(-1), i_at[:n], i_at[n:], weight, l2)
    new_p, new_m = {}, {}
    for k in ("users", "items", "bias"):
        m, v = moments[k]
        at = rows[k]
        m_at = m.at[at].get(mode="fill", fill_value=0)
        v_at = v.at[at].get(mode="fill", fill_value=0)
        p_rows, m_rows, v_rows = adam_update(local[k], m_at, v_at, grads[k], rate)
        new_p[k] = params[k].at[at].set(p_rows, mode="drop")
        new_m[k] = (m.at[at].set(m_rows, mode="drop"), v.at[at].set(v_rows, mode="drop"))
    return new_p, new_m, loss


@jax.jit
def sgd_batch(params, user, pos, neg, weight, lr, l2):
    """Plain SGD sample by sample (bpr-kernel.ts's typedSgd); returns the pre-step mean loss."""
    d = 1 - 2 * lr * l2

    def one(p, s):
        uu, ii, jj, ww = s
        U, I, b = p["users"], p["items"], p["bias"]
        u, i, j = U[uu], I[ii], I[jj]
        x = jnp.dot(u, i - j) + b[ii] - b[jj]
        reg = jnp.dot(u, u) + jnp.dot(i, i) + jnp.dot(j, j)
        a = lr * ww / (1 + jnp.exp(x))
        b = b.at[ii].add(a).at[jj].add(-a)
        I = I.at[ii].set(d * i + a * u)
        I = I.at[jj].set(d * j - a * u)
        U = U.at[uu].set(d * u + a * (i - j))
        return {"users": U, "items": I, "bias": b}, l2 * reg - ww * jax.nn.log_sigmoid(x)

    params, terms = jax.lax.scan(one, params, (user, pos, neg, weight))
    return params, jnp.mean(terms)


@dataclass
class BprState:
    epoch: int
    params: dict
    moments: dict | None
    clock: AdamClock | None
    best: dict | None = None
    best_score: float = -1.0
    best_epoch: int = 0
    bad: int = 0
    history: list = field(default_factory=list)


def fresh_state(n_users, n_items, config: BprConfig, randomness) -> BprState:
    users, items = randomness.bpr_init(n_users, n_items, config.factors)
    params = {"users": jnp.asarray(users), "items": jnp.asarray(items), "bias": jnp.zeros(n_items, jnp.float32)}
    if config.optimizer == "sgd":
        return BprState(0, params, None, None)
    moments = {k: (jnp.zeros_like(v), jnp.zeros_like(v)) for k, v in params.items()}
    return BprState(0, params, moments, AdamClock(config.learning_rate))


def train_bpr(pairs: TrainingPairs, validation, config: BprConfig, randomness, resume_from=None,
              on_epoch=None, on_checkpoint=None, checkpoint_every=0, budget=None):
    """Trains with early stopping (and within `budget`, a budget.TrainingBudget, when given);
    returns (state, best weights, stopped early: by patience or the budget)."""
    if resume_from:
        s = restore(resume_from, pairs, config)
    else:
        s = fresh_state(pairs.n_users, pairs.n_items, config, randomness)
    l2 = np.float32(config.l2)
    stopped_early = False
    for epoch in range(s.epoch + 1, config.epochs + 1):
        if not budget_allows(budget):
            stopped_early = True
            break
        t0 = time.time()
        user, pos, neg, weight = randomness.bpr_epoch(epoch, pairs, config.negatives)
        loss_sum = 0.0
        lr = np.float32(config.learning_rate)
        for start in range(0, len(user), config.batch_size):
            sl = slice(start, start + config.batch_size)
            batch = (user[sl], pos[sl], neg[sl], weight[sl])
            if s.clock is not None:
                rate = np.float32(s.clock.begin())
                s.params, s.moments, loss = adam_batch(s.params, s.moments, *batch, l2, rate)
            else:
                s.params, loss = sgd_batch(s.params, *batch, lr, l2)
            loss_sum += float(loss) * len(batch[0])
        seconds = time.time() - t0
        log = {"epoch": epoch, "loss": loss_sum / max(len(user), 1), "samples": len(user), "seconds": seconds}
        stop = end_epoch(s, s.params, log, epoch, config,
                         lambda: validation_ndcg10(s.params, validation),
                         on_epoch, on_checkpoint, checkpoint_every, lambda: serialize(s), budget)
        if stop:
            stopped_early = epoch < config.epochs
            break
    best = best_weights(s, s.params)
    return s, best, stopped_early


def serialize(s: BprState) -> bytes:
    """bpr-train.ts's checkpoint layout."""
    p = s.params
    arrays = {"users": p["users"], "items": p["items"], "itemBias": p["bias"]}
    if s.moments is not None:
        for k in ("users", "items", "bias"):
            arrays[f"{k}.m"], arrays[f"{k}.v"] = s.moments[k]
    if s.best is not None:
        arrays["best.users"] = s.best["users"]
        arrays["best.items"] = s.best["items"]
        arrays["best.itemBias"] = s.best["bias"]
    users = np.asarray(p["users"])
    header = {
        "family": "bpr",
        "nUsers": users.shape[0],
        "nItems": int(np.asarray(p["bias"]).shape[0]),
        "dim": users.shape[1],
        "optimizer": "adam" if s.moments is not None else "sgd",
        "step": s.clock.step if s.clock else 0,
        "epoch": s.epoch,
        "bestScore": s.best_score,
        "bestEpoch": s.best_epoch,
        "bad": s.bad,
        "history": s.history,
    }
    return pack_state(header, {k: np.asarray(v).ravel() for k, v in arrays.items()})


def restore(data: bytes, pairs: TrainingPairs, config: BprConfig) -> BprState:
    h, a = unpack_state(data)
    optimizer = h.get("optimizer") or "adam"
    if (h.get("family") != "bpr" or h.get("nUsers") != pairs.n_users or h.get("nItems") != pairs.n_items
            or h.get("dim") != config.factors or optimizer != config.optimizer):
        raise BadArtifact(
            f"checkpoint does not match this training ({h.get('family')} {h.get('nUsers')}x{h.get('nItems')} "
            f"dim {h.get('dim')}, optimizer {optimizer})"
        )
    nu, ni, dim = pairs.n_users, pairs.n_items, config.factors
    shape = {"users": (nu, dim), "items": (ni, dim), "bias": (ni,)}
    stored = {"users": "users", "items": "items", "bias": "itemBias"}
    params = {k: jnp.asarray(a[stored[k]].reshape(shape[k])) for k in shape}
    moments = clock = None
    if optimizer == "adam":
        moments = {k: tuple(jnp.asarray(a[f"{k}.{x}"].reshape(shape[k])) for x in "mv") for k in shape}
        clock = AdamClock(config.learning_rate, h["step"])
    best = None
    if "best.users" in a:
        best = {k: a[f"best.{stored[k]}"].reshape(shape[k]) for k in shape}
    progress = (h["bestScore"], h["bestEpoch"], h["bad"], h["history"])
    return BprState(h["epoch"], params, moments, clock, best, *progress)


def model_files(weights: dict, family: str = "bpr") -> dict:
    """bpr-mf.ts's save(): model.json and weights.bin, as the TypeScript loader reads them
    (`family` bpr, or ials for iALS's factors in the same layout)."""
    users = np.asarray(weights["users"], dtype="<f4")
    items = np.asarray(weights["items"], dtype="<f4")
    bias = np.asarray(weights["bias"], dtype="<f4")
    nu, dim = users.shape
    ni = items.shape[0]
    model = {
        "format": BPR_FORMAT,
        "family": family,
        "config": {"nUsers": nu, "nItems": ni, "dim": dim},
        "weightsManifest": [
            {
                "paths": ["weights.bin"],
                "weights": [
                    {"name": "user_factors", "shape": [nu, dim], "dtype": "float32"},
                    {"name": "item_factors", "shape": [ni, dim], "dtype": "float32"},
                    {"name": "item_bias", "shape": [ni], "dtype": "float32"},
                ],
            }
        ],
    }
    return {
        "model.json": json.dumps(model, separators=(",", ":")).encode(),
        "weights.bin": users.tobytes() + items.tobytes() + bias.tobytes(),
    }
