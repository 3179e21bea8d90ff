"""activities/stage-runner.ts's contract for the stages this worker runs: the same StageInput
in and StageRef out, the same content-addressed key (stage, config, input hashes, code) and
sealed manifest, so a cached output is returned without running and the TypeScript stages
downstream read these outputs as their own. The code identity is a hash of this package's
sources, prefixed `python:`, so the outputs of the two workers never share a key.

What it leaves out: `optional` inputs and `extraIdentity` (the training stages have none).
"""

import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .manifest import MANIFEST_NAME, publish_stage, read_manifest, sha256_hex, stage_key
from .state_io import BadArtifact
from .work_dirs import make_work_dir

PACKAGE = Path(__file__).resolve().parent


def code_identity() -> str:
    h = hashlib.sha256()
    for p in sorted(PACKAGE.glob("*.py")):
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return f"python:{h.hexdigest()[:16]}"


@dataclass
class StageDefinition:
    name: str
    needs: list
    run: Callable
    reads: dict = field(default_factory=dict)
    identity_files: Callable = lambda config: {}


@dataclass
class StageContext:
    config: dict
    run_id: str
    key: str
    store: object
    work_dir: Path
    upstream: dict
    reads: dict
    heartbeat: Callable = lambda details=None: None
    previous_heartbeat: dict | None = None
    should_stop: Callable = lambda: None
    stage: str = ""

    def input_manifest(self, stage: str) -> dict:
        return self.upstream[stage]

    def input_file(self, stage: str, name: str) -> str:
        m = self.upstream[stage]
        entry = next((f for f in m["files"] if f["name"] == name), None)
        if entry is None:
            raise BadArtifact(f"{stage} has no output file {name}")
        allowed = self.reads.get(stage)
        if allowed and name not in allowed:
            raise BadArtifact(f"stage {self.stage} may not read {stage}/{name} (only {', '.join(allowed)})")
        local = self.work_dir / "in" / stage / name
        expected = {"sha256": entry["sha256"], "bytes": entry["bytes"], "producer": m["stage"]}
        self.store.get_file(f"{m['key']}/{name}", str(local), expected)
        return str(local)


def _files_identity(m: dict, names: list) -> str:
    parts = []
    for n in names:
        f = next((x for x in m["files"] if x["name"] == n), None)
        if f is None:
            raise BadArtifact(f"{m['stage']} has no output file {n}")
        parts.append(f"{f['name']}:{f['sha256']}")
    return sha256_hex("\n".join(parts))


def run_stage(defn: StageDefinition, stage_input: dict, store, worker: str | None = None, **hooks) -> dict:
    """The cached stage: the manifest under its key if there is one, else run and publish.
    `worker` is the identity of the worker running it, recorded in the returned ref (absent
    outside a worker), as activities/stage-runner.ts does."""
    t0 = time.time()
    upstream, hashes = {}, {}
    for need in defn.needs:
        ref = stage_input.get("inputs", {}).get(need)
        if not ref:
            raise BadArtifact(f"stage {defn.name} needs the output of {need}")
        m = read_manifest(store, ref["key"])
        if m is None:
            raise BadArtifact(f"input {need} is gone from the artifact store ({ref.get('manifestUri')})")
        upstream[need], hashes[need] = m, m["sha256"]
    for need, names in defn.identity_files(stage_input["config"]).items():
        hashes[need] = _files_identity(upstream[need], names)
    identity = {"stage": defn.name, "config": stage_input["config"], "inputs": hashes, "code": code_identity()}
    key = stage_key(identity)
    cached = read_manifest(store, key)
    if cached:
        return _ref(defn.name, store, cached, "cached", time.time() - t0, worker)
    work = make_work_dir(defn.name)
    try:
        ctx = StageContext(
            config=stage_input["config"], run_id=stage_input.get("runId", ""), key=key, store=store,
            work_dir=work, upstream=upstream, reads=defn.reads, stage=defn.name, **hooks,
        )
        out = defn.run(ctx)
        ctx.heartbeat({"phase": "publishing"})
        inputs = [
            {"name": n, "uri": store.uri_of(f"{upstream[n]['key']}/{MANIFEST_NAME}"), "sha256": hashes[n]}
            for n in defn.needs
        ]
        manifest = publish_stage(store, identity, out["kind"], out["files"], inputs, out["stats"], time.time() - t0)
        if out.get("after_publish"):
            out["after_publish"]()
        return _ref(defn.name, store, manifest, "done", time.time() - t0, worker)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _ref(stage, store, m, status, seconds, worker=None) -> dict:
    ref = {
        "stage": stage,
        "key": m["key"],
        "manifestUri": store.uri_of(f"{m['key']}/{MANIFEST_NAME}"),
        "sha256": m["sha256"],
        "code": m["code"],
        "status": status,
        "seconds": seconds,
        "rows": m["rows"],
        "outputs": {f["name"]: f["uri"] for f in m["files"]},
        "stats": m["stats"],
    }
    if worker:
        ref["worker"] = worker
    return ref


def json_output(work_dir: Path, name: str, value) -> dict:
    path = work_dir / name
    path.write_text(json.dumps(value))
    return {"name": name, "path": str(path)}

