"""Top-K lists of users from an MLflow model, through mlflow.pyfunc (the python_function flavor).

Usage: python pyfunc_predict.py MODEL_URI USER [USER ...]
MODEL_URI is a local directory or `models:/<name>@<alias>` (MLFLOW_TRACKING_URI from the
environment). Prints JSON: {"columns": [...], "rows": [[user, rank, item, score], ...]}.
"""

import json
import sys
import tempfile

import mlflow.pyfunc
import pandas as pd


def main() -> None:
    uri, users = sys.argv[1], sys.argv[2:]
    # A registry URI is downloaded first: into a folder removed on the way out, not a temp
    # folder of mlflow's that outlives the process.
    with tempfile.TemporaryDirectory(prefix="pyfunc-predict-") as dst:
        model = mlflow.pyfunc.load_model(uri, dst_path=dst)
        out = model.predict(pd.DataFrame({"user_id": users}))
    rows = [
        [str(r.user), int(r.rank), str(r.item), float(r.score)] for r in out.itertuples(index=False)
    ]
    json.dump({"columns": list(out.columns), "rows": rows}, sys.stdout)


if __name__ == "__main__":
    main()
