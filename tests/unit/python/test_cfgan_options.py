"""CFGAN's reconstruction term and input dropout in the Python worker (recsys_worker/cfgan.py,
randomness.py): how the config reads them and what the numpy stream, the one large runs use,
draws. The TypeScript-identical stream is compared with lib/gan by cfgan-equivalence.test.ts.
Run by budget.test.ts (`python -m unittest`, from python/)."""

import unittest

import numpy as np

from recsys_worker import cfgan
from recsys_worker.randomness import NumpyRandomness, TsRandomness
from recsys_worker.state_io import BadArtifact

from test_budget import splits

BASE = {
    "generatorUnits": 8,
    "discriminatorUnits": 8,
    "noiseDim": 2,
    "epochs": 2,
    "batchSize": 16,
    "learningRate": 0.01,
    "zrRatio": 0.5,
    "pmRatio": 0.5,
    "zrCoefficient": 0.5,
    "seed": 3,
}


class ConfigReadsTheOptions(unittest.TestCase):
    def test_absent_means_the_papers_loss_and_input(self):
        c = cfgan.CfganConfig.from_json(BASE)
        self.assertEqual((c.reconstruction_coefficient, c.input_dropout), (0.0, 0.0))

    def test_values_are_read(self):
        c = cfgan.CfganConfig.from_json({**BASE, "reconstructionCoefficient": 2, "inputDropout": 0.25})
        self.assertEqual((c.reconstruction_coefficient, c.input_dropout), (2.0, 0.25))

    def test_bad_values_are_refused_by_name(self):
        bad = [
            ("inputDropout", 1),
            ("inputDropout", -0.1),
            ("inputDropout", "0.5"),
            ("reconstructionCoefficient", -1),
            ("reconstructionCoefficient", True),
            ("reconstructionCoefficient", float("nan")),
        ]
        for key, value in bad:
            with self.subTest(key=key, value=value), self.assertRaisesRegex(BadArtifact, f"gan.{key}"):
                cfgan.CfganConfig.from_json({**BASE, key: value})


class DropoutDraws(unittest.TestCase):
    train, _ = splits(n_users=200, n_items=30)
    users = np.arange(200, dtype=np.int32)

    def own(self):
        return cfgan.multi_hot(self.train, self.users, 30)

    def test_numpy_stream_hides_own_entries_at_the_rate(self):
        epoch = NumpyRandomness(7).cfgan_epoch(1)
        own = self.own()
        _, _, _, shown = epoch.batch(self.train, self.users, 30, 0.5, 0.5, 2, 0.3)
        self.assertTrue(np.all(shown <= own))
        self.assertAlmostEqual(1 - shown.sum() / own.sum(), 0.3, delta=0.05)
        _, _, _, again = epoch.batch(self.train, self.users, 30, 0.5, 0.5, 2, 0.3)
        self.assertFalse(np.array_equal(shown, again), "drawn anew per batch")
        self.assertIsNone(epoch.batch(self.train, self.users, 30, 0.5, 0.5, 2, 0.0)[3])

    def test_typescript_stream_draws_after_masks_and_noise(self):
        own = self.own()
        with_dropout = TsRandomness(7).cfgan_epoch(1).batch(self.train, self.users, 30, 0.5, 0.5, 2, 0.3)
        without = TsRandomness(7).cfgan_epoch(1).batch(self.train, self.users, 30, 0.5, 0.5, 2, 0.0)
        for a, b in zip(with_dropout[:3], without[:3]):
            np.testing.assert_array_equal(a, b)
        self.assertIsNone(without[3])
        shown = with_dropout[3]
        self.assertTrue(np.all(shown <= own))
        self.assertAlmostEqual(1 - shown.sum() / own.sum(), 0.3, delta=0.05)


class TrainingUsesTheOptions(unittest.TestCase):
    """The numpy stream's batches reach the same steps as the TypeScript-identical one, whose
    math cfgan-equivalence.test.ts checks; here only that such a run trains."""

    train, valid = splits()

    def generator(self, **options):
        c = cfgan.CfganConfig.from_json({**BASE, **options})
        s = cfgan.train_cfgan(self.train, 40, 25, c, NumpyRandomness(c.seed), valid=self.valid)
        self.assertTrue(all(np.isfinite(h["gLoss"]) and np.isfinite(h["dLoss"]) for h in s.history))
        return cfgan.best_generator(s)

    def test_both_options_train_a_different_generator_on_the_numpy_stream(self):
        paper = self.generator()
        other = self.generator(inputDropout=0.5, reconstructionCoefficient=1)
        self.assertGreater(float(np.max(np.abs(other["w2"] - paper["w2"]))), 1e-4)


if __name__ == "__main__":
    unittest.main()
