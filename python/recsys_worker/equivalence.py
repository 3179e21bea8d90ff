"""The Python half of the equivalence tests (tests/unit/python): trains on a fixture the
TypeScript side wrote, with the TypeScript randomness, and writes what the tests compare.

    python -m recsys_worker.equivalence cfgan|bpr|neumf|ials|ease FIXTURE.json OUT_DIR [--resume CHECKPOINT]
    python -m recsys_worker.equivalence read-split FILE N_USERS N_ITEMS
    python -m recsys_worker.equivalence read-set FILE

Writes OUT_DIR/epoch-<n>.bin (the checkpoint after every epoch); for cfgan also
generator.bin, for bpr, neumf and ials the best model's files (model.json, weights.bin) and scores.bin:
float32 scores of every item for the fixture's `scoreUsers`, from the trainer's weights; for
ease the model's files (model.json, ease.bin), chosen.json (what validation chose, the
per-lambda history) and ranks.bin (the train entries' recency ranks, int32).
"""

import json
import sys
from pathlib import Path

import numpy as np

from . import parquet_io
from .state_io import BadArtifact


def _i32(a):
    return np.asarray(a, dtype=np.int32)


def _fixture_set(fixture):
    """The training set of a fixture: nUsers, nItems, user, item, label, weight."""
    s = fixture["set"]
    return (s["nUsers"], s["nItems"], _i32(s["user"]), _i32(s["item"]), _i32(s["label"]),
            np.asarray(s["weight"], dtype=np.float32))


def _fixture_validation(fixture, config):
    """The validation data of a fixture, sampled as the trainer's config says."""
    from .ranking import make_validation  # after JAX, as in main

    return make_validation(
        _i32(fixture["train"]["indptr"]), _i32(fixture["train"]["indices"]),
        _i32(fixture["valid"]["indptr"]), _i32(fixture["valid"]["indices"]),
        config.validation_users, config.seed,
    )


def read(argv: list[str]) -> int:
    """Prints what the Parquet readers got, as JSON, for the TypeScript side to check."""
    if argv[0] == "read-split":
        indptr, indices = parquet_io.read_split_csr(argv[1], int(argv[2]), int(argv[3]))
        print(json.dumps({"indptr": indptr.tolist(), "indices": indices.tolist()}))
    else:
        t = parquet_io.read_training_set(argv[1])
        print(json.dumps({k: v.tolist() if hasattr(v, "tolist") else v for k, v in t.items()}))
    return 0


def main(argv: list[str]) -> int:
    if argv[0] in ("read-split", "read-set"):
        try:
            return read(argv)
        except BadArtifact as err:
            print(f"BadArtifact: {err}", file=sys.stderr)
            return 3
    from . import bpr, cfgan, ease, ials, neumf  # JAX loads here: the Parquet commands above do without it
    from .randomness import TsRandomness

    kind, fixture, out = argv[0], json.loads(Path(argv[1]).read_text()), Path(argv[2])
    resume = Path(argv[4]).read_bytes() if len(argv) > 4 and argv[3] == "--resume" else None
    out.mkdir(parents=True, exist_ok=True)

    def save(state: bytes, epoch: int):
        (out / f"epoch-{epoch}.bin").write_bytes(state)

    if kind == "cfgan":
        config = cfgan.CfganConfig.from_json(fixture["config"])
        train = (_i32(fixture["train"]["indptr"]), _i32(fixture["train"]["indices"]))
        valid = None
        if "valid" in fixture:
            valid = (_i32(fixture["valid"]["indptr"]), _i32(fixture["valid"]["indices"]))
        s = cfgan.train_cfgan(
            train, fixture["nUsers"], fixture["nItems"], config, TsRandomness(config.seed), valid=valid,
            resume_from=resume, on_checkpoint=save, checkpoint_every=1,
        )
        best = cfgan.best_generator(s)
        generator = cfgan.save_generator(best, config.variant, fixture["nUsers"], fixture["nItems"])
        (out / "generator.bin").write_bytes(generator)
        return 0
    if kind == "bpr":
        config = bpr.BprConfig.from_json(fixture["config"])
        pairs = bpr.TrainingPairs(*_fixture_set(fixture))
        validation = _fixture_validation(fixture, config)
        _, best, _ = bpr.train_bpr(
            pairs, validation, config, TsRandomness(config.seed), resume_from=resume,
            on_checkpoint=save, checkpoint_every=1,
        )
        for name, data in bpr.model_files(best).items():
            (out / name).write_bytes(data)
        users = np.asarray(fixture["scoreUsers"], dtype=np.int64)
        scores = best["users"][users] @ best["items"].T + best["bias"]
        (out / "scores.bin").write_bytes(np.asarray(scores, dtype="<f4").tobytes())
        return 0
    if kind == "neumf":
        config = neumf.NeuMfConfig.from_json(fixture["config"])
        data = neumf.NeuMfSet(*_fixture_set(fixture))
        validation = _fixture_validation(fixture, config)
        _, best, _ = neumf.train_neumf(
            data, validation, config, TsRandomness(config.seed), resume_from=resume,
            on_checkpoint=save, checkpoint_every=1,
        )
        for name, blob in neumf.model_files(best, config).items():
            (out / name).write_bytes(blob)
        scores = neumf.score_users(best, fixture["scoreUsers"])
        (out / "scores.bin").write_bytes(np.asarray(scores, dtype="<f4").tobytes())
        return 0
    if kind == "ials":
        import jax

        config = ials.IalsConfig.from_json(fixture["config"])
        data = ials.IalsSet.of(*_fixture_set(fixture), config.alpha)
        validation = _fixture_validation(fixture, config)
        _, best, _ = ials.train_ials(
            data, validation, config, TsRandomness(config.seed), resume_from=resume,
            on_checkpoint=save, checkpoint_every=1, dev=jax.devices("cpu")[0],
        )
        for name, blob in ials.model_files(best).items():
            (out / name).write_bytes(blob)
        return 0
    if kind == "ease":
        import jax

        config = ease.EaseConfig.from_json(fixture["config"])
        s = ease.EaseSet.of(*_fixture_set(fixture))
        validation = _fixture_validation(fixture, config)
        t_indptr, t_indices = _i32(fixture["train"]["indptr"]), _i32(fixture["train"]["indices"])
        train_ranks = ease.recency_ranks(t_indptr, t_indices, np.asarray(fixture["trainTs"], np.float64))
        (out / "ranks.bin").write_bytes(train_ranks.astype("<i4").tobytes())
        ranks = ease.history_ranks(s, t_indptr, t_indices, train_ranks) if config.recency == "auto" else None
        model, log, at, chosen = ease.train_ease(s, validation, config, jax.devices("cpu")[0], ranks)
        for name, blob in ease.model_files(model).items():
            (out / name).write_bytes(blob)
        (out / "chosen.json").write_text(json.dumps({"chosen": chosen, "bestEpoch": at + 1, "history": log}))
        return 0
    print(f"unknown kind {kind!r}: expected cfgan, bpr, neumf, ials or ease", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
