"""Stage work folders, the same scheme as activities/work-dirs.ts: below AUGMENT_WORK_DIR
(default: the OS temp dir), named `augment-<pid>-<stage>-...`. An attempt removes its own
folder, but a worker killed mid-stage (OOM, kill -9) cannot, and a training stage's folder
holds its input Parquet files; a starting worker (of either language) removes the folders
whose process is gone."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

_OWNED = re.compile(r"^augment-(\d+)-")


def work_root() -> Path:
    return Path(os.environ.get("AUGMENT_WORK_DIR") or tempfile.gettempdir())


def make_work_dir(stage: str, root: Path | None = None) -> Path:
    """A fresh folder for one attempt of `stage`, named after this process."""
    root = root or work_root()
    # AUGMENT_WORK_DIR may name a folder that does not exist yet.
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"augment-{os.getpid()}-{stage}-", dir=root))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, but belongs to someone else
    return True


def remove_orphan_work_dirs(root: Path | None = None) -> list[str]:
    """Removes the work folders of processes that no longer run; returns their names."""
    root = root or work_root()
    removed = []
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return removed
    for name in names:
        m = _OWNED.match(name)
        if not m or _alive(int(m.group(1))):
            continue
        shutil.rmtree(root / name, ignore_errors=True)
        removed.append(name)
    return removed
