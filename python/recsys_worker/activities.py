"""The training stages on the Python worker: trainGan and retrainA/retrainB (BPR-MF, NeuMF,
iALS or EASE), each a thin body over the trainers, run by stage_runner.run_stage. Checkpoints go to
the store under `checkpoints/<stage key>/` and every later heartbeat names the last one, as
activities/checkpoints.ts does, so a retried attempt resumes from it. Randomness comes from
numpy, seeded by (seed, epoch): a resumed run repeats the uninterrupted one, and results
match the TypeScript worker's in distribution (the tests compare the same draws exactly).
A `budgetSeconds` in the stage's config section (gan.budgetSeconds; a model's, where its
config has one) bounds training as lib/training/budget.ts does (budget.py), its seconds
carried in the heartbeats so a resumed attempt counts them.
"""

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import jax
import numpy as np

from . import bpr, cfgan, ease, ials, neumf
from .budget import budget_of
from .parquet_io import read_split_csr, read_training_set
from .randomness import NumpyRandomness
from .ranking import make_validation, validation_users_for
from .stage_runner import StageDefinition, json_output
from .state_io import BadArtifact
from .store import NotFound

VARIANT_FILE = {"A": "a.parquet", "B": "b.parquet"}
GAN_READS = {"preprocess": ["train.parquet", "valid.parquet"]}
# How long a superseded checkpoint is kept: longer than a heartbeat can be held back.
RETAIN_SECONDS = float(os.environ.get("AUGMENT_CHECKPOINT_RETAIN_SECONDS", "120"))


def training_device(setting: str | None = None):
    """`auto`: the first GPU, else the CPU; `cuda` without a GPU is a configuration error."""
    setting = setting or os.environ.get("AUGMENT_TRAINING_DEVICE", "auto")
    if setting not in ("auto", "cpu", "cuda"):
        raise BadArtifact(f"training.device {setting!r}: expected auto, cpu or cuda")
    if setting != "cpu":
        try:
            gpus = jax.devices("gpu")
        except RuntimeError:
            gpus = []
        if gpus:
            return gpus[0]
        if setting == "cuda":
            raise BadArtifact("training.device cuda: this worker has no CUDA device")
    return jax.devices("cpu")[0]


def describe_device(dev) -> str:
    return "cpu" if dev.platform == "cpu" else f"cuda:{dev.id} {dev.device_kind}"


def runtime_stats(dev) -> dict:
    return {"framework": f"jax {jax.__version__}", "device": describe_device(dev), "workerKind": "python"}


class Checkpointer:
    def __init__(self, ctx):
        self.ctx = ctx
        # Details every later heartbeat carries (the training seconds a retry counts).
        self.progress = lambda: {}
        self.prefix = f"checkpoints/{ctx.key}"
        prev = ctx.previous_heartbeat or {}
        self.current = None
        if isinstance(prev.get("checkpoint"), str) and isinstance(prev.get("checkpointEpoch"), (int, float)):
            if prev["checkpoint"].startswith(f"{self.prefix}/"):
                self.current = {"checkpoint": prev["checkpoint"], "checkpointEpoch": int(prev["checkpointEpoch"])}
        self.written = [(self.current["checkpoint"], time.time())] if self.current else []

    def resume(self):
        if not self.current:
            return None
        try:
            return self.ctx.store.get_bytes(self.current["checkpoint"]), self.current["checkpointEpoch"]
        except NotFound:
            return None

    def save(self, state: bytes, epoch: int):
        key = f"{self.prefix}/epoch-{epoch:06d}.bin"
        self.ctx.store.put_bytes(key, state)
        self.current = {"checkpoint": key, "checkpointEpoch": epoch}
        self.heartbeat({"phase": "checkpointed"})
        now = time.time()
        self.written.append((key, now))
        # Heartbeats reach the server throttled (up to 0.8 x the heartbeat timeout late), so
        # the checkpoint it names may be several epochs old: keep every checkpoint of the
        # last RETAIN_SECONDS, and at least the last two.
        while len(self.written) > 2 and now - self.written[0][1] > RETAIN_SECONDS:
            self.ctx.store.delete_prefix(self.written.pop(0)[0])

    def heartbeat(self, details: dict):
        self.ctx.heartbeat({**details, **self.progress(), **(self.current or {})})

    def clear(self):
        self.ctx.store.delete_prefix(self.prefix)


def _catalog(ctx):
    stats = ctx.input_manifest("preprocess")["stats"]
    n_users, n_items = int(stats.get("users") or 0), int(stats.get("items") or 0)
    if not (n_users > 0 and n_items > 0):
        raise BadArtifact("the preprocess manifest does not say how many users and items there are")
    return n_users, n_items


def _real_splits(ctx, with_ts: bool = False):
    """The catalog's size and preprocess's train split (with `with_ts`, its timestamps too)
    and validation split as CSRs."""
    n_users, n_items = _catalog(ctx)
    train = read_split_csr(ctx.input_file("preprocess", "train.parquet"), n_users, n_items, with_ts=with_ts)
    valid = read_split_csr(ctx.input_file("preprocess", "valid.parquet"), n_users, n_items)
    return n_users, n_items, train, valid


def _with_budget(cp: Checkpointer, section: dict, resume):
    """The training budget `section` asks for (None without one); heartbeats then carry the
    seconds spent, which a retried attempt that resumes counts against it."""
    budget = budget_of(section, cp.ctx.previous_heartbeat, resume is not None)
    if budget is not None:
        cp.progress = lambda: {"trainingSeconds": budget.spent_seconds()}
    return budget


def _budget_stats(budget) -> dict:
    return {"stoppedOnBudget": budget.stopped, "budgetSeconds": budget.budget_seconds} if budget else {}


def _run_train_gan(ctx):
    t0 = time.time()
    config = dict(ctx.config)
    checkpoint_every = int(config.pop("checkpointEvery", 0))
    c = cfgan.CfganConfig.from_json(config)
    n_users, n_items, train, valid = _real_splits(ctx)
    dev = training_device()
    cp = Checkpointer(ctx)
    resume = cp.resume()
    budget = _with_budget(cp, config, resume)
    cp.heartbeat({"phase": "training", "epoch": resume[1] if resume else 0, "epochs": c.epochs})
    s = cfgan.train_cfgan(
        train, n_users, n_items, c, NumpyRandomness(c.seed), valid=valid,
        resume_from=resume[0] if resume else None,
        on_epoch=lambda log: cp.heartbeat({"phase": "training", "epochs": c.epochs, **log}),
        on_checkpoint=cp.save, checkpoint_every=checkpoint_every,
        should_stop=ctx.should_stop, device=dev, budget=budget,
    )
    ctx.heartbeat({"phase": "saving"})
    path = ctx.work_dir / "generator.bin"
    path.write_bytes(cfgan.save_generator(cfgan.best_generator(s), c.variant, n_users, n_items))
    files = [{"name": "generator.bin", "path": str(path)}, json_output(ctx.work_dir, "history.json", s.history)]
    trained = [h for h in s.history if h["epoch"] > (resume[1] if resume else 0)]
    seconds = sum(h["seconds"] for h in trained)
    last = s.history[-1] if s.history else {}
    stats = {
        **runtime_stats(dev),
        "backend": "jax",
        "epochs": len(s.history),
        "bestEpoch": s.best["epoch"] if s.best else s.epoch,
        # stoppedEarly: before gan.epochs, by patience or by the budget (then stoppedOnBudget).
        "stoppedEarly": s.epoch < c.epochs,
        **_budget_stats(budget),
        "resumedFromEpoch": resume[1] if resume else 0,
        **{k: last.get(k) for k in ("dLoss", "gLoss", "dReal", "dFake")},
        "samplesPerSecond": round(sum(h["samples"] for h in trained) / seconds) if seconds > 0 else 0,
        "secondsPerEpoch": seconds / len(trained) if trained else 0,
        "seconds": time.time() - t0,
        "history": s.history,
    }
    if s.best:
        stats["bestValidNdcg10"] = s.best["ndcg10"]
    return {"kind": "gan-model", "files": files, "stats": stats, "after_publish": cp.clear}


train_gan_stage = StageDefinition(
    name="trainGan", needs=["preprocess"], run=_run_train_gan, reads=GAN_READS,
    identity_files=lambda config: GAN_READS,
)


@dataclass
class _Family:
    """How retrain trains one model family: its config, data, trainer and model files."""

    config_of: Callable
    data_of: Callable
    train: Callable
    files_of: Callable
    details: Callable


FAMILIES = {
    "bpr": _Family(
        bpr.BprConfig.from_json,
        lambda t, c: bpr.TrainingPairs(t["nUsers"], t["nItems"], t["user"], t["item"], t["label"], t["weight"]),
        bpr.train_bpr,
        lambda best, c: bpr.model_files(best),
        lambda c: {"optimizer": c.optimizer},
    ),
    "neumf": _Family(
        neumf.NeuMfConfig.from_json,
        lambda t, c: neumf.NeuMfSet(t["nUsers"], t["nItems"], t["user"], t["item"], t["label"], t["weight"]),
        neumf.train_neumf,
        neumf.model_files,
        lambda c: {"optimizer": "adam", "mlpLayers": c.layers},
    ),
    "ials": _Family(
        ials.IalsConfig.from_json,
        lambda t, c: ials.IalsSet.of(t["nUsers"], t["nItems"], t["user"], t["item"], t["label"], t["weight"],
                                     c.alpha),
        ials.train_ials,
        lambda best, c: ials.model_files(best),
        lambda c: {"alpha": c.alpha, "cgSteps": c.cg_steps},
    ),
}


def _family_choice(ctx) -> dict:
    """With model.family auto the workflow passes the policy's family choice along with the
    family it picked; the stats carry it as the TypeScript retrain's do (the report reads it)."""
    choice = ctx.config.get("familyChoice")
    return {"familyChoice": choice} if choice else {}


def _model_outputs(ctx, blobs: dict, history: list) -> list:
    """Writes a model's files and its training history into the work folder: the outputs."""
    files = []
    for name, blob in blobs.items():
        (ctx.work_dir / name).write_bytes(blob)
        files.append({"name": name, "path": str(ctx.work_dir / name)})
    files.append(json_output(ctx.work_dir, "history.json", history))
    return files


def _retrain_ease(ctx, variant: str, model: dict, t0: float):
    """EASE: closed form, so no epochs and no checkpoints; lambda (and with recency auto the
    history's half-life) chosen on validation, as lib/models/ease/ease-train.ts does."""
    c = ease.EaseConfig.from_json({**model, "seed": ctx.config["seed"]})
    t = read_training_set(ctx.input_file("resample", VARIANT_FILE[variant]))
    s = ease.EaseSet.of(t["nUsers"], t["nItems"], t["user"], t["item"], t["label"], t["weight"])
    _, n_items, (t_indptr, t_indices, t_ts), valid = _real_splits(ctx, with_ts=True)
    validation = make_validation(t_indptr, t_indices, *valid, validation_users_for(c.validation_users, n_items),
                                 c.seed)
    ranks = None
    if c.recency == "auto":
        ranks = ease.history_ranks(s, t_indptr, t_indices, ease.recency_ranks(t_indptr, t_indices, t_ts))
    dev = training_device()
    ctx.heartbeat({"phase": "training", "epoch": 0, "epochs": len(c.relative_lambdas)})
    m, log, at, chosen = ease.train_ease(
        s, validation, c, dev, ranks,
        on_epoch=lambda entry: ctx.heartbeat({"phase": "training", "epochs": len(c.relative_lambdas), **entry}),
    )
    ctx.heartbeat({"phase": "saving"})
    files = _model_outputs(ctx, ease.model_files(m), log)
    stats = {
        **runtime_stats(dev),
        "variant": variant,
        "family": "ease",
        "backend": "jax",
        "rows": int(len(t["user"])),
        "epochs": len(log),
        "bestEpoch": at + 1,
        "bestValidNdcg10": log[at]["validNdcg10"],
        "stoppedEarly": False,
        "chosen": chosen,
        **_family_choice(ctx),
        "seconds": time.time() - t0,
        "history": log,
    }
    return {"kind": "model", "files": files, "stats": stats}


def _retrain(variant: str):
    def run(ctx):
        t0 = time.time()
        model = dict(ctx.config["model"])
        if model.get("family") == "ease":
            return _retrain_ease(ctx, variant, model, t0)
        family = FAMILIES.get(model.get("family"))
        if family is None:
            trains = ", ".join([*FAMILIES, "ease"])
            raise BadArtifact(f"model.family {model.get('family')}: the Python worker trains {trains}")
        checkpoint_every = int(model.pop("checkpointEvery", 0))
        c = family.config_of({**model, "seed": ctx.config["seed"]})
        t = read_training_set(ctx.input_file("resample", VARIANT_FILE[variant]))
        data = family.data_of(t, c)
        _, n_items, train, valid = _real_splits(ctx)
        validation = make_validation(*train, *valid, validation_users_for(c.validation_users, n_items), c.seed)
        cp = Checkpointer(ctx)
        resume = cp.resume()
        budget = _with_budget(cp, model, resume)
        cp.heartbeat({"phase": "training", "epoch": resume[1] if resume else 0, "epochs": c.epochs})
        dev = training_device()
        with jax.default_device(dev):
            s, best, stopped = family.train(
                data, validation, c, NumpyRandomness(c.seed), resume_from=resume[0] if resume else None,
                on_epoch=lambda log: cp.heartbeat({"phase": "training", "epochs": c.epochs, **log}),
                on_checkpoint=cp.save, checkpoint_every=checkpoint_every, budget=budget,
            )
        ctx.heartbeat({"phase": "saving"})
        files = _model_outputs(ctx, family.files_of(best, c), s.history)
        trained = [h for h in s.history if h["epoch"] > (resume[1] if resume else 0)]
        seconds = sum(h["seconds"] for h in trained)
        stats = {
            **runtime_stats(dev),
            "variant": variant,
            "family": model["family"],
            "backend": "jax",
            **family.details(c),
            "rows": int(len(t["user"])),
            "epochs": len(s.history),
            "bestEpoch": s.best_epoch,
            "bestValidNdcg10": s.best_score,
            "stoppedEarly": stopped,
            **_budget_stats(budget),
            "resumedFromEpoch": resume[1] if resume else 0,
            "samplesPerSecond": round(sum(h["samples"] for h in trained) / seconds) if seconds > 0 else 0,
            "secondsPerEpoch": seconds / len(trained) if trained else 0,
            **_family_choice(ctx),
            "seconds": time.time() - t0,
            "history": s.history,
        }
        return {"kind": "model", "files": files, "stats": stats, "after_publish": cp.clear}

    return StageDefinition(
        name=f"retrain{variant}", needs=["preprocess", "resample"], run=run,
        identity_files=lambda config: {
            "preprocess": ["train.parquet", "valid.parquet"],
            "resample": [VARIANT_FILE[config["variant"]]],
        },
    )


STAGES = {"trainGan": train_gan_stage, "retrainA": _retrain("A"), "retrainB": _retrain("B")}
