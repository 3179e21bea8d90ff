"""The Python worker's stage work folders follow the TypeScript workers' scheme, so a starting
worker of either language removes what a killed one left, and nothing else."""

import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from recsys_worker.work_dirs import make_work_dir, remove_orphan_work_dirs


class WorkDirsTest(unittest.TestCase):
    def test_removes_the_folders_of_dead_processes_only(self):
        with tempfile.TemporaryDirectory() as d:
            root = Path(d) / "not-yet"
            mine = make_work_dir("trainGan", root)
            self.assertTrue(mine.name.startswith(f"augment-{os.getpid()}-trainGan-"))
            # A process that has exited: its PID is free.
            dead = subprocess.run(
                [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
            ).stdout.strip()
            orphan = root / f"augment-{dead}-retrainB-abc123"
            (orphan / "in" / "preprocess").mkdir(parents=True)
            (orphan / "in" / "preprocess" / "train.parquet").write_bytes(b"x")
            other = root / "augment-test-keep"
            other.mkdir()
            self.assertEqual(remove_orphan_work_dirs(root), [orphan.name])
            self.assertFalse(orphan.exists())
            self.assertTrue(mine.exists())
            self.assertTrue(other.exists())

    def test_the_root_comes_from_augment_work_dir(self):
        with tempfile.TemporaryDirectory() as d:
            old = os.environ.get("AUGMENT_WORK_DIR")
            os.environ["AUGMENT_WORK_DIR"] = d
            try:
                self.assertEqual(make_work_dir("trainGan").parent, Path(d))
            finally:
                if old is None:
                    del os.environ["AUGMENT_WORK_DIR"]
                else:
                    os.environ["AUGMENT_WORK_DIR"] = old


if __name__ == "__main__":
    unittest.main()
