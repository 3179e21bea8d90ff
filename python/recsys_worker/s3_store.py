"""lib/store/s3.ts's store on the Python side: objects under `s3://bucket/prefix` on AWS S3 or
any S3-compatible server (MinIO in the tests), through boto3.

Settings come from the variables lib/config/env.ts reads: AWS_ENDPOINT_URL_S3 (else
AWS_ENDPOINT_URL), AWS_REGION (else AWS_DEFAULT_REGION, else us-east-1) and
S3_FORCE_PATH_STYLE (default: on when an endpoint is set). Credentials come from boto3's
default chain, as the TypeScript SDK's do, and never pass through this module's arguments.

A single PUT and a completed multipart upload are atomic in S3, so a reader never sees half
an object; an upload that fails is aborted. Downloads are hashed as they stream to disk and
checked against the manifest's record (ArtifactCorrupted, non-retryable); a short read is a
transient fault and is raised as one (retried).
"""

import hashlib
import os
import re
import secrets
from pathlib import Path

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from .state_io import BadArtifact
from .store import NotFound, check_content, check_key, sha256_file

# As lib/store/s3.ts: one PUT below 16 MiB, 8 MiB parts above, 6 attempts per request.
MULTIPART_THRESHOLD = 16 * 1024 * 1024
PART_SIZE = 8 * 1024 * 1024
MAX_ATTEMPTS = 6
CHUNK = 1 << 20


class ShortRead(IOError):
    """Fewer bytes arrived than the server announced: transient, worth a retry."""


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/prefix/` -> (bucket, prefix without slashes at the ends)."""
    m = re.fullmatch(r"s3://([^/]+)/?(.*)", uri)
    if not m:
        raise BadArtifact(f"not an s3:// URI: {uri!r}")
    return m.group(1), m.group(2).rstrip("/")


def _flag(value: str | None) -> bool | None:
    if value in (None, ""):
        return None
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise BadArtifact(f"S3_FORCE_PATH_STYLE={value!r}: expected true, false, 1 or 0")


def s3_settings(env, overrides: dict) -> dict:
    """Endpoint, region and path style as lib/config/env.ts resolves them; `overrides`
    (the worker's flags) win where they are set."""
    endpoint = overrides.get("endpoint") or env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or None
    region = overrides.get("region") or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    path_style = overrides.get("path_style")
    if path_style is None:
        path_style = _flag(env.get("S3_FORCE_PATH_STYLE"))
    if path_style is None:
        path_style = endpoint is not None
    return {"endpoint": endpoint, "region": region, "path_style": path_style}


def _not_found(err: ClientError) -> bool:
    code = str(err.response.get("Error", {}).get("Code", ""))
    status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in ("NoSuchKey", "NotFound", "404") or status == 404


class S3Store:
    def __init__(self, bucket: str, prefix: str, endpoint: str | None, region: str, path_style: bool):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.root_uri = f"s3://{bucket}{'/' + self.prefix if self.prefix else ''}"
        config = Config(
            region_name=region,
            retries={"total_max_attempts": MAX_ATTEMPTS, "mode": "standard"},
            s3={"addressing_style": "path" if path_style else "auto"},
        )
        # A client of its own session: boto3's default session is not thread-safe, and the
        # worker runs activities and heartbeats in threads.
        self.client = boto3.session.Session().client("s3", endpoint_url=endpoint, config=config)
        self.transfer = TransferConfig(
            multipart_threshold=MULTIPART_THRESHOLD, multipart_chunksize=PART_SIZE, max_concurrency=4
        )

    def uri_of(self, key: str) -> str:
        return f"{self.root_uri}/{check_key(key)}"

    def _object_key(self, key: str) -> str:
        k = check_key(key)
        return f"{self.prefix}/{k}" if self.prefix else k

    def _get(self, key: str) -> dict:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError as err:
            if _not_found(err):
                raise NotFound(self.uri_of(key)) from None
            raise

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._object_key(key))
            return True
        except ClientError as err:
            if _not_found(err):
                return False
            raise

    def get_bytes(self, key: str, expected: dict | None = None) -> bytes:
        res = self._get(key)
        data = res["Body"].read()
        if res.get("ContentLength") is not None and len(data) != res["ContentLength"]:
            raise ShortRead(f"short read of {self.uri_of(key)}: expected {res['ContentLength']} bytes")
        if expected:
            check_content(self.uri_of(key), expected, hashlib.sha256(data).hexdigest(), len(data))
        return data

    def get_file(self, key: str, local: str, expected: dict | None = None) -> None:
        res = self._get(key)
        target = Path(local)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}.tmp-{secrets.token_hex(6)}")
        try:
            h, n = hashlib.sha256(), 0
            with open(tmp, "wb") as f:
                for chunk in res["Body"].iter_chunks(CHUNK):
                    h.update(chunk)
                    n += len(chunk)
                    f.write(chunk)
            # A short read is checked first: it is retried, corruption is not.
            if res.get("ContentLength") is not None and n != res["ContentLength"]:
                raise ShortRead(f"short read of {self.uri_of(key)}: expected {res['ContentLength']} bytes")
            if expected:
                check_content(self.uri_of(key), expected, h.hexdigest(), n)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    def put_bytes(self, key: str, data: bytes) -> dict:
        self.client.put_object(Bucket=self.bucket, Key=self._object_key(key), Body=data)
        return {"key": key, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    def put_file(self, key: str, local: str) -> dict:
        size = os.path.getsize(local)
        if size < MULTIPART_THRESHOLD:
            data = Path(local).read_bytes()
            return self.put_bytes(key, data)
        digest, n = sha256_file(local)
        # s3transfer uploads the parts and aborts the multipart upload if any part fails.
        self.client.upload_file(local, self.bucket, self._object_key(key), Config=self.transfer)
        return {"key": key, "bytes": n, "sha256": digest}

    def list(self, prefix: str) -> list[str]:
        base = f"{self.prefix}/" if self.prefix else ""
        out = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=base + prefix):
            out.extend(o["Key"][len(base) :] for o in page.get("Contents", []))
        return sorted(out)

    def delete_prefix(self, prefix: str) -> int:
        keys = self.list(prefix)
        for i in range(0, len(keys), 1000):
            objects = [{"Key": self._object_key(k)} for k in keys[i : i + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True})
        return len(keys)
