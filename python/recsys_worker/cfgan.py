"""CFGAN training (Chae et al., CIKM 2018) with zero-reconstruction (ZR) and partial masking
(PM), in JAX, with lib/gan/train.ts's losses, update order and checkpoint layout:

- G: h = sigmoid(e W1 + z Wz + b1), out = h W2 + b2 (linear); D(c, x) is the logit
  sigmoid(c Wc + x Wx + b1) w2 + b2. `e` is a user's row of the train matrix (variant user)
  or an item's column (variant item).
- An epoch is dSteps shuffled passes of D updates on -log D(e, e) - log(1 - D(e, out * mask))
  (batch means, G fixed), then gSteps passes of G updates on the non-saturating
  -log D(e, out * mask) + 1 / n x sum(weight x (out - e)^2) + regG / 2 x the sum of G's
  squared weights, where weight is zrCoefficient on the ZR entries, reconstructionCoefficient
  on e's own entries and 0 elsewhere.
  Every batch draws its own masks and noise, then, with inputDropout > 0, which of each
  vector's own entries G's input hides (each with probability inputDropout): in training G
  runs on that thinned vector, while D's condition, the PM mask, the ZR sample and the
  target keep the whole e. Scoring uses the whole vector.
- Adam per network (shared step count); the tables over the input (G's W1 unless regG
  reaches every row, on the entries G was shown; D's Wc) are updated lazily on the entries the
  batch has, the rest densely.
- With validateEvery > 0 the generator is scored on validation NDCG@10 and the best kept.

The TypeScript trainer writes its gradients out by hand; here jax.value_and_grad derives them
from the same losses, which is what the equivalence tests check.
"""

import math
import time
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from .adam import AdamClock, adam_update
from .randomness import csr_rows
from .ranking import ndcg10_of_scores
from .state_io import BadArtifact, pack_state, unpack_state

G_TABLES = ("w1", "wz", "b1", "w2", "b2")
D_TABLES = ("wc", "wx", "b1", "w2", "b2")
GENERATOR_LAYOUT = "cfgan-generator/2"


@dataclass
class CfganConfig:
    generator_units: int
    discriminator_units: int
    noise_dim: int
    epochs: int
    batch_size: int
    learning_rate: float
    zr_ratio: float
    pm_ratio: float
    zr_coefficient: float
    seed: int
    variant: str = "user"
    d_steps: int = 1
    g_steps: int = 1
    discriminator_batch_size: int = 0
    reg_g: float = 0.0
    validate_every: int = 0
    patience: int = 1
    reconstruction_coefficient: float = 0.0
    input_dropout: float = 0.0

    @staticmethod
    def from_json(c: dict) -> "CfganConfig":
        """From the stage config's camelCase keys (gan/types.ts's CfganConfig)."""
        variant = c.get("variant", "user")
        if variant not in ("user", "item"):
            raise BadArtifact(f"gan.variant {variant!r}: expected user or item")
        return CfganConfig(
            generator_units=int(c["generatorUnits"]),
            discriminator_units=int(c["discriminatorUnits"]),
            noise_dim=int(c["noiseDim"]),
            epochs=int(c["epochs"]),
            batch_size=int(c["batchSize"]),
            learning_rate=float(c["learningRate"]),
            zr_ratio=float(c["zrRatio"]),
            pm_ratio=float(c["pmRatio"]),
            zr_coefficient=float(c["zrCoefficient"]),
            seed=int(c["seed"]),
            variant=variant,
            d_steps=int(c.get("dSteps", 1)),
            g_steps=int(c.get("gSteps", 1)),
            discriminator_batch_size=int(c.get("discriminatorBatchSize") or c["batchSize"]),
            reg_g=float(c.get("regG", 0)),
            validate_every=int(c.get("validateEvery", 0)),
            patience=int(c.get("patience", 1)),
            reconstruction_coefficient=_optional_weight(c, "reconstructionCoefficient", below_one=False),
            input_dropout=_optional_weight(c, "inputDropout", below_one=True),
        )

    def shape_key(self, n_users: int, n_items: int) -> str:
        """gan/train.ts's shapeOf(...).key: what a checkpoint must match."""
        users = n_users if self.variant == "item" else 0
        hg, hd, nz = self.generator_units, self.discriminator_units, self.noise_dim
        return f"{self.variant}/{users}x{n_items}/{hg}/{hd}/{nz}"


def _optional_weight(c: dict, key: str, below_one: bool) -> float:
    """c[key] as a float, 0 when absent (the paper's recipe): a number >= 0, and < 1 if
    `below_one`."""
    value = c.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BadArtifact(f"gan.{key} {value!r}: expected a number")
    if value < 0 or (below_one and value >= 1):
        raise BadArtifact(f"gan.{key} {value}: expected 0 <= {key}{' < 1' if below_one else ''}")
    return float(value)


@dataclass
class CfganState:
    epoch: int
    g: dict
    d: dict
    gm: dict
    dm: dict
    g_clock: AdamClock
    d_clock: AdamClock
    history: list = field(default_factory=list)
    best: dict | None = None
    """{epoch, ndcg10, tables} of the best validated generator."""
    since_best: int = 0


def _zeros_like(t: dict) -> dict:
    return {k: (jnp.zeros_like(v), jnp.zeros_like(v)) for k, v in t.items()}


def fresh_state(width: int, config: CfganConfig, randomness) -> CfganState:
    hg, hd, nz = config.generator_units, config.discriminator_units, config.noise_dim
    w1, wz, w2, wc, wx, dw2 = randomness.cfgan_init(width, hg, hd, nz)
    g = {"w1": w1, "wz": wz, "b1": np.zeros(hg, np.float32), "w2": w2, "b2": np.zeros(width, np.float32)}
    d = {"wc": wc, "wx": wx, "b1": np.zeros(hd, np.float32), "w2": dw2, "b2": np.zeros(1, np.float32)}
    g = {k: jnp.asarray(v) for k, v in g.items()}
    d = {k: jnp.asarray(v) for k, v in d.items()}
    lr = config.learning_rate
    return CfganState(0, g, d, _zeros_like(g), _zeros_like(d), AdamClock(lr), AdamClock(lr))


def generate(g, cond, z):
    """G's output: a linear layer over a sigmoid hidden layer, as in the authors' code."""
    h = jax.nn.sigmoid(cond @ g["w1"] + z @ g["wz"] + g["b1"])
    return h @ g["w2"] + g["b2"]


def d_logit(d, cond, x):
    return jax.nn.sigmoid(cond @ d["wc"] + x @ d["wx"] + d["b1"]) @ d["w2"] + d["b2"]


def d_loss(d, cond, fake):
    real_logit = d_logit(d, cond, cond)
    fake_logit = d_logit(d, cond, fake)
    loss = jnp.mean(-jax.nn.log_sigmoid(real_logit)) + jnp.mean(-jax.nn.log_sigmoid(-fake_logit))
    return loss, (jnp.mean(jax.nn.sigmoid(real_logit)), jnp.mean(jax.nn.sigmoid(fake_logit)))


def g_loss(g, d, cond, shown, z, mask, zr, alpha, beta, reg):
    """The objective (with the L2 penalty) and, as the log reports it, the loss without it.
    G runs on `shown` (cond less the entries the input dropout hid); the squared error is
    against cond, weighted alpha on the ZR sample and beta on cond's own entries."""
    out = generate(g, shown, z)
    fake_logit = d_logit(d, cond, out * mask)
    n = cond.shape[0]
    weight = alpha * zr + beta * cond
    err = out - cond
    loss = jnp.mean(-jax.nn.log_sigmoid(fake_logit)) + jnp.sum(weight * err * err) / n
    penalty = 0.5 * reg * sum(jnp.sum(w * w) for w in g.values())
    return loss + penalty, loss


d_value_and_grad = jax.value_and_grad(d_loss, has_aux=True)
g_value_and_grad = jax.value_and_grad(g_loss, has_aux=True)


def _apply(params, moments, grads, rate, lazy, touched):
    new_p, new_m = {}, {}
    for k, p in params.items():
        m, v = moments[k]
        pi, mi, vi = adam_update(p, m, v, grads[k], rate, touched if k == lazy else None)
        new_p[k] = pi
        new_m[k] = (mi, vi)
    return new_p, new_m


@jax.jit
def d_step(g, d, dm, cond, shown, mask, z, rate):
    """One discriminator update; returns (d, dm, (loss, mean D(real), mean D(fake)))."""
    touched = jnp.sum(cond, axis=0) > 0
    fake = jax.lax.stop_gradient(generate(g, shown, z) * mask)
    (loss, (d_real, d_fake)), grads = d_value_and_grad(d, cond, fake)
    d, dm = _apply(d, dm, grads, rate, "wc", touched)
    return d, dm, (loss, d_real, d_fake)


@jax.jit
def g_step(g, gm, d, cond, shown, mask, zr, z, rate, alpha, beta, reg):
    """One generator update against `d`; W1 is dense when the penalty reaches every row, else
    lazy on the entries G was shown."""
    touched = jnp.logical_or(jnp.sum(shown, axis=0) > 0, reg > 0)
    (_, loss), grads = g_value_and_grad(g, d, cond, shown, z, mask, zr, alpha, beta, reg)
    g, gm = _apply(g, gm, grads, rate, "w1", touched)
    return g, gm, loss


def multi_hot(rows, users, width) -> np.ndarray:
    cond = np.zeros((len(users), width), dtype=np.float32)
    r, cols = csr_rows(rows[0], rows[1], np.asarray(users))
    np.add.at(cond, (r, cols), 1.0)
    return cond


def transpose_csr(indptr, indices, n_cols):
    """Columns of a CSR as rows, each listing its rows in order (eval/csr.ts's transposeCsr)."""
    owners = np.repeat(np.arange(len(indptr) - 1, dtype=np.int32), np.diff(indptr))
    order = np.argsort(indices, kind="stable")
    t_indptr = np.zeros(n_cols + 1, dtype=np.int32)
    np.cumsum(np.bincount(indices, minlength=n_cols), out=t_indptr[1:])
    return t_indptr, owners[order]


def vectors_of(train, n_users, n_items, variant):
    """The GAN's vectors: the train rows (variant user) or columns (variant item), as a CSR."""
    return transpose_csr(train[0], train[1], n_items) if variant == "item" else train


def user_scores(g, train, n_users, n_items, variant, users) -> np.ndarray:
    """generator.ts's GeneratorScorer: noise-free scores of every item for `users`."""
    nz = np.asarray(g["wz"]).shape[0]
    gj = {k: jnp.asarray(v) for k, v in g.items()}
    if variant == "item":
        cond = multi_hot(vectors_of(train, n_users, n_items, "item"), np.arange(n_items), n_users)
        out = np.asarray(generate(gj, cond, np.zeros((n_items, nz), np.float32)))
        return out[:, users].T
    cond = multi_hot(train, users, n_items)
    return np.asarray(generate(gj, cond, np.zeros((len(users), nz), np.float32)))


def train_cfgan(train, n_users, n_items, config: CfganConfig, randomness, valid=None,
                resume_from=None, on_epoch=None, on_checkpoint=None, checkpoint_every=0,
                should_stop=None, device=None, budget=None):
    """Trains to config.epochs (or until patience or the `budget.TrainingBudget` runs out);
    hooks as training/types.ts's (`should_stop` raises to cancel). `train` and `valid` are
    (indptr, indices) CSRs over users. Returns the final state."""
    if config.validate_every > 0 and valid is None:
        raise BadArtifact("CFGAN: validateEvery > 0 needs the valid split")
    rows = vectors_of(train, n_users, n_items, config.variant)
    width = n_users if config.variant == "item" else n_items
    key = config.shape_key(n_users, n_items)
    s = restore(resume_from, key, config) if resume_from else fresh_state(width, config, randomness)
    put = (lambda a: jax.device_put(a, device)) if device is not None else jnp.asarray
    g, d = jax.tree.map(put, s.g), jax.tree.map(put, s.d)
    gm, dm = jax.tree.map(put, s.gm), jax.tree.map(put, s.dm)
    active = np.flatnonzero(np.diff(rows[0]) > 0).astype(np.int32)
    alpha, beta = np.float32(config.zr_coefficient), np.float32(config.reconstruction_coefficient)
    reg = np.float32(config.reg_g)

    def batches(stream, passes, size):
        for _ in range(passes):
            order = stream.order(active)
            for start in range(0, len(order), size):
                if should_stop:
                    should_stop()
                users = order[start : start + size]
                mask, zr, z, shown = stream.batch(
                    rows, users, width, config.zr_ratio, config.pm_ratio, config.noise_dim,
                    config.input_dropout,
                )
                cond = put(multi_hot(rows, users, width))
                yield cond, cond if shown is None else put(shown), put(mask), put(zr), put(z)

    for epoch in range(s.epoch + 1, config.epochs + 1):
        if config.validate_every > 0 and s.since_best >= config.patience:
            break
        if budget is not None and budget.should_stop():
            break
        t0 = time.time()
        stream = randomness.cfgan_epoch(epoch)
        d_sums, d_batches, g_sum, g_batches = np.zeros(3), 0, 0.0, 0
        for cond, shown, mask, _zr, z in batches(stream, config.d_steps, config.discriminator_batch_size):
            d, dm, logs = d_step(g, d, dm, cond, shown, mask, z, np.float32(s.d_clock.begin()))
            d_sums += np.array([float(x) for x in logs])
            d_batches += 1
        for cond, shown, mask, zr, z in batches(stream, config.g_steps, config.batch_size):
            rate = np.float32(s.g_clock.begin())
            g, gm, loss = g_step(g, gm, d, cond, shown, mask, zr, z, rate, alpha, beta, reg)
            g_sum += float(loss)
            g_batches += 1
        db, gb = max(d_batches, 1), max(g_batches, 1)
        log = {
            "epoch": epoch,
            "dLoss": float(d_sums[0] / db),
            "gLoss": g_sum / gb,
            "dReal": float(d_sums[1] / db),
            "dFake": float(d_sums[2] / db),
            "samples": int(len(active)),
            "seconds": time.time() - t0,
        }
        s.g, s.d, s.gm, s.dm = g, d, gm, dm
        if config.validate_every > 0 and (epoch % config.validate_every == 0 or epoch == config.epochs):
            users = np.flatnonzero(np.diff(valid[0]) > 0)
            scores = user_scores(g, train, n_users, n_items, config.variant, users)
            log["validNdcg10"] = ndcg10_of_scores(scores, users, train, valid)
            if s.best is None or log["validNdcg10"] > s.best["ndcg10"]:
                tables = {t: np.asarray(g[t]).copy() for t in G_TABLES}
                s.best = {"epoch": epoch, "ndcg10": log["validNdcg10"], "tables": tables}
                s.since_best = 0
            else:
                s.since_best += 1
        s.history.append(log)
        s.epoch = epoch
        if budget is not None:
            budget.epoch_done()
        if on_epoch:
            on_epoch(log)
        if on_checkpoint and checkpoint_every and epoch % checkpoint_every == 0:
            on_checkpoint(serialize(s, key), epoch)
    return s


def best_generator(s: CfganState) -> dict:
    """The generator a run returns: the best validated one, else the last."""
    return s.best["tables"] if s.best else {t: np.asarray(s.g[t]) for t in G_TABLES}


def serialize(s: CfganState, shape_key: str) -> bytes:
    """gan/train.ts's checkpoint: the same header and arrays (flattened row-major)."""
    arrays = {}
    for t in G_TABLES:
        arrays[f"g.{t}"] = np.asarray(s.g[t]).ravel()
        arrays[f"g.{t}.m"] = np.asarray(s.gm[t][0]).ravel()
        arrays[f"g.{t}.v"] = np.asarray(s.gm[t][1]).ravel()
        if s.best:
            arrays[f"best.{t}"] = np.asarray(s.best["tables"][t]).ravel()
    for t in D_TABLES:
        arrays[f"d.{t}"] = np.asarray(s.d[t]).ravel()
        arrays[f"d.{t}.m"] = np.asarray(s.dm[t][0]).ravel()
        arrays[f"d.{t}.v"] = np.asarray(s.dm[t][1]).ravel()
    header = {
        "family": "cfgan",
        "epoch": s.epoch,
        "shape": shape_key,
        "gStep": s.g_clock.step,
        "dStep": s.d_clock.step,
        "history": s.history,
        "best": {"epoch": s.best["epoch"], "ndcg10": s.best["ndcg10"]} if s.best else None,
        "sinceBest": s.since_best,
    }
    return pack_state(header, arrays)


def _shapes(config: CfganConfig, width: int) -> dict:
    hg, hd, nz = config.generator_units, config.discriminator_units, config.noise_dim
    return {
        "g": {"w1": (width, hg), "wz": (nz, hg), "b1": (hg,), "w2": (hg, width), "b2": (width,)},
        "d": {"wc": (width, hd), "wx": (width, hd), "b1": (hd,), "w2": (hd, 1), "b2": (1,)},
    }


def restore(data: bytes, shape_key: str, config: CfganConfig) -> CfganState:
    h, a = unpack_state(data)
    if h.get("family") != "cfgan" or h.get("shape") != shape_key:
        raise BadArtifact(
            f"checkpoint does not match this GAN ({h.get('family')} {h.get('shape')}, expected {shape_key})"
        )
    parts = shape_key.split("/")
    n_users, n_items = (int(x) for x in parts[1].split("x"))
    width = n_users if config.variant == "item" else n_items
    out = {}
    for prefix, tables in _shapes(config, width).items():
        params, moments = {}, {}
        for t, shape in tables.items():
            params[t] = jnp.asarray(a[f"{prefix}.{t}"].reshape(shape))
            moments[t] = tuple(jnp.asarray(a[f"{prefix}.{t}.{x}"].reshape(shape)) for x in "mv")
        out[prefix] = (params, moments)
    lr = config.learning_rate
    best = None
    if h.get("best"):
        g_shapes = _shapes(config, width)["g"]
        best = {**h["best"], "tables": {t: a[f"best.{t}"].reshape(g_shapes[t]) for t in G_TABLES}}
    return CfganState(
        h["epoch"], out["g"][0], out["d"][0], out["g"][1], out["d"][1],
        AdamClock(lr, h["gStep"]), AdamClock(lr, h["dStep"]), h["history"], best, h.get("sinceBest", 0),
    )


def save_generator(g: dict, variant: str, n_users: int, n_items: int) -> bytes:
    """generator.ts's saveGenerator: what generateGan and the TypeScript scorer load."""
    w1 = np.asarray(g["w1"])
    header = {
        "layout": GENERATOR_LAYOUT,
        "variant": variant,
        "nUsers": n_users,
        "nItems": n_items,
        "hidden": int(w1.shape[1]),
        "noiseDim": int(np.asarray(g["wz"]).shape[0]),
    }
    return pack_state(header, {t: np.asarray(g[t]).ravel() for t in G_TABLES})


def load_generator(data: bytes) -> tuple[dict, dict]:
    """(header, tables) of a generator file, checked as generator.ts's loadGenerator does."""
    h, a = unpack_state(data)
    if h.get("layout") not in (GENERATOR_LAYOUT, "cfgan-generator/1"):
        raise BadArtifact(f"not a CFGAN generator (layout {h.get('layout')})")
    variant = h.get("variant", "user")
    width = h.get("nUsers", 0) if variant == "item" else h["nItems"]
    hid, nz = h["hidden"], h["noiseDim"]
    shapes = {"w1": (width, hid), "wz": (nz, hid), "b1": (hid,), "w2": (hid, width), "b2": (width,)}
    for t, shape in shapes.items():
        if t not in a or a[t].size != int(np.prod(shape)):
            raise BadArtifact(f"CFGAN generator: array {t} is missing or sized wrong")
    return h, {t: a[t].reshape(shape) for t, shape in shapes.items()}
