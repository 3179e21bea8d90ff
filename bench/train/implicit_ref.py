"""The `implicit` library's BPR or ALS on the same positives (bench only): references for
lib/models/bpr-train.ts and lib/models/ials-train.ts. Prints one JSON line with its timings.

  .venv-bench/bin/python bench/train/implicit_ref.py --model bpr|als --data FILE --epochs 2 --threads 2
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "common"))
from csr_file import load_csr  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--factors", type=int, default=64)
    p.add_argument("--model", choices=["bpr", "als"], default="bpr")
    p.add_argument("--alpha", type=float, default=10.0)
    p.add_argument("--regularization", type=float, default=10.0)
    p.add_argument("--cg-steps", type=int, default=3)
    a = p.parse_args()
    import implicit
    from implicit.cpu.als import AlternatingLeastSquares
    from implicit.cpu.bpr import BayesianPersonalizedRanking

    n_users, n_items, indptr, indices = load_csr(a.data)
    matrix = sp.csr_matrix(
        (np.ones(len(indices), dtype=np.float32), indices, indptr), shape=(n_users, n_items)
    )
    with threadpool_limits(1, "blas"):
        if a.model == "bpr":
            model = BayesianPersonalizedRanking(
                factors=a.factors, iterations=a.epochs, num_threads=a.threads, random_state=1
            )
        else:
            # implicit's confidence is alpha x value (ours 1 + alpha x weight): alpha + 1 here.
            model = AlternatingLeastSquares(
                factors=a.factors,
                iterations=a.epochs,
                regularization=a.regularization,
                alpha=a.alpha + 1,
                use_cg=True,
                calculate_training_loss=False,
                num_threads=a.threads,
                random_state=1,
            )
            model.cg_steps = a.cg_steps  # an attribute, not a constructor argument
        t0 = time.perf_counter()
        model.fit(matrix, show_progress=False)
        seconds = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "implicit": implicit.__version__,
                "secondsPerEpoch": seconds / a.epochs,
                # BPR samples one (positive, negative) pair per stored positive per epoch;
                # ALS solves against every stored positive once per side.
                "samplesPerEpoch": int(len(indices)),
            }
        )
    )


if __name__ == "__main__":
    main()
