import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  generateSynthetic,
  writeInteractionsParquet,
  writeParquet,
} from '../../../lib/data/index.ts';
import { PROJECT_ROOT } from '../../../lib/stack/config.ts';
import { tempDir } from '../../helpers/tmp.ts';

/** Our Parquet must be ordinary Parquet: pyarrow (in the project venv via mlflow) reads it. */
describe('Parquet interoperability', () => {
  it('pyarrow reads interactions and string tables with the same values', async () => {
    const dir = tempDir();
    const g = generateSynthetic({ users: 50, items: 40, interactions: 1000, seed: 1 });
    await writeInteractionsParquet(join(dir, 'i.parquet'), g.table);
    await writeParquet(join(dir, 'items.parquet'), {
      item: Int32Array.from({ length: 40 }, (_, i) => i),
      title: g.meta.title,
    });
    const script = `
import json, sys, pyarrow.parquet as pq
t = pq.read_table(sys.argv[1]); m = pq.read_table(sys.argv[2])
print(json.dumps({"rows": t.num_rows, "types": [str(f.type) for f in t.schema],
  "user": t.column("user").to_pylist()[:20], "ts": t.column("ts").to_pylist()[:5],
  "codec": pq.ParquetFile(sys.argv[1]).metadata.row_group(0).column(0).compression,
  "titles": m.column("title").to_pylist()[:3]}))`;
    const out = JSON.parse(
      execFileSync(
        join(PROJECT_ROOT, '.venv', 'bin', 'python'),
        ['-c', script, join(dir, 'i.parquet'), join(dir, 'items.parquet')],
        {
          encoding: 'utf8',
        },
      ),
    );
    expect(out.rows).toBe(1000);
    expect(out.types).toEqual(['int32', 'int32', 'float', 'double']);
    expect(out.user).toEqual(Array.from(g.table.user.subarray(0, 20)));
    expect(out.ts).toEqual(Array.from(g.table.ts.subarray(0, 5)));
    expect(out.codec).toBe('SNAPPY');
    expect(out.titles).toEqual(g.meta.title.slice(0, 3));
  });
});
