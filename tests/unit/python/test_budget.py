"""The Python worker's training budget (recsys_worker/budget.py) and the trainers that honour
it, on a fake clock: the same rule as lib/training/budget.ts. Run by budget.test.ts through
the project's venv (`python -m unittest`, from python/)."""

import math
import tempfile
import unittest
from types import SimpleNamespace

import numpy as np

from recsys_worker import bpr, cfgan, neumf
from recsys_worker.activities import Checkpointer, _with_budget
from recsys_worker.budget import TrainingBudget, budget_of, spent_by_earlier_attempt
from recsys_worker.stage_runner import StageDefinition, run_stage
from recsys_worker.store import LocalStore
from recsys_worker.worker import worker_identity
from recsys_worker.randomness import NumpyRandomness
from recsys_worker.ranking import make_validation
from recsys_worker.state_io import BadArtifact

EPOCH_SECONDS = 10.0


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


class SlowEpochs:
    """NumpyRandomness whose every epoch takes EPOCH_SECONDS on `clock` (its draws are made
    when an epoch starts)."""

    def __init__(self, seed, clock):
        self.inner = NumpyRandomness(seed)
        self.clock = clock

    def __getattr__(self, name):
        value = getattr(self.inner, name)
        if not name.endswith("_epoch"):
            return value

        def epoch(*args):
            self.clock.t += EPOCH_SECONDS
            return value(*args)

        return epoch


def splits(n_users=40, n_items=25, seed=1):
    """Train CSR with 3..6 items per user and one valid item each."""
    rng = np.random.default_rng(seed)
    t_ptr, t_idx, v_ptr, v_idx = [0], [], [0], []
    for _ in range(n_users):
        items = rng.choice(n_items, size=int(rng.integers(4, 8)), replace=False)
        t_idx.extend(sorted(int(i) for i in items[:-1]))
        t_ptr.append(len(t_idx))
        v_idx.append(int(items[-1]))
        v_ptr.append(len(v_idx))
    i32 = lambda a: np.asarray(a, dtype=np.int32)  # noqa: E731
    return (i32(t_ptr), i32(t_idx)), (i32(v_ptr), i32(v_idx))


class TrainingBudgetRule(unittest.TestCase):
    def test_an_epoch_is_not_started_that_would_end_past_the_budget(self):
        clock = Clock()
        b = TrainingBudget(25, now=clock)
        clock.t += 100  # setup before the first epoch does not count as an epoch
        self.assertFalse(b.should_stop())  # the first epoch always runs
        b.epoch_done()
        self.assertAlmostEqual(b.spent_seconds(), 100)
        b2 = TrainingBudget(25, now=clock)
        seen = []
        while not b2.should_stop():
            clock.t += 10
            b2.epoch_done()
            seen.append(b2.spent_seconds())
        # 10 + 10 = 20 fits, a third would end at 30 > 25.
        self.assertEqual(seen, [10, 20])
        self.assertTrue(b2.stopped)

    def test_an_epoch_that_ends_exactly_at_the_budget_still_runs(self):
        clock = Clock()
        b = TrainingBudget(30, now=clock)
        epochs = 0
        while not b.should_stop():
            clock.t += 10
            b.epoch_done()
            epochs += 1
        self.assertEqual(epochs, 3)

    def test_seconds_of_an_earlier_attempt_count(self):
        clock = Clock()
        b = TrainingBudget(25, already_spent=12, now=clock)
        self.assertFalse(b.should_stop())
        clock.t += 10
        b.epoch_done()
        self.assertAlmostEqual(b.spent_seconds(), 22)
        self.assertTrue(b.should_stop())  # 22 + 10 > 25

    def test_not_stopped_until_asked_past_the_budget(self):
        clock = Clock()
        b = TrainingBudget(5, now=clock)
        clock.t += 10
        b.epoch_done()
        self.assertFalse(b.stopped)
        self.assertTrue(b.should_stop())
        self.assertTrue(b.stopped)

    def test_rejects_a_budget_that_is_not_positive(self):
        for bad in (0, -1, float("nan"), "10", None):
            with self.assertRaises(ValueError):
                TrainingBudget(bad)

    def test_spent_by_earlier_attempt(self):
        self.assertEqual(spent_by_earlier_attempt(None), 0)
        self.assertEqual(spent_by_earlier_attempt({"epoch": 3}), 0)
        self.assertEqual(spent_by_earlier_attempt({"trainingSeconds": 12.5}), 12.5)
        for bad in (-3, math.nan, math.inf, "12", True):
            self.assertEqual(spent_by_earlier_attempt({"trainingSeconds": bad}), 0)

    def test_budget_of_a_config_section(self):
        beat = {"trainingSeconds": 40}
        self.assertIsNone(budget_of({"epochs": 3}, beat, True))
        self.assertAlmostEqual(budget_of({"budgetSeconds": 100}, beat, True).spent_seconds(), 40, places=3)
        # An attempt that starts over (no checkpoint to resume) trains anew.
        self.assertLess(budget_of({"budgetSeconds": 100}, beat, False).spent_seconds(), 1)
        for bad in (0, -5, "60", True):
            with self.assertRaisesRegex(BadArtifact, "budgetSeconds"):
                budget_of({"budgetSeconds": bad}, None, False)


class TrainersHonourTheBudget(unittest.TestCase):
    train, valid = splits()
    n_users, n_items = 40, 25

    def test_cfgan(self):
        config = cfgan.CfganConfig(
            generator_units=8, discriminator_units=8, noise_dim=0, epochs=6, batch_size=16,
            learning_rate=0.003, zr_ratio=0.5, pm_ratio=0.5, zr_coefficient=0.03, seed=3,
            discriminator_batch_size=16, validate_every=1, patience=10,
        )
        clock = Clock()
        budget = TrainingBudget(25, now=clock)
        logged = []
        s = cfgan.train_cfgan(
            self.train, self.n_users, self.n_items, config, SlowEpochs(3, clock), valid=self.valid,
            on_epoch=lambda log: logged.append(budget.spent_seconds()), budget=budget,
        )
        self.assertEqual(len(s.history), 2)
        self.assertTrue(budget.stopped)
        # epoch_done ran before each epoch's report.
        self.assertEqual(logged, [10, 20])
        self.assertIn(s.best["epoch"], (1, 2))

        # The same run without a budget trains every epoch.
        unbounded = cfgan.train_cfgan(
            self.train, self.n_users, self.n_items, config, NumpyRandomness(3), valid=self.valid
        )
        self.assertEqual(len(unbounded.history), 6)

    def _factor_case(self, module, config, data):
        validation = make_validation(*self.train, *self.valid, 0, 4)
        clock = Clock()
        budget = TrainingBudget(25, already_spent=0, now=clock)
        s, best, stopped = module(data, validation, config, SlowEpochs(4, clock), budget=budget)
        self.assertEqual(len(s.history), 2)
        self.assertTrue(stopped)
        self.assertTrue(budget.stopped)
        self.assertIsNotNone(best)
        # With the seconds of an earlier attempt, only the one epoch that always runs.
        clock = Clock()
        budget = TrainingBudget(25, already_spent=20, now=clock)
        s, _, stopped = module(data, validation, config, SlowEpochs(4, clock), budget=budget)
        self.assertEqual((len(s.history), stopped, budget.stopped), (1, True, True))
        # A budget that leaves room changes nothing: every epoch, not stopped on it.
        budget = TrainingBudget(1e6, now=Clock())
        s, _, stopped = module(data, validation, config, SlowEpochs(4, Clock()), budget=budget)
        self.assertEqual((len(s.history), stopped, budget.stopped), (5, False, False))

    def _set(self):
        indptr, indices = self.train
        user = np.repeat(np.arange(self.n_users, dtype=np.int32), np.diff(indptr))
        n = len(indices)
        return (self.n_users, self.n_items, user, indices.copy(), np.ones(n, np.int32), np.ones(n, np.float32))

    def test_bpr(self):
        config = bpr.BprConfig.from_json({
            "factors": 4, "epochs": 5, "batchSize": 32, "learningRate": 0.01, "l2": 0.001,
            "negatives": 1, "patience": 10, "evalEvery": 1, "seed": 4,
        })
        self._factor_case(bpr.train_bpr, config, bpr.TrainingPairs(*self._set()))

    def test_neumf(self):
        config = neumf.NeuMfConfig.from_json({
            "family": "neumf", "factors": 4, "mlpLayers": [8, 4], "epochs": 5, "batchSize": 32,
            "learningRate": 0.01, "l2": 0.001, "negatives": 1, "patience": 10, "evalEvery": 1,
            "seed": 4,
        })
        self._factor_case(neumf.train_neumf, config, neumf.NeuMfSet(*self._set()))


class HeartbeatsCarryTheSecondsSpent(unittest.TestCase):
    def test_a_resumed_attempt_counts_them_and_its_checkpoint_beats_report_them(self):
        store = LocalStore(tempfile.mkdtemp(prefix="py-budget-"))
        store.put_bytes("checkpoints/k/epoch-000001.bin", b"state")
        beats = []
        earlier = {"phase": "checkpointed", "checkpoint": "checkpoints/k/epoch-000001.bin",
                   "checkpointEpoch": 1, "trainingSeconds": 30.0}
        ctx = SimpleNamespace(key="k", store=store, previous_heartbeat=earlier, heartbeat=beats.append)
        cp = Checkpointer(ctx)
        resume = cp.resume()
        self.assertEqual(resume, (b"state", 1))
        budget = _with_budget(cp, {"budgetSeconds": 100, "epochs": 9}, resume)
        self.assertGreaterEqual(budget.spent_seconds(), 30)
        cp.save(b"later", 2)
        cp.heartbeat({"phase": "training", "epoch": 2})
        for beat in beats:
            self.assertGreaterEqual(beat["trainingSeconds"], 30)
            self.assertEqual(beat["checkpoint"], "checkpoints/k/epoch-000002.bin")
        self.assertEqual(beats[0]["phase"], "checkpointed")

        # Without a budget the heartbeats are as before, and nothing is inherited.
        beats.clear()
        cp = Checkpointer(ctx)
        self.assertIsNone(_with_budget(cp, {"epochs": 9}, cp.resume()))
        cp.heartbeat({"phase": "training"})
        self.assertNotIn("trainingSeconds", beats[0])


class WorkerIdentityInTheRef(unittest.TestCase):
    def test_the_ref_names_the_worker_that_ran_or_found_the_stage(self):
        store = LocalStore(tempfile.mkdtemp(prefix="py-worker-"))

        def body(ctx):
            path = ctx.work_dir / "out.json"
            path.write_text("{}")
            return {"kind": "test", "files": [{"name": "out.json", "path": str(path)}], "stats": {"n": 1}}

        defn = StageDefinition(name="trainGan", needs=[], run=body)
        stage_input = {"runId": "r", "inputs": {}, "config": {"x": 1}}
        identity = worker_identity()
        self.assertRegex(identity, r"^[^:]+:\d+:activities:gpu-py$")
        done = run_stage(defn, stage_input, store, worker=identity)
        self.assertEqual((done["status"], done["worker"]), ("done", identity))
        self.assertNotIn("worker", done["stats"])
        cached = run_stage(defn, stage_input, store, worker="other-host:7:activities:gpu-py")
        self.assertEqual((cached["status"], cached["worker"]), ("cached", "other-host:7:activities:gpu-py"))
        # Outside a worker (run_stage.py, tests) there is no identity to record.
        self.assertNotIn("worker", run_stage(defn, stage_input, store))


if __name__ == "__main__":
    unittest.main()
