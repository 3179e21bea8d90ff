/**
 * Data-stage benchmark: synthetic log -> ratings.csv on disk -> ingest (parse + validate
 * + write Parquet) -> preprocess (read Parquet, dedupe, k-core, split, write Parquet).
 * Prints rows/s per phase, end to end, and peak RSS.
 *
 *   npx tsx bench/data/run.ts [--rows 1000000] [--rows 10000000]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateSynthetic,
  ingestSource,
  preprocess,
  readInteractionsParquet,
  writeInteractions,
} from '../../lib/data/index.ts';
import type { Interactions, SourceFiles } from '../../lib/data/index.ts';

function toCsv(t: Interactions, path: string): void {
  // Chunked so the benchmark's own CSV writing does not dominate its memory.
  const chunks: string[] = ['userId,movieId,rating,timestamp\n'];
  let buf = '';
  for (let k = 0; k < t.n; k++) {
    buf += `${t.user[k]! + 1},${t.item[k]! + 1},${t.rating[k]},${t.ts[k]}\n`;
    if (buf.length > 1 << 20) {
      chunks.push(buf);
      buf = '';
    }
  }
  chunks.push(buf);
  writeFileSync(path, chunks.join(''));
}

async function bench(rows: number): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-data-'));
  try {
    const g = generateSynthetic({
      users: Math.round(rows / 50),
      items: Math.round(rows / 200),
      interactions: rows,
      seed: 1,
    });
    toCsv(g.table, join(dir, 'ratings.csv'));
    const files: SourceFiles = {
      list: async () => readdirSync(dir),
      read: async (name) => ({ bytes: readFileSync(join(dir, name)), label: name }),
    };
    const t0 = performance.now();
    const ing = await ingestSource({ kind: 'movielens', location: dir }, files, {
      policy: 'fail',
      maxBadRowFraction: 0,
    });
    const tParsed = performance.now();
    await writeInteractions(join(dir, 'interactions.parquet'), ing.table);
    const tIngest = performance.now();
    const table = await readInteractionsParquet(join(dir, 'interactions.parquet'));
    const tRead = performance.now();
    const s = preprocess(table, ing.users.size, ing.items.size, {
      positiveThreshold: 4,
      kCore: 5,
      split: 'leave-last-out',
      ratios: { train: 0.8, valid: 0.1, test: 0.1 },
      seed: 1,
    });
    const tPre = performance.now();
    for (const name of ['train', 'valid', 'test'] as const)
      await writeInteractions(join(dir, `${name}.parquet`), s[name]);
    const tEnd = performance.now();
    const rate = (ms: number) => Math.round(rows / (ms / 1000));
    return {
      rows,
      parseRowsPerSec: rate(tParsed - t0),
      parquetWriteRowsPerSec: rate(tIngest - tParsed),
      parquetReadRowsPerSec: rate(tRead - tIngest),
      preprocessRowsPerSec: rate(tPre - tRead),
      splitWriteSeconds: Number(((tEnd - tPre) / 1000).toFixed(2)),
      ingestSeconds: Number(((tIngest - t0) / 1000).toFixed(2)),
      preprocessSeconds: Number(((tEnd - tIngest) / 1000).toFixed(2)),
      endToEndRowsPerSec: rate(tEnd - t0),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const sizes: number[] = [];
for (let i = 2; i < process.argv.length; i++)
  if (process.argv[i] === '--rows') sizes.push(Number(process.argv[++i]));
for (const rows of sizes.length ? sizes : [1_000_000]) {
  const r = await bench(rows);
  console.log(
    `${(rows / 1e6).toFixed(1)}M rows: parse ${(r.parseRowsPerSec! / 1e6).toFixed(2)}M/s, parquet write ${(r.parquetWriteRowsPerSec! / 1e6).toFixed(2)}M/s, ` +
      `read ${(r.parquetReadRowsPerSec! / 1e6).toFixed(2)}M/s, preprocess ${(r.preprocessRowsPerSec! / 1e6).toFixed(2)}M/s; ` +
      `ingest ${r.ingestSeconds} s + preprocess ${r.preprocessSeconds} s = ${(r.endToEndRowsPerSec! / 1e6).toFixed(2)}M rows/s end to end; peak RSS ${r.peakRssMB} MB`,
  );
  console.log(JSON.stringify(r));
}
