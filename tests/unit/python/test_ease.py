"""EASE in the Python worker (recsys_worker/ease.py): the float32 JAX path a GPU takes, run
here on the CPU device, against the float64 numpy solve the CPU takes (and the TypeScript
worker, ease-equivalence.test.ts); the catalog limit; explicit negatives left out. Run by
budget.test.ts (`python -m unittest`, from python/)."""

import unittest

import jax
import numpy as np

from recsys_worker import ease
from recsys_worker.state_io import BadArtifact


def small_set(n_users=200, n_items=60, seed=4):
    gen = np.random.default_rng(seed)
    user, item = [], []
    for u in range(n_users):
        for i in gen.choice(n_items, int(gen.integers(3, 12)), replace=False,
                            p=np.arange(n_items, 0, -1) / (n_items * (n_items + 1) / 2)):
            user.append(u)
            item.append(i)
    n = len(user)
    weight = gen.uniform(0.5, 1.5, n).astype(np.float32)
    return ease.EaseSet.of(n_users, n_items, np.array(user), np.array(item), np.ones(n, np.int32), weight)


class Float32PathAgrees(unittest.TestCase):
    def test_gram_and_weights(self):
        s = small_set()
        cpu = jax.devices("cpu")[0]
        g64 = ease.gram(s, cpu, chunk=64, jax_f32=False)
        g32 = ease.gram(s, cpu, chunk=64, jax_f32=True)
        self.assertLess(np.max(np.abs(g64 - g32)) / np.max(np.abs(g64)), 1e-6)
        lam = 8 * np.trace(g64) / s.n_items
        b64 = ease.weights_for(g64, lam, cpu, jax_f32=False)
        b32 = ease.weights_for(g64, lam, cpu, jax_f32=True)
        self.assertLess(np.max(np.abs(b64 - b32)) / np.max(np.abs(b64)), 1e-4)
        self.assertTrue(np.all(np.diag(b32) == 0))
        # B = I - P diag(1/diag P): (G + lambda I) B = (G + lambda I) - diag(1/diag P) off the diagonal.
        lhs = (g64 + lam * np.eye(s.n_items)) @ b64.astype(np.float64)
        off = ~np.eye(s.n_items, dtype=bool)
        self.assertLess(np.max(np.abs(lhs[off] - g64[off])) / np.max(np.abs(g64)), 1e-5)


class TheSet(unittest.TestCase):
    def test_leaves_out_explicit_negatives(self):
        s = ease.EaseSet.of(2, 3, np.array([1, 0, 1]), np.array([2, 1, 0]), np.array([1, 0, 1]),
                            np.array([0.5, 1, 2], np.float32))
        self.assertEqual(s.negatives, 1)
        self.assertEqual(s.indptr.tolist(), [0, 0, 2])
        self.assertEqual(s.indices.tolist(), [2, 0])  # row order kept within the user
        self.assertEqual(s.weight.tolist(), [0.5, 2])

    def test_refuses_a_catalog_above_the_dense_limit(self):
        with self.assertRaises(BadArtifact) as err:
            ease.EaseSet.of(1, ease.EASE_MAX_ITEMS + 1, np.array([0]), np.array([0]), np.array([1]),
                            np.array([1], np.float32))
        self.assertIn("at most 5000 items", str(err.exception))


if __name__ == "__main__":
    unittest.main()
