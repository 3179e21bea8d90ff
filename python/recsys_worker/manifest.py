"""Stage manifests and content-addressed keys as lib/store/manifest.ts and hash.ts write
them, byte for byte where a hash depends on it: `stable_stringify` is hash.ts's
stableStringify (sorted keys, JavaScript's number formatting), a stage key is
`stages/<stage>/<24 hex>` over (stage, config hash, input hashes, code), and a manifest is
version 2, sealed with the sha256 of its other fields. Files first, manifest last: a stage
is done exactly when its manifest is there.
"""

import hashlib
import json
import math
from decimal import Decimal
from datetime import datetime, timezone

from .store import ArtifactCorrupted, NotFound

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 2


def js_number(x) -> str:
    """A number as JavaScript's JSON.stringify writes it (positional for 1e-6 <= |x| < 1e21)."""
    if isinstance(x, int) and abs(x) < 10**21:
        return str(x)
    x = float(x)
    if not math.isfinite(x):
        return "null"
    if x == 0:
        return "0"
    r = repr(x)
    if x != 0 and 1e-6 <= abs(x) < 1e21:
        text = format(Decimal(r), "f")
        return text[:-2] if text.endswith(".0") else text
    if "e" not in r:
        return r[:-2] if r.endswith(".0") else r
    mantissa, exp = r.split("e")
    e = int(exp)
    return f"{mantissa}e{'+' if e > 0 else '-'}{abs(e)}"


def stable_stringify(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        if isinstance(v, float) and not math.isfinite(v):
            return json.dumps(str(v).replace("inf", "Infinity").replace("nan", "NaN"))
        return js_number(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(stable_stringify(x) for x in v) + "]"
    if isinstance(v, dict):
        items = sorted(v.items())
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{stable_stringify(x)}" for k, x in items) + "}"
    raise TypeError(f"cannot hash a {type(v).__name__}")


def sha256_hex(data) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def config_hash(config) -> str:
    return sha256_hex(stable_stringify(config))[:16]


def stage_key(identity: dict) -> str:
    h = sha256_hex(stable_stringify({**identity, "config": config_hash(identity["config"])}))[:24]
    return f"stages/{identity['stage']}/{h}"


def _plain(v):
    """What JSON reads back: NaN and infinities become null, as JSON.stringify writes them."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def read_manifest(store, key: str) -> dict | None:
    """The sealed manifest under `key`, or None when the stage output is not done."""
    try:
        data = store.get_bytes(f"{key}/{MANIFEST_NAME}")
    except NotFound:
        return None
    uri = store.uri_of(f"{key}/{MANIFEST_NAME}")
    # `stages/<stage>/<hash>`: the stage that wrote it, until its own body says otherwise.
    parts = key.split("/")
    producer = parts[1] if len(parts) == 3 and parts[0] == "stages" else None
    try:
        raw = json.loads(data)
    except ValueError:
        raise ArtifactCorrupted(uri, producer=producer, reason=f"not valid JSON ({len(data)} bytes; truncated or edited)") from None
    if not isinstance(raw, dict):
        raise ArtifactCorrupted(uri, producer=producer, reason="not a JSON object")
    body = {k: v for k, v in raw.items() if k != "manifestSha256"}
    if body.get("version") == 1:
        return None
    if isinstance(body.get("stage"), str):
        producer = body["stage"]
    sealed = raw.get("manifestSha256")
    actual = sha256_hex(stable_stringify(body))
    if sealed != actual:
        reason = f"its content does not match its manifestSha256 (recorded {sealed}, computed {actual}): truncated or edited"
        raise ArtifactCorrupted(uri, sealed, actual, producer, reason)
    if raw.get("key") != key:
        raise ArtifactCorrupted(uri, producer=producer, reason=f"it names key {raw.get('key')}, not its own {key}")
    return raw


def publish_stage(store, identity: dict, kind: str, files: list, inputs: list, stats: dict, seconds: float) -> dict:
    """Uploads the files, then the sealed manifest; returns the manifest."""
    key = stage_key(identity)
    listed = []
    for f in files:
        put = store.put_file(f"{key}/{f['name']}", f["path"])
        entry = {"name": f["name"], "uri": store.uri_of(put["key"]), "bytes": put["bytes"], "sha256": put["sha256"]}
        listed.append(entry)
    body = {
        "version": MANIFEST_VERSION,
        "stage": identity["stage"],
        "key": key,
        "kind": kind,
        "code": identity["code"],
        "configHash": config_hash(identity["config"]),
        "inputs": inputs,
        "files": listed,
        "rows": 0,
        "bytes": sum(f["bytes"] for f in listed),
        "sha256": sha256_hex(stable_stringify([[f["name"], f["sha256"]] for f in listed])),
        "stats": stats,
        "created": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "seconds": seconds,
    }
    body = _plain(body)
    manifest = {**body, "manifestSha256": sha256_hex(stable_stringify(body))}
    store.put_bytes(f"{key}/{MANIFEST_NAME}", json.dumps(manifest, indent=2).encode())
    return manifest
