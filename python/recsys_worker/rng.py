"""The TypeScript side's seeded randomness (lib/training/random.ts, training-loop.ts), draw
for draw: xoshiro128** seeded through splitmix32, the per-epoch generator, Fisher-Yates and
the table normal. With it a Python run draws the same batches, masks, noise, negatives and
initial weights as the TypeScript run of the same seed, which is what the equivalence tests
compare. Pure Python (one draw at a time): fast enough for initial weights and tests at
small sizes; large runs take their randomness from numpy instead (randomness.py).
"""

import math

import numpy as np

M32 = 0xFFFFFFFF


def _imul(a: int, b: int) -> int:
    return (a * b) & M32


def _rotl(x: int, k: int) -> int:
    return ((x << k) | (x >> (32 - k))) & M32


def mix32(x: int) -> int:
    """MurmurHash3's 32-bit finalizer."""
    z = x & M32
    z = _imul(z ^ (z >> 16), 0x85EBCA6B)
    z = _imul(z ^ (z >> 13), 0xC2B2AE35)
    return (z ^ (z >> 16)) & M32


class Rng:
    """xoshiro128** (random.ts's Rng)."""

    __slots__ = ("a", "b", "c", "d")

    def __init__(self, seed: int):
        s = seed & M32
        words = []
        for _ in range(4):
            s = (s + 0x9E3779B9) & M32
            words.append(mix32(s))
        self.a, self.b, self.c = words[0], words[1], words[2]
        self.d = words[3] or 1

    def u32(self) -> int:
        b = self.b
        r = _imul(_rotl(_imul(b, 5), 7), 9)
        t = (b << 9) & M32
        self.c ^= self.a
        self.d ^= b
        self.b ^= self.c
        self.a ^= self.d
        self.c ^= t
        self.d = _rotl(self.d, 11)
        return r

    def next(self) -> float:
        return self.u32() / 4294967296.0

    def int(self, n: int) -> int:
        return math.floor(self.next() * n)

    def normal(self) -> float:
        u = 1 - self.next()
        v = self.next()
        return math.sqrt(-2 * math.log(u)) * math.cos(2 * math.pi * v)


def epoch_rng(seed: int, epoch: int) -> Rng:
    """The generator of one epoch: a function of (seed, epoch) only."""
    return Rng((_imul(seed & M32, 0x9E3779B1) ^ _imul(epoch & M32, 0x85EBCA6B)) & M32)


def shuffled(a: np.ndarray, rng: Rng, width: int = 1) -> np.ndarray:
    """training-loop.ts's Fisher-Yates over records of `width` ints (a copy)."""
    out = np.array(a, copy=True)
    records = out.reshape(-1, width) if width > 1 else out
    for k in range(len(records) - 1, 0, -1):
        y = rng.int(k + 1)
        if width > 1:
            tmp = records[k].copy()
            records[k] = records[y]
            records[y] = tmp
        else:
            records[k], records[y] = records[y], records[k]
    return out


def _inverse_normal(p: float) -> float:
    """Acklam's rational approximation of the standard normal quantile."""
    a = [-39.69683028665376, 220.9460984245205, -275.928510446969, 138.357751867269, -30.66479806614716, 2.506628277459239]  # noqa: E501
    b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572]  # noqa: E501
    c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783]  # noqa: E501
    d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416]
    lo = 0.02425
    if p < lo:
        q = math.sqrt(-2 * math.log(p))
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1
        )
    if p > 1 - lo:
        return -_inverse_normal(1 - p)
    q = p - 0.5
    r = q * q
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (
        ((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1
    )


# 4096 standard-normal quantiles: NORMAL_TABLE[u32 & 4095] is random.ts's cheap normal.
NORMAL_TABLE = np.array([_inverse_normal((i + 0.5) / 4096) for i in range(4096)], dtype=np.float64)
