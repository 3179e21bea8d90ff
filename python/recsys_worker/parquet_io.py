"""The Parquet files the training stages read, as lib/data writes them: a preprocess split
(`train.parquet`, `valid.parquet`: int32 user and item over dense ids, rating, ts) and a
resample training set (`a.parquet`, `b.parquet`: layout `training-set/1` in the footer with
nUsers and nItems, columns user, item, label, weight, source, score). Errors name the file
and what was expected; they are bad input, never worth a retry.
"""

import numpy as np
import pyarrow.parquet as pq

from .state_io import BadArtifact

TRAINING_SET_LAYOUT = "training-set/1"


def _column(table, name: str, path: str, dtype) -> np.ndarray:
    if name not in table.column_names:
        raise BadArtifact(f"{path}: column {name} is missing (columns: {', '.join(table.column_names)})")
    col = table.column(name)
    if col.null_count:
        raise BadArtifact(f"{path}: column {name} has {col.null_count} null values")
    return col.to_numpy().astype(dtype, copy=False)


def read_split_csr(path: str, n_users: int, n_items: int, with_ts: bool = False):
    """A preprocess split as a per-user CSR (items in file order, as csrFromCoo keeps them);
    `with_ts`: also each entry's timestamp (NaN in a log without them)."""
    table = pq.read_table(path, columns=None)
    user = _column(table, "user", path, np.int32)
    item = _column(table, "item", path, np.int32)
    _check_ids(path, user, n_users, "user")
    _check_ids(path, item, n_items, "item")
    order = np.argsort(user, kind="stable")
    indptr = np.zeros(n_users + 1, np.int32)
    np.cumsum(np.bincount(user, minlength=n_users), out=indptr[1:])
    if with_ts:
        if "ts" not in table.column_names:
            raise BadArtifact(f"{path}: column ts is missing (columns: {', '.join(table.column_names)})")
        ts = table.column("ts").to_numpy(zero_copy_only=False).astype(np.float64)  # nulls: NaN
        return indptr, item[order], ts[order]
    return indptr, item[order]


def _check_ids(path, ids, n, name):
    bad = np.flatnonzero((ids < 0) | (ids >= n))
    if len(bad):
        raise BadArtifact(f"{path} row {bad[0]}: {name} {ids[bad[0]]} is outside 0..{n - 1}")


def read_training_set(path: str) -> dict:
    """A resample training set: its columns and id-space sizes from the footer."""
    f = pq.ParquetFile(path)
    meta = {k.decode(): v.decode() for k, v in (f.metadata.metadata or {}).items()}
    if meta.get("layout") != TRAINING_SET_LAYOUT:
        raise BadArtifact(f"{path} is not a training set (layout {meta.get('layout', 'missing')})")
    table = f.read()
    return {
        "nUsers": int(meta["nUsers"]),
        "nItems": int(meta["nItems"]),
        "user": _column(table, "user", path, np.int32),
        "item": _column(table, "item", path, np.int32),
        "label": _column(table, "label", path, np.int32),
        "weight": _column(table, "weight", path, np.float32),
    }
