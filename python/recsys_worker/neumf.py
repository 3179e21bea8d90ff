"""NeuMF (He et al. 2017) in JAX with lib/models/neumf's math: logit(u, i) = h . [p_u * q_i ;
mlp([p'_u ; q'_i])] + h0, trained on the pointwise weighted log loss (sum w (softplus(x) -
y x) + l2 |the batch's embedding rows|^2) / n over every row of the set: a positive brings
itself (target 1) and `negatives` sampled items (target 0), an explicit negative itself
(target 0). One Adam step per batch: lazy on the embedding rows the batch touched, plain on
the dense layers. Tables, checkpoint layout and model files are neumf-weights.ts's,
neumf-train.ts's and neumf.ts's, so either worker resumes the other's checkpoint and the
TypeScript loader scores the Python-written model.
"""

import json
import time
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from .adam import AdamClock, adam_update
from .early_stop import best_weights, budget_allows, end_epoch
from .bpr import TrainingPairs
from .ranking import mean_ndcg10
from .state_io import BadArtifact, pack_state, unpack_state

NEUMF_FORMAT = "recsys-augment/neumf@1"
EMBEDDINGS = ("userGmf", "itemGmf", "userMlp", "itemMlp")
# Largest intermediate (pairs x hidden units) of validation scoring, in floats (neumf.ts).
CHUNK_FLOATS = 1 << 22


@dataclass
class NeuMfConfig:
    factors: int
    layers: list
    epochs: int
    batch_size: int
    learning_rate: float
    l2: float
    negatives: int
    patience: int
    eval_every: int
    seed: int
    validation_users: int = 0

    @staticmethod
    def from_json(c: dict) -> "NeuMfConfig":
        """From lib/models/types.ts's TrainConfig (camelCase)."""
        if c.get("family") != "neumf":
            raise BadArtifact(f"model.family {c.get('family')}: expected neumf")
        if (c.get("optimizer") or "adam") != "adam":
            raise BadArtifact(f"optimizer {c.get('optimizer')}: NeuMF trains with adam")
        layers = c.get("mlpLayers")
        if not (isinstance(layers, list) and layers and all(isinstance(x, int) and x > 0 for x in layers)):
            raise BadArtifact(f"mlpLayers {layers!r}: NeuMF needs a non-empty list of positive integers")
        return NeuMfConfig(
            factors=int(c["factors"]),
            layers=list(layers),
            epochs=int(c["epochs"]),
            batch_size=int(c["batchSize"]),
            learning_rate=float(c["learningRate"]),
            l2=float(c["l2"]),
            negatives=int(c["negatives"]),
            patience=int(c["patience"]),
            eval_every=int(c["evalEvery"]),
            seed=int(c["seed"]),
            validation_users=int(c.get("validationUsers") or 0),
        )


class NeuMfSet:
    """The training set's rows as neumf-train.ts walks them (every row, labels 0 and 1), and
    the positive lookups its negatives are drawn against."""

    def __init__(self, n_users, n_items, user, item, label, weight):
        self.pairs = TrainingPairs(n_users, n_items, user, item, label, weight)
        self.n_users, self.n_items = n_users, n_items
        self.user = np.asarray(user, dtype=np.int32)
        self.item = np.asarray(item, dtype=np.int32)
        self.label = np.asarray(label, dtype=np.int32)
        self.weight = np.asarray(weight, dtype=np.float32)

    def total(self, negatives: int) -> int:
        n_pos = len(self.pairs.pos_user)
        return n_pos * (1 + negatives) + (len(self.user) - n_pos)


def table_shapes(n_users, n_items, factors, layers):
    """neumf-weights.ts's tableShapes: every table in its fixed order, (name, rows, cols)."""
    out = [
        ("userGmf", n_users, factors),
        ("itemGmf", n_items, factors),
        ("userMlp", n_users, factors),
        ("itemMlp", n_items, factors),
    ]
    fan_in = 2 * factors
    for k, size in enumerate(layers, start=1):
        out += [(f"w{k}", fan_in, size), (f"b{k}", 1, size)]
        fan_in = size
    out += [("h", factors + fan_in, 1), ("h0", 1, 1)]
    return out


def logits(tables, ug, ig, um, im):
    """Forward pass of gathered embedding rows: one logit per row."""
    n_layers = sum(1 for k in tables if k.startswith("w"))
    z = jnp.concatenate([um, im], axis=1)
    for k in range(1, n_layers + 1):
        z = jax.nn.relu(z @ tables[f"w{k}"] + tables[f"b{k}"])
    feat = jnp.concatenate([ug * ig, z], axis=1)
    return (feat @ tables["h"]).reshape(-1) + tables["h0"][0, 0]


def batch_loss(emb, dense, u_at, i_at, target, weight, l2):
    """neumfBatchGrads's loss; `emb` holds the rows the indices point into."""
    ug, um = emb["userGmf"][u_at], emb["userMlp"][u_at]
    ig, im = emb["itemGmf"][i_at], emb["itemMlp"][i_at]
    x = logits(dense, ug, ig, um, im)
    reg = jnp.sum(ug * ug) + jnp.sum(ig * ig) + jnp.sum(um * um) + jnp.sum(im * im)
    n = u_at.shape[0]
    return (jnp.sum(weight * (jax.nn.softplus(x) - target * x)) + l2 * reg) / n


neumf_value_and_grad = jax.value_and_grad(batch_loss, argnums=(0, 1))


@jax.jit
def adam_batch(tables, moments, user, item, target, weight, l2, rate):
    """One batch's loss and Adam step. The batch's distinct embedding rows are gathered and
    the loss differentiated with respect to them (the per-row sums neumf-train.ts applies),
    so a batch costs O(batch x width) on any device; padding rows (index = table size) read
    as 0 and are dropped on write. Dense layers take a plain Adam step."""
    n = user.shape[0]
    n_users, n_items = tables["userGmf"].shape[0], tables["itemGmf"].shape[0]
    u_rows, u_at = jnp.unique(user, size=n, fill_value=n_users, return_inverse=True)
    i_rows, i_at = jnp.unique(item, size=n, fill_value=n_items, return_inverse=True)
    rows = {"userGmf": u_rows, "userMlp": u_rows, "itemGmf": i_rows, "itemMlp": i_rows}
    emb = {k: tables[k].at[rows[k]].get(mode="fill", fill_value=0) for k in EMBEDDINGS}
    dense = {k: v for k, v in tables.items() if k not in EMBEDDINGS}
    loss, (g_emb, g_dense) = neumf_value_and_grad(
        emb, dense, u_at.reshape(-1), i_at.reshape(-1), target, weight, l2
    )
    new_t, new_m = {}, {}
    for k in EMBEDDINGS:
        m, v = moments[k]
        at = rows[k]
        m_at = m.at[at].get(mode="fill", fill_value=0)
        v_at = v.at[at].get(mode="fill", fill_value=0)
        p_rows, m_rows, v_rows = adam_update(emb[k], m_at, v_at, g_emb[k], rate)
        new_t[k] = tables[k].at[at].set(p_rows, mode="drop")
        new_m[k] = (m.at[at].set(m_rows, mode="drop"), v.at[at].set(v_rows, mode="drop"))
    for k, p in dense.items():
        new_t[k], m, v = adam_update(p, *moments[k], g_dense[k], rate)
        new_m[k] = (m, v)
    return new_t, new_m, loss


@jax.jit
def score_block(tables, users):
    """Logits of `users` x every item (neumf.ts's scoreChunk with all items)."""
    f = tables["userGmf"].shape[1]
    h1 = tables["w1"].shape[1]
    n_layers = sum(1 for k in tables if k.startswith("w"))
    h = tables["h"]
    gmf = (tables["userGmf"][users] * h[:f, 0]) @ tables["itemGmf"].T
    item_first = tables["itemMlp"] @ tables["w1"][f:] + tables["b1"]
    user_first = tables["userMlp"][users] @ tables["w1"][:f]
    z = jax.nn.relu(user_first[:, None, :] + item_first[None, :, :]).reshape(-1, h1)
    for k in range(2, n_layers + 1):
        z = jax.nn.relu(z @ tables[f"w{k}"] + tables[f"b{k}"])
    mlp = (z @ h[f:]).reshape(users.shape[0], -1)
    return gmf + mlp + tables["h0"][0, 0]


def score_users(tables, users) -> np.ndarray:
    """Scores of every item for `users`, in user chunks that keep the MLP's intermediate
    below CHUNK_FLOATS floats."""
    n_items = tables["itemGmf"].shape[0]
    widest = max(tables[k].shape[1] for k in tables if k.startswith("w"))
    per = max(1, CHUNK_FLOATS // (n_items * widest))
    users = np.asarray(users, dtype=np.int32)
    out = [np.asarray(score_block(tables, users[s : s + per])) for s in range(0, len(users), per)]
    return np.concatenate(out) if out else np.zeros((0, n_items), np.float32)


def validation_ndcg10(tables, v, chunk: int = 1024) -> float:
    return mean_ndcg10(v, lambda us: score_users(tables, us), chunk)


@dataclass
class NeuMfState:
    epoch: int
    tables: dict
    moments: dict
    clock: AdamClock
    best: dict | None = None
    best_score: float = -1.0
    best_epoch: int = 0
    bad: int = 0
    history: list = field(default_factory=list)


def fresh_state(n_users, n_items, config: NeuMfConfig, randomness) -> NeuMfState:
    shapes = table_shapes(n_users, n_items, config.factors, config.layers)
    tables = {k: jnp.asarray(v) for k, v in randomness.neumf_init(shapes).items()}
    moments = {k: (jnp.zeros_like(v), jnp.zeros_like(v)) for k, v in tables.items()}
    return NeuMfState(0, tables, moments, AdamClock(config.learning_rate))


def train_neumf(data: NeuMfSet, validation, config: NeuMfConfig, randomness, resume_from=None,
                on_epoch=None, on_checkpoint=None, checkpoint_every=0, budget=None):
    """Trains with early stopping (and within `budget`, a budget.TrainingBudget, when given);
    returns (state, best tables, stopped early: by patience or the budget)."""
    if resume_from:
        s = restore(resume_from, data.n_users, data.n_items, config)
    else:
        s = fresh_state(data.n_users, data.n_items, config, randomness)
    l2 = np.float32(config.l2)
    stopped_early = False
    for epoch in range(s.epoch + 1, config.epochs + 1):
        if not budget_allows(budget):
            stopped_early = True
            break
        t0 = time.time()
        user, item, target, weight = randomness.neumf_epoch(epoch, data, config.negatives)
        loss_sum = 0.0
        for start in range(0, len(user), config.batch_size):
            sl = slice(start, start + config.batch_size)
            rate = np.float32(s.clock.begin())
            s.tables, s.moments, loss = adam_batch(
                s.tables, s.moments, user[sl], item[sl], target[sl], weight[sl], l2, rate
            )
            loss_sum += float(loss) * len(user[sl])
        log = {"epoch": epoch, "loss": loss_sum / max(len(user), 1), "samples": len(user),
               "seconds": time.time() - t0}
        stop = end_epoch(s, s.tables, log, epoch, config,
                         lambda: validation_ndcg10(s.tables, validation),
                         on_epoch, on_checkpoint, checkpoint_every, lambda: serialize(s, config), budget)
        if stop:
            stopped_early = epoch < config.epochs
            break
    best = best_weights(s, s.tables)
    return s, best, stopped_early


def serialize(s: NeuMfState, config: NeuMfConfig) -> bytes:
    """neumf-train.ts's checkpoint layout."""
    arrays = {}
    names = [k for k, _, _ in table_shapes(1, 1, config.factors, config.layers)]
    for k in names:
        arrays[k] = s.tables[k]
        arrays[f"{k}.m"], arrays[f"{k}.v"] = s.moments[k]
        if s.best is not None:
            arrays[f"best.{k}"] = s.best[k]
    header = {
        "family": "neumf",
        "nUsers": int(s.tables["userGmf"].shape[0]),
        "nItems": int(s.tables["itemGmf"].shape[0]),
        "factors": config.factors,
        "layers": config.layers,
        "step": s.clock.step,
        "epoch": s.epoch,
        "bestScore": s.best_score,
        "bestEpoch": s.best_epoch,
        "bad": s.bad,
        "history": s.history,
    }
    return pack_state(header, {k: np.asarray(v).ravel() for k, v in arrays.items()})


def restore(data: bytes, n_users, n_items, config: NeuMfConfig) -> NeuMfState:
    h, a = unpack_state(data)
    if (h.get("family") != "neumf" or h.get("nUsers") != n_users or h.get("nItems") != n_items
            or h.get("factors") != config.factors or h.get("layers") != config.layers):
        layers = json.dumps(h.get("layers"), separators=(",", ":"))
        raise BadArtifact(
            f"checkpoint does not match this training ({h.get('family')} {h.get('nUsers')}x{h.get('nItems')} "
            f"factors {h.get('factors')} layers {layers})"
        )
    shapes = table_shapes(n_users, n_items, config.factors, config.layers)
    for name, rows, cols in shapes:
        for key in (name, f"{name}.m", f"{name}.v"):
            if key not in a or a[key].size != rows * cols:
                raise BadArtifact(f"checkpoint array {key}: missing or not {rows} x {cols}")
    tables = {k: jnp.asarray(a[k].reshape(r, c)) for k, r, c in shapes}
    moments = {k: tuple(jnp.asarray(a[f"{k}.{x}"].reshape(r, c)) for x in "mv") for k, r, c in shapes}
    best = None
    if "best.userGmf" in a:
        best = {k: a[f"best.{k}"].reshape(r, c) for k, r, c in shapes}
    clock = AdamClock(config.learning_rate, h["step"])
    return NeuMfState(h["epoch"], tables, moments, clock, best, h["bestScore"], h["bestEpoch"], h["bad"],
                      h["history"])


def model_files(tables: dict, config: NeuMfConfig) -> dict:
    """neumf.ts's save(): model.json and weights.bin, as the TypeScript loader reads them."""
    n_users, n_items = tables["userGmf"].shape[0], tables["itemGmf"].shape[0]
    shapes = table_shapes(n_users, n_items, config.factors, config.layers)
    model = {
        "format": NEUMF_FORMAT,
        "family": "neumf",
        "config": {"nUsers": n_users, "nItems": n_items, "factors": config.factors, "layers": config.layers},
        "weightsManifest": [
            {
                "paths": ["weights.bin"],
                "weights": [{"name": k, "shape": [r, c], "dtype": "float32"} for k, r, c in shapes],
            }
        ],
    }
    return {
        "model.json": json.dumps(model, separators=(",", ":")).encode(),
        "weights.bin": b"".join(np.asarray(tables[k], dtype="<f4").tobytes() for k, _, _ in shapes),
    }
