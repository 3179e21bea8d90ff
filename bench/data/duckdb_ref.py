"""DuckDB reference of the data stages (bench only): the same ratings.csv through the same
steps as lib/data - parse, dedupe (user, item) keeping the latest, positives (rating >= 4),
iterative 5-core, leave-last-out split (latest row test, second latest valid, users with
fewer than 3 rows all train; ties by item id), train/valid/test written as Parquet.
Prints one JSON line with its timings.

  .venv-bench/bin/python bench/data/duckdb_ref.py --csv ratings.csv --out DIR --threads 2
"""
import argparse
import json
import time

import duckdb


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--csv", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--k", type=int, default=5)
    a = p.parse_args()
    con = duckdb.connect()
    con.execute(f"SET threads = {a.threads}")
    t0 = time.perf_counter()
    con.execute(
        "CREATE TABLE r AS SELECT * FROM read_csv(?, header = true, columns = "
        "{'userId': 'INTEGER', 'movieId': 'INTEGER', 'rating': 'FLOAT', 'timestamp': 'BIGINT'})",
        [a.csv],
    )
    t_read = time.perf_counter()
    con.execute(
        "CREATE TABLE p AS SELECT userId AS u, movieId AS i, rating, timestamp AS ts FROM r "
        "QUALIFY row_number() OVER (PARTITION BY userId, movieId ORDER BY timestamp DESC) = 1"
    )
    con.execute("DELETE FROM p WHERE rating < 4")
    rounds = 0
    while True:
        rounds += 1
        before = con.execute("SELECT count(*) FROM p").fetchone()[0]
        con.execute(
            f"DELETE FROM p WHERE u IN (SELECT u FROM p GROUP BY u HAVING count(*) < {a.k}) "
            f"OR i IN (SELECT i FROM p GROUP BY i HAVING count(*) < {a.k})"
        )
        if con.execute("SELECT count(*) FROM p").fetchone()[0] == before:
            break
    con.execute(
        "CREATE TABLE s AS SELECT *, CASE WHEN n < 3 THEN 'train' WHEN k = 1 THEN 'test' "
        "WHEN k = 2 THEN 'valid' ELSE 'train' END AS split FROM ("
        "SELECT *, row_number() OVER (PARTITION BY u ORDER BY ts DESC, i DESC) AS k, "
        "count(*) OVER (PARTITION BY u) AS n FROM p)"
    )
    t_pre = time.perf_counter()
    for split in ("train", "valid", "test"):
        con.execute(
            f"COPY (SELECT u, i, rating, ts FROM s WHERE split = '{split}') "
            f"TO '{a.out}/{split}.parquet' (FORMAT parquet, COMPRESSION snappy)"
        )
    t_end = time.perf_counter()
    rows = con.execute("SELECT count(*) FROM r").fetchone()[0]
    print(
        json.dumps(
            {
                "duckdb": duckdb.__version__,
                "rows": rows,
                "readS": t_read - t0,
                "preprocessS": t_pre - t_read,
                "writeS": t_end - t_pre,
                "seconds": t_end - t0,
                "kCoreRounds": rounds,
                "rowsPerSec": rows / (t_end - t0),
            }
        )
    )


if __name__ == "__main__":
    main()
