"""Where a trainer's randomness comes from, injected: initial weights, each epoch's user
order, CFGAN's ZR/PM masks, noise and input dropout, BPR-MF's and NeuMF's negatives.

- `TsRandomness`: the TypeScript trainers' draws, one for one (rng.py), so a Python run
  repeats the TypeScript run of the same seed within float tolerance. Pure Python per draw:
  for tests and small data sets.
- `NumpyRandomness`: the same distributions from numpy's PCG64, seeded by (seed, epoch), so
  a resumed run still repeats itself; for sizes where a GPU matters.
"""

import math

import numpy as np

from .rng import NORMAL_TABLE, Rng, epoch_rng, shuffled


def js_round(x: float) -> int:
    """Math.round: halves round up (Python's round() rounds them to even)."""
    return math.floor(x + 0.5)


def csr_rows(indptr: np.ndarray, indices: np.ndarray, users: np.ndarray):
    """(row index, item) of every non-zero of the given users: a batch's multi-hot input."""
    starts = indptr[users]
    counts = indptr[users + 1] - starts
    rows = np.repeat(np.arange(len(users)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return rows, indices[np.repeat(starts, counts) + offsets]


def glorot_tables(normal, tables):
    """Glorot-normal tables drawn in order from `normal()` (gan/train.ts's fresh())."""
    out = []
    for rows, cols in tables:
        std = math.sqrt(2 / (rows + cols))
        out.append(np.array([std * normal() for _ in range(rows * cols)], dtype=np.float32).reshape(rows, cols))
    return out


class TsRandomness:
    """The TypeScript trainers' randomness (see the module comment)."""

    name = "typescript-xoshiro128"

    def __init__(self, seed: int):
        self.seed = seed

    def cfgan_init(self, width, h_g, h_d, nz):
        rng = Rng(self.seed)
        return glorot_tables(
            rng.normal, [(width, h_g), (nz, h_g), (h_g, width), (width, h_d), (width, h_d), (h_d, 1)]
        )

    def cfgan_epoch(self, epoch):
        return _TsCfganEpoch(epoch_rng(self.seed, epoch))

    def factor_init(self, n_users, n_items, dim, scale):
        """Factor tables of scale x normal, users then items from one stream, as the
        TypeScript factor models draw them."""
        rng = Rng(self.seed)
        users = np.array([scale * rng.normal() for _ in range(n_users * dim)], dtype=np.float32)
        items = np.array([scale * rng.normal() for _ in range(n_items * dim)], dtype=np.float32)
        return users.reshape(n_users, dim), items.reshape(n_items, dim)

    def bpr_init(self, n_users, n_items, dim):
        return self.factor_init(n_users, n_items, dim, 0.1)

    def ials_init(self, n_users, n_items, dim):
        """ials-train.ts's fresh(): 0.01 x normal."""
        return self.factor_init(n_users, n_items, dim, 0.01)

    def bpr_epoch(self, epoch, pairs, negatives):
        """One epoch's (user, pos, neg, weight) columns, as bpr-samples.ts draws them."""
        rng = epoch_rng(self.seed, epoch)
        order = shuffled(np.arange(len(pairs.pos_user), dtype=np.int64), rng)
        n = len(order) * negatives
        rec = np.resize(order, n)
        user = pairs.pos_user[rec]
        neg = np.array([pairs.negative(int(u), rng) for u in user], dtype=np.int32)
        return user, pairs.pos_item[rec], neg, pairs.pos_weight[rec]
    def neumf_init(self, shapes):
        """initNeuMf's tables, drawn in order from one generator (zero tables draw nothing)."""
        rng = Rng(self.seed)
        out = {}
        for name, rows, cols in shapes:
            std = neumf_init_std(name, rows, cols)
            draws = [std * rng.normal() for _ in range(rows * cols)] if std > 0 else np.zeros(rows * cols)
            out[name] = np.array(draws, dtype=np.float32).reshape(rows, cols)
        return out

    def neumf_epoch(self, epoch, data, negatives):
        """One epoch's (user, item, target, weight) samples, as neumf-train.ts draws them:
        every row in a shuffled order, a positive followed by its sampled negatives."""
        rng = epoch_rng(self.seed, epoch)
        order = shuffled(np.arange(len(data.user), dtype=np.int32), rng)
        user, item, target, weight = [], [], [], []
        for row in order.tolist():
            u, w = int(data.user[row]), data.weight[row]
            user.append(u)
            item.append(int(data.item[row]))
            weight.append(w)
            if data.label[row] == 0:
                target.append(0)
                continue
            target.append(1)
            for _ in range(negatives):
                user.append(u)
                item.append(data.pairs.negative(u, rng))
                target.append(0)
                weight.append(w)
        return _columns(user, item, target, weight)


class NumpyRandomness:
    """The same distributions from numpy (see the module comment)."""

    name = "numpy-pcg64"

    def __init__(self, seed: int):
        self.seed = seed

    def _gen(self, epoch):
        return np.random.default_rng([self.seed & 0xFFFFFFFF, epoch])

    def cfgan_init(self, width, h_g, h_d, nz):
        gen = self._gen(0)
        shapes = [(width, h_g), (nz, h_g), (h_g, width), (width, h_d), (width, h_d), (h_d, 1)]
        return [
            (math.sqrt(2 / (r + c)) * gen.standard_normal((r, c))).astype(np.float32) for r, c in shapes
        ]

    def cfgan_epoch(self, epoch):
        return _NumpyCfganEpoch(self._gen(epoch))

    def factor_init(self, n_users, n_items, dim, scale):
        gen = self._gen(0)
        return (
            (scale * gen.standard_normal((n_users, dim))).astype(np.float32),
            (scale * gen.standard_normal((n_items, dim))).astype(np.float32),
        )

    def bpr_init(self, n_users, n_items, dim):
        return self.factor_init(n_users, n_items, dim, 0.1)

    def ials_init(self, n_users, n_items, dim):
        return self.factor_init(n_users, n_items, dim, 0.01)

    def bpr_epoch(self, epoch, pairs, negatives):
        """Uniform negatives, one vectorised rejection round (a rare positive may remain)."""
        gen = self._gen(epoch)
        order = np.tile(gen.permutation(len(pairs.pos_user)), negatives)
        user = pairs.pos_user[order]
        neg = gen.integers(0, pairs.n_items, len(order), dtype=np.int32)
        clash = pairs.is_positive_many(user, neg)
        neg[clash] = gen.integers(0, pairs.n_items, int(clash.sum()), dtype=np.int32)
        return user, pairs.pos_item[order], neg, pairs.pos_weight[order]

    def neumf_init(self, shapes):
        gen = self._gen(0)
        out = {}
        for name, rows, cols in shapes:
            std = neumf_init_std(name, rows, cols)
            out[name] = (std * gen.standard_normal((rows, cols))).astype(np.float32)
        return out

    def neumf_epoch(self, epoch, data, negatives):
        """Every row in a permuted order, each positive followed by `negatives` uniform items
        (one vectorised rejection round, as bpr_epoch)."""
        gen = self._gen(epoch)
        order = gen.permutation(len(data.user))
        counts = np.where(data.label[order] == 1, 1 + negatives, 1)
        rec = np.repeat(order, counts)
        first = np.repeat(np.cumsum(counts) - counts, counts)
        own = np.arange(len(rec)) == first
        user = data.user[rec]
        item = data.item[rec].copy()
        drawn = ~own
        neg = gen.integers(0, data.n_items, int(drawn.sum()), dtype=np.int32)
        clash = data.pairs.is_positive_many(user[drawn], neg)
        neg[clash] = gen.integers(0, data.n_items, int(clash.sum()), dtype=np.int32)
        item[drawn] = neg
        target = (own & (data.label[rec] == 1)).astype(np.float32)
        return user, item, target, data.weight[rec]


def _columns(user, item, target, weight):
    return (
        np.array(user, dtype=np.int32),
        np.array(item, dtype=np.int32),
        np.array(target, dtype=np.float32),
        np.array(weight, dtype=np.float32),
    )


def neumf_init_std(name, rows, cols) -> float:
    """initNeuMf: embeddings N(0, 0.01^2), layers Glorot-normal, biases 0."""
    if name in ("userGmf", "itemGmf", "userMlp", "itemMlp"):
        return 0.01
    if name.startswith("b") or name == "h0":
        return 0.0
    return math.sqrt(2 / (rows + cols))


class _TsCfganEpoch:
    """One CFGAN epoch's draws in gan/train.ts's order: a pass's user order, then per batch
    its masks, noise and input dropout."""

    def __init__(self, rng: Rng):
        self.rng = rng

    def order(self, active):
        return shuffled(active, self.rng)

    def batch(self, rows, users, width, zr_ratio, pm_ratio, nz, dropout=0.0):
        """(mask, zr, z, shown) of a batch, as gan/train.ts's sampleMasks, noise and
        InputDropout draw them; `shown` (the multi-hot of the entries G's input keeps) is None
        when the dropout draws nothing."""
        rng = self.rng
        indptr, indices = rows
        zr_t = js_round(zr_ratio * 65536)
        pm_t = js_round(pm_ratio * 65536)
        n = len(users)
        mask = np.zeros((n, width), dtype=np.float32)
        zr = np.zeros((n, width), dtype=np.float32)
        for r, u in enumerate(users):
            seen = np.zeros(width, dtype=bool)
            seen[indices[indptr[u] : indptr[u + 1]]] = True
            free = np.flatnonzero(~seen)
            x = np.array([rng.u32() for _ in range(len(free))], dtype=np.uint32)
            zr[r, free] = (x & 0xFFFF) < zr_t
            mask[r, free] = (x >> 16) < pm_t
            mask[r, seen] = 1
        z = NORMAL_TABLE[[rng.u32() & 4095 for _ in range(n * nz)]].astype(np.float32).reshape(n, nz)
        drop_t = js_round(dropout * 65536)
        if drop_t == 0:
            return mask, zr, z, None
        # One draw per own entry, vector by vector in CSR order; kept when its low half >= drop_t.
        shown = np.zeros((n, width), dtype=np.float32)
        for r, u in enumerate(users):
            own = indices[indptr[u] : indptr[u + 1]]
            x = np.array([rng.u32() for _ in range(len(own))], dtype=np.uint32)
            shown[r, own[(x & 0xFFFF) >= drop_t]] = 1
        return mask, zr, z, shown


class _NumpyCfganEpoch:
    def __init__(self, gen):
        self.gen = gen

    def order(self, active):
        return self.gen.permutation(active)

    def batch(self, rows, users, width, zr_ratio, pm_ratio, nz, dropout=0.0):
        gen = self.gen
        n = len(users)
        r, cols = csr_rows(rows[0], rows[1], users)
        zr = (gen.random((n, width), dtype=np.float32) < zr_ratio).astype(np.float32)
        mask = (gen.random((n, width), dtype=np.float32) < pm_ratio).astype(np.float32)
        zr[r, cols] = 0
        mask[r, cols] = 1
        z = gen.standard_normal((n, nz), dtype=np.float32)
        if dropout <= 0:
            return mask, zr, z, None
        keep = gen.random(len(cols)) >= dropout
        shown = np.zeros((n, width), dtype=np.float32)
        shown[r[keep], cols[keep]] = 1
        return mask, zr, z, shown


def make_randomness(kind: str, seed: int):
    if kind == "typescript":
        return TsRandomness(seed)
    if kind == "numpy":
        return NumpyRandomness(seed)
    raise ValueError(f"randomness {kind!r}: expected typescript or numpy")
