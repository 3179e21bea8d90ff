"""Runs one training stage without Temporal (for tests and by hand):

    python -m recsys_worker.run_stage trainGan|retrainA|retrainB INPUT.json STORE_URI

INPUT.json is the StageInput the workflow would send; prints the StageRef as JSON. Bad input
exits 3 with the error on stderr.
"""

import json
import sys
from pathlib import Path

from .state_io import BadArtifact


def main(argv: list[str]) -> int:
    from .activities import STAGES
    from .stage_runner import run_stage
    from .store import open_store

    stage, input_path, store_uri = argv
    if stage not in STAGES:
        print(f"unknown stage {stage!r}: expected one of {', '.join(STAGES)}", file=sys.stderr)
        return 2
    try:
        ref = run_stage(STAGES[stage], json.loads(Path(input_path).read_text()), open_store(store_uri))
    except BadArtifact as err:
        print(f"{type(err).__name__}: {err}", file=sys.stderr)
        return 3
    print(json.dumps(ref))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
