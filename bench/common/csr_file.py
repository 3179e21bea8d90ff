"""Reads the CSR file bench/common/csr-file.ts writes (bench only)."""
import numpy as np


def load_csr(path):
    """(n_users, n_items, indptr, indices); the arrays are writable copies (scipy sorts in place)."""
    with open(path, "rb") as f:
        n_users, n_items, nnz = np.frombuffer(f.read(12), dtype=np.int32)
        indptr = np.frombuffer(f.read(4 * (n_users + 1)), dtype=np.int32).copy()
        indices = np.frombuffer(f.read(4 * nnz), dtype=np.int32).copy()
    return int(n_users), int(n_items), indptr, indices
