"""Validation NDCG@10 for early stopping, as lib/models/validation-score.ts computes it: full
ranking of every item, the user's train items excluded, binary gains, the mean over users
with validation items (a seeded sample of them when `validationUsers` caps it, drawn as
validation-sample.ts draws it).
"""

from dataclasses import dataclass

import numpy as np

from .rng import Rng

SAMPLE_STREAM = 0x5A17D
# lib/models/validation-sample.ts: users x items one validation pass ranks at most.
VALIDATION_CELLS = 250_000_000
MIN_VALIDATION_USERS = 1000
DISCOUNT = 1 / np.log2(np.arange(2, 12))


@dataclass
class Validation:
    train_indptr: np.ndarray
    train_indices: np.ndarray
    valid_indptr: np.ndarray
    valid_indices: np.ndarray
    users: np.ndarray


def validation_users_for(max_users: int, n_items: int) -> int:
    """The sample size early stopping uses, as validation-sample.ts's validationUsersFor."""
    if max_users <= 0:
        return 0
    return min(max_users, max(MIN_VALIDATION_USERS, VALIDATION_CELLS // max(1, n_items)))


def make_validation(train_indptr, train_indices, valid_indptr, valid_indices, max_users, seed) -> Validation:
    users = np.flatnonzero(np.diff(valid_indptr) > 0).astype(np.int64)
    if 0 < max_users < len(users):
        rng = Rng((seed ^ SAMPLE_STREAM) & 0xFFFFFFFF)
        for k in range(max_users):
            j = k + rng.int(len(users) - k)
            users[k], users[j] = users[j], users[k]
        users = np.sort(users[:max_users])
    return Validation(train_indptr, train_indices, valid_indptr, valid_indices, users)


def mean_ndcg10(v: Validation, score_rows, chunk: int = 1024) -> float:
    """NDCG@10 on the validation users of a model whose `score_rows(users)` gives one row of
    item scores per user, a block of users at a time."""
    train = (v.train_indptr, v.train_indices)
    valid = (v.valid_indptr, v.valid_indices)
    total = 0.0
    for start in range(0, len(v.users), chunk):
        us = v.users[start : start + chunk]
        total += ndcg10_of_scores(score_rows(us), us, train, valid) * len(us)
    return total / max(len(v.users), 1)


def validation_ndcg10(params: dict, v: Validation, chunk: int = 1024) -> float:
    """NDCG@10 of a factor model (users @ items.T + bias) on the validation users."""
    users_t = np.asarray(params["users"])
    items_t = np.asarray(params["items"])
    bias = np.asarray(params["bias"])
    return mean_ndcg10(v, lambda us: users_t[us] @ items_t.T + bias, chunk)


def ndcg10_of_scores(scores: np.ndarray, users, train, valid) -> float:
    """Mean NDCG@10 of score rows (one per user in `users`), train items excluded."""
    total = 0.0
    scores = np.array(scores, dtype=np.float32, copy=True)
    for r, u in enumerate(users):
        scores[r, train[1][train[0][u] : train[0][u + 1]]] = -np.inf
    top = np.argsort(-scores, axis=1, kind="stable")[:, :10]
    for r, u in enumerate(users):
        relevant = set(valid[1][valid[0][u] : valid[0][u + 1]].tolist())
        hits = np.array([t in relevant for t in top[r].tolist()], dtype=bool)
        total += float(DISCOUNT[: len(hits)][hits].sum() / DISCOUNT[: min(10, len(relevant))].sum())
    return total / max(len(users), 1)
