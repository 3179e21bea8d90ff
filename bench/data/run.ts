/**
 * Data-layer benchmark: synthetic log -> ratings.csv on disk -> ingest (parse + validate
 * into typed arrays) -> preprocess (dedupe, positives, k-core, split) -> Parquet (train,
 * valid, test, users, items). Also times what the pipeline's activities add in between:
 * writing `interactions.parquet` after ingest and reading it back before preprocess.
 * Each size runs in its own process so the peak RSS is that size's own. With the bench venv
 * (`npm run bench:setup`), the same CSV also goes through DuckDB doing the same steps
 * (bench/data/duckdb_ref.py), and the ratio is printed.
 *
 *   npx tsx bench/data/run.ts                 # 1M and 10M rows
 *   npx tsx bench/data/run.ts --rows 1000000  # one size (repeatable)
 *   npx tsx bench/data/run.ts --rows 10000000 --csv-to DIR  # only write DIR/ratings.csv
 *
 * (`--csv-to` makes the input of `bench/pipeline/run.ts --source movielens:DIR`.)
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  generateSynthetic,
  ingestToTable,
  preprocess,
  readInteractionsParquet,
  writeInteractionsParquet,
  writeItemsParquet,
  writeUsersParquet,
} from '../../lib/data/index.ts';
import type { Interactions } from '../../lib/data/index.ts';
import { sizeName, writeBenchResult } from '../common/results.ts';

/** Writes the table as an ml-latest style ratings.csv (IDs 1-based, like MovieLens). */
function writeCsv(t: Interactions, path: string): void {
  const fd = openSync(path, 'w');
  writeSync(fd, 'userId,movieId,rating,timestamp\n');
  const BATCH = 65_536;
  for (let s = 0; s < t.n; s += BATCH) {
    const lines: string[] = [];
    for (let k = s; k < Math.min(t.n, s + BATCH); k++)
      lines.push(`${t.user[k]! + 1},${t.item[k]! + 1},${t.rating[k]},${t.ts[k]}\n`);
    writeSync(fd, lines.join(''));
  }
  closeSync(fd);
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;
/** CPU seconds (all threads) since `c0`: on a shared machine, wall time alone misleads. */
const cpu = (c0: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1e6;
};
const mRows = (rows: number, s: number) => `${(rows / s / 1e6).toFixed(2)}M rows/s`;

async function one(rows: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-data-'));
  try {
    let t = performance.now();
    // The generated table is not part of any stage: only its metadata outlives the CSV, so
    // the peak RSS below is the data path's (ingest's table, preprocess's splits, and the
    // interactions.parquet round trip, all in this one process), not the generator's.
    const { meta, genS } = (() => {
      const g = synthetic(rows);
      const s = seconds(t);
      writeCsv(g.table, join(dir, 'ratings.csv'));
      return { meta: g.meta, genS: s };
    })();
    const csvMB = statSync(join(dir, 'ratings.csv')).size / 1e6;

    t = performance.now();
    let c = process.cpuUsage();
    const ing = await ingestToTable(`movielens:${dir}`);
    const ingestS = seconds(t);
    const ingestCpu = cpu(c);
    t = performance.now();
    c = process.cpuUsage();
    const pre = preprocess(
      { table: ing.table, ...ing.idMaps, meta },
      { positiveThreshold: 4, kCore: 5, split: 'leave-last-out', seed: 1 },
    );
    const preS = seconds(t);
    const preCpu = cpu(c);
    t = performance.now();
    c = process.cpuUsage();
    for (const name of ['train', 'valid', 'test'] as const)
      await writeInteractionsParquet(join(dir, `${name}.parquet`), pre[name]);
    await writeUsersParquet(join(dir, 'users.parquet'), pre.users);
    await writeItemsParquet(join(dir, 'items.parquet'), pre.items, pre.meta);
    const writeS = seconds(t);
    const writeCpu = cpu(c);
    const coreS = ingestS + preS + writeS;
    const coreCpu = ingestCpu + preCpu + writeCpu;

    // What the activities add: interactions.parquet written by ingest, read by preprocess.
    t = performance.now();
    const w = await writeInteractionsParquet(join(dir, 'interactions.parquet'), ing.table);
    const interWriteS = seconds(t);
    t = performance.now();
    const back = await readInteractionsParquet(join(dir, 'interactions.parquet'));
    const interReadS = seconds(t);
    if (back.n !== ing.table.n) throw new Error('interactions.parquet round trip lost rows');
    const pipelineS = coreS + interWriteS + interReadS;
    const peakMB = Math.round(process.resourceUsage().maxRSS / 1024);
    const splitRows = pre.train.n + pre.valid.n + pre.test.n;

    console.log(
      `\n== ${(rows / 1e6).toFixed(1)}M interactions (${pre.stats.users} users, ${pre.stats.items} items after preprocess) ==`,
    );
    console.log(`synthetic generate      ${genS.toFixed(2)} s   ${mRows(rows, genS)}`);
    console.log(
      `ingest ratings.csv      ${ingestS.toFixed(2)} s   ${mRows(rows, ingestS)}   (${csvMB.toFixed(0)} MB; cpu ${ingestCpu.toFixed(2)} s)`,
    );
    console.log(
      `preprocess              ${preS.toFixed(2)} s   ${mRows(rows, preS)}   -> ${splitRows} rows (cpu ${preCpu.toFixed(2)} s)`,
    );
    console.log(
      `write split Parquet     ${writeS.toFixed(2)} s   ${mRows(splitRows, writeS)}   (cpu ${writeCpu.toFixed(2)} s, all threads)`,
    );
    console.log(
      `END TO END (csv -> split Parquet)            ${coreS.toFixed(2)} s   ${mRows(rows, coreS)}   (cpu ${coreCpu.toFixed(2)} s)`,
    );
    console.log(
      `interactions.parquet    write ${interWriteS.toFixed(2)} s (${mRows(rows, interWriteS)}, ${(w.bytes / 1e6).toFixed(0)} MB), read ${interReadS.toFixed(2)} s (${mRows(rows, interReadS)})`,
    );
    console.log(
      `END TO END incl. interactions.parquet       ${pipelineS.toFixed(2)} s   ${mRows(rows, pipelineS)}`,
    );
    console.log(
      `peak RSS                ${peakMB} MB   (machine load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores)`,
    );
    const duck = duckdbReference(join(dir, 'ratings.csv'), dir);
    if (duck)
      console.log(
        `DuckDB ${duck.duckdb} (same steps, 2 threads)  ${duck.seconds.toFixed(2)} s   ${mRows(rows, duck.seconds)}   ours/DuckDB ${(coreS / duck.seconds).toFixed(2)}x`,
      );
    const figures = {
      ...(duck
        ? { duckdbS: +duck.seconds.toFixed(3), oursVsDuckdb: +(coreS / duck.seconds).toFixed(2) }
        : {}),
      rows,
      generateS: +genS.toFixed(3),
      ingestS: +ingestS.toFixed(3),
      preprocessS: +preS.toFixed(3),
      writeSplitsS: +writeS.toFixed(3),
      endToEndRowsPerSec: Math.round(rows / coreS),
      endToEndCpuS: +coreCpu.toFixed(3),
      interactionsWriteS: +interWriteS.toFixed(3),
      interactionsReadS: +interReadS.toFixed(3),
      pipelineRowsPerSec: Math.round(rows / pipelineS),
      peakRssMB: peakMB,
    };
    await writeBenchResult(`data-${sizeName(rows)}`, figures);
    console.log(JSON.stringify(figures));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The same CSV through bench/data/duckdb_ref.py (DuckDB, from `npm run bench:setup`);
 * undefined when the bench venv is missing or the reference fails.
 */
function duckdbReference(
  csv: string,
  dir: string,
): { duckdb: string; seconds: number } | undefined {
  const python = join(import.meta.dirname, '..', '..', '.venv-bench', 'bin', 'python');
  if (!existsSync(python)) return undefined;
  const out = join(dir, 'duckdb');
  mkdirSync(out);
  try {
    const stdout = execFileSync(python, [
      join(import.meta.dirname, 'duckdb_ref.py'),
      '--csv',
      csv,
      '--out',
      out,
    ]).toString();
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as { duckdb: string; seconds: number };
  } catch (err) {
    // The reference is a comparison, not the figure: at the largest sizes it can run out of
    // memory beside this process's tables. Our figures are still written, without it.
    console.error(`DuckDB reference failed, left out: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

/** The synthetic log of `rows` rows, as generated for a benchmark of that size. */
function synthetic(rows: number) {
  return generateSynthetic({
    users: Math.round(rows / 50),
    items: Math.round(rows / 200),
    interactions: rows,
    seed: 1,
  });
}

const args = process.argv.slice(2);
const csvTo = args.indexOf('--csv-to');
if (csvTo >= 0) {
  const rows = args.includes('--rows') ? Number(args[args.indexOf('--rows') + 1]) : 10_000_000;
  const dir = args[csvTo + 1]!;
  mkdirSync(dir, { recursive: true });
  writeCsv(synthetic(rows).table, join(dir, 'ratings.csv'));
  console.log(`${join(dir, 'ratings.csv')}: ${rows} rows`);
} else if (args[0] === '--one') {
  await one(Number(args[1]));
} else {
  const sizes: number[] = [];
  for (let i = 0; i < args.length; i++) if (args[i] === '--rows') sizes.push(Number(args[++i]));
  for (const rows of sizes.length ? sizes : [1_000_000, 10_000_000]) {
    if (!Number.isInteger(rows) || rows < 1000)
      throw new Error(`--rows needs an integer >= 1000 (got ${rows})`);
    // A fresh process per size: peak RSS is then that size's own.
    execFileSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), '--one', String(rows)],
      { stdio: 'inherit' },
    );
  }
}
