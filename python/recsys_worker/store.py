"""The artifact store as lib/store lays it out. `open_store` takes the URIs the TypeScript
side takes: `file:///dir` (LocalStore here: objects are files under a root folder, keys are
`/`-separated paths below it, writes go to a temp file beside the target and are renamed
into place, atomic on POSIX) and `s3://bucket/prefix` (s3_store.S3Store). Reads given the
content their manifest records are verified, as lib/store/types.ts's checkContent does: a
mismatch is ArtifactCorrupted, which is bad input (non-retryable), not a transient fault.
"""

import hashlib
import os
import secrets
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

from .state_io import BadArtifact


class NotFound(FileNotFoundError):
    pass


class ArtifactCorrupted(BadArtifact):
    """A stored object whose content is not what its manifest records. Message and fields as
    lib/store/types.ts's ArtifactCorruptedError writes them, so a failure from this worker
    reads the same to `augment verify` and `augment resume --recompute <producer>`."""

    def __init__(self, uri: str, expected="", actual="", producer=None, reason=None):
        self.uri, self.expected, self.actual, self.producer = uri, expected, actual, producer
        made_by = f" (produced by stage {producer})" if producer else ""
        repair = f"; repair it with: augment resume <workflowId> --recompute {producer}" if producer else ""
        super().__init__(f"{uri} is corrupted{made_by}: {reason or f'expected sha256 {expected}, read {actual}'}{repair}")

    def details(self) -> dict:
        d = {"uri": self.uri, "expected": self.expected, "actual": self.actual}
        return {**d, "producer": self.producer} if self.producer else d


def sha256_file(path) -> tuple[str, int]:
    h = hashlib.sha256()
    n = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            n += len(chunk)
    return h.hexdigest(), n


def check_content(uri: str, expected: dict, digest: str, n: int) -> None:
    """Raises ArtifactCorrupted unless (digest, n) is what `expected` records; `expected` is
    {sha256, bytes?, producer?} as lib/store/types.ts's ExpectedContent."""
    want_bytes = expected.get("bytes")
    if expected["sha256"] == digest and (want_bytes is None or want_bytes == n):
        return
    reason = None
    if want_bytes is not None and want_bytes != n:
        reason = f"expected {want_bytes} bytes with sha256 {expected['sha256']}, read {n} bytes with sha256 {digest}"
    raise ArtifactCorrupted(uri, expected["sha256"], digest, expected.get("producer"), reason)


def check_key(key: str) -> str:
    parts = key.split("/")
    if not key or any(p in ("", ".", "..") for p in parts):
        raise BadArtifact(f"bad artifact key {key!r}")
    return key


class LocalStore:
    def __init__(self, root: str):
        self.root = Path(root)
        self.root_uri = self.root.resolve().as_uri().rstrip("/")

    def uri_of(self, key: str) -> str:
        return f"{self.root_uri}/{check_key(key)}"

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def _atomic(self, target: Path, write) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}.tmp-{secrets.token_hex(6)}")
        try:
            write(tmp)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def get_bytes(self, key: str, expected: dict | None = None) -> bytes:
        try:
            data = self._path(key).read_bytes()
        except FileNotFoundError:
            raise NotFound(self.uri_of(key)) from None
        if expected:
            check_content(self.uri_of(key), expected, hashlib.sha256(data).hexdigest(), len(data))
        return data

    def get_file(self, key: str, local: str, expected: dict | None = None) -> None:
        source = self._path(key)
        if not source.is_file():
            raise NotFound(self.uri_of(key))
        self._atomic(Path(local), lambda tmp: shutil.copyfile(source, tmp))
        if expected:
            digest, n = sha256_file(local)
            check_content(self.uri_of(key), expected, digest, n)

    def put_bytes(self, key: str, data: bytes) -> dict:
        self._atomic(self._path(key), lambda tmp: tmp.write_bytes(data))
        return {"key": key, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    def put_file(self, key: str, local: str) -> dict:
        digest, n = sha256_file(local)
        self._atomic(self._path(key), lambda tmp: shutil.copyfile(local, tmp))
        return {"key": key, "bytes": n, "sha256": digest}

    def delete_prefix(self, prefix: str) -> int:
        base = self._path(prefix.rstrip("/"))
        if base.is_file():
            base.unlink()
            return 1
        if not base.is_dir():
            return 0
        count = sum(1 for p in base.rglob("*") if p.is_file())
        shutil.rmtree(base)
        return count


def open_store(uri: str, s3: dict | None = None):
    """The store at `uri`; `s3` overrides the endpoint, region and path style that
    s3_store.s3_settings reads from the environment (credentials always come from boto3's
    default chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles, instance roles)."""
    if uri.startswith("file://"):
        return LocalStore(unquote(urlparse(uri).path))
    if uri.startswith("s3://"):
        # Imported here: boto3 is needed only for S3 stores (the GPU check runs without it).
        from .s3_store import S3Store, parse_s3_uri, s3_settings

        bucket, prefix = parse_s3_uri(uri)
        return S3Store(bucket, prefix, **s3_settings(os.environ, s3 or {}))
    raise BadArtifact(f"unsupported artifact URI {uri!r}: expected s3://bucket/prefix or file:///dir")
