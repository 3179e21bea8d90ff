"""Adam as lib/training/adam.ts's LazyAdam: one step count (and bias correction) shared by
the tables of one optimizer, and row tables updated only on the rows a batch touched (their
moments decay only then), so a step matches the TypeScript update element for element.
"""

import math
from dataclasses import dataclass

import jax.numpy as jnp

BETA1 = 0.9
BETA2 = 0.999
EPS = 1e-8


@dataclass
class AdamClock:
    """The shared step count of one optimizer."""

    lr: float
    step: int = 0

    def begin(self) -> float:
        """Starts a step; returns its bias-corrected learning rate (computed in float64)."""
        self.step += 1
        c1 = 1 - BETA1**self.step
        c2 = 1 - BETA2**self.step
        return self.lr * math.sqrt(c2) / c1


def adam_update(param, m, v, grad, rate, rows=None):
    """One Adam update of a table; `rows` (a boolean per row) limits it to the touched rows."""
    mi = BETA1 * m + (1 - BETA1) * grad
    vi = BETA2 * v + (1 - BETA2) * grad * grad
    pi = param - rate * mi / (jnp.sqrt(vi) + EPS)
    if rows is None:
        return pi, mi, vi
    keep = rows.reshape((-1,) + (1,) * (param.ndim - 1))
    return jnp.where(keep, pi, param), jnp.where(keep, mi, m), jnp.where(keep, vi, v)
