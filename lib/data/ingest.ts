import { DataValidationError } from './errors.ts';
import { detectLayout } from './movielens.ts';
import { readColumns } from './parquet.ts';
import type { ColumnValues } from './parquet.ts';
import { readInteractions, readItemMeta } from './readers.ts';
import type { BadRowPolicy } from './readers.ts';
import type { SourceSpec } from './sources.ts';
import { generateSynthetic } from './synthetic.ts';
import { IdMap } from './table.ts';
import type { Interactions, ItemMeta } from './table.ts';

/** Access to the files of a source location (a local folder or file, or an S3 prefix or key). */
export interface SourceFiles {
  /** File names directly under the location; empty when the location is one file. */
  list(): Promise<string[]>;
  /** Bytes of `name` under the location ('' = the location itself) and a label for errors. */
  read(name: string): Promise<{ bytes: Uint8Array; label: string }>;
}

export interface IngestResult {
  table: Interactions;
  users: IdMap;
  items: IdMap;
  meta: ItemMeta;
  format: string;
  rowsRead: number;
  badRows: { count: number; samples: string[] };
  millisecondTimestamps: number;
}

/** Reads any supported source into typed arrays with validated, dense IDs. */
export async function ingestSource(
  spec: SourceSpec,
  files: SourceFiles | undefined,
  bad: BadRowPolicy,
): Promise<IngestResult> {
  const none = { count: 0, samples: [] as string[] };
  if (spec.kind === 'synthetic') {
    const g = generateSynthetic(spec);
    return {
      ...g,
      format: 'synthetic',
      rowsRead: g.table.n,
      badRows: none,
      millisecondTimestamps: 0,
    };
  }
  if (!files) throw new Error(`source ${spec.kind} needs files`);
  if (spec.kind === 'movielens') {
    const names = await files.list();
    const layout = detectLayout(names);
    if (!layout) {
      throw new DataValidationError(
        spec.location,
        undefined,
        undefined,
        undefined,
        `a MovieLens folder with ratings.csv (ml-latest), u.data (ml-100k) or ratings.dat (ml-1m/10m); found ${
          names.length ? names.slice(0, 10).join(', ') : 'no files'
        }`,
      );
    }
    const pick = (base: string) => names.find((n) => n === base || n === `${base}.gz`);
    const rf = await files.read(pick(layout.ratingsFile)!);
    const r = readInteractions(rf.bytes, rf.label, layout.ratings, bad);
    const itemsName = pick(layout.itemsFile);
    let meta: ItemMeta = emptyMeta(r.items.size);
    if (itemsName) {
      const mf = await files.read(itemsName);
      meta = readItemMeta(mf.bytes, mf.label, layout.items, r.items);
    }
    return { ...r, meta, format: layout.name };
  }
  if (spec.kind === 'delimited') {
    const f = await files.read('');
    const r = readInteractions(
      f.bytes,
      f.label,
      { delimiter: spec.delimiter, header: spec.header, columns: spec.columns },
      bad,
    );
    return { ...r, meta: emptyMeta(r.items.size), format: 'delimited' };
  }
  const f = await files.read('');
  return { ...(await parquetSource(f.bytes, f.label, spec.columns)), format: 'parquet' };
}

async function parquetSource(
  bytes: Uint8Array,
  label: string,
  cols: { user: string; item: string; rating?: string; timestamp?: string },
): Promise<Omit<IngestResult, 'format'>> {
  const names = [cols.user, cols.item, cols.rating, cols.timestamp].filter((c): c is string => !!c);
  let data: Record<string, ColumnValues>;
  try {
    data = await readColumns(bytes, names, label);
  } catch (err) {
    throw new DataValidationError(
      label,
      undefined,
      undefined,
      undefined,
      `a Parquet file with columns ${names.join(', ')} (${(err as Error).message})`,
    );
  }
  const n = data[cols.user]!.length;
  const users = new IdMap();
  const items = new IdMap();
  const t: Interactions = {
    n,
    user: new Int32Array(n),
    item: new Int32Array(n),
    rating: new Float32Array(n).fill(NaN),
    ts: new Float64Array(n).fill(NaN),
  };
  const numeric = (c: string | undefined, k: number) =>
    c ? Number((data[c] as ArrayLike<unknown>)[k]) : NaN;
  for (let k = 0; k < n; k++) {
    const u = String((data[cols.user] as ArrayLike<unknown>)[k] ?? '');
    const it = String((data[cols.item] as ArrayLike<unknown>)[k] ?? '');
    if (!u)
      throw new DataValidationError(
        label,
        k + 1,
        cols.user,
        u,
        'a non-empty user ID (row number is 1-based)',
      );
    if (!it)
      throw new DataValidationError(
        label,
        k + 1,
        cols.item,
        it,
        'a non-empty item ID (row number is 1-based)',
      );
    t.user[k] = users.fromString(u);
    t.item[k] = items.fromString(it);
    const r = numeric(cols.rating, k);
    if (cols.rating && !Number.isFinite(r))
      throw new DataValidationError(label, k + 1, cols.rating, String(r), 'a finite rating');
    t.rating[k] = r;
    let ts = numeric(cols.timestamp, k);
    if (cols.timestamp && (!Number.isFinite(ts) || ts < 0))
      throw new DataValidationError(
        label,
        k + 1,
        cols.timestamp,
        String(ts),
        'a non-negative Unix timestamp',
      );
    if (ts >= 1e11) ts /= 1000;
    t.ts[k] = ts;
  }
  return {
    table: t,
    users,
    items,
    meta: emptyMeta(items.size),
    rowsRead: n,
    badRows: { count: 0, samples: [] },
    millisecondTimestamps: 0,
  };
}

function emptyMeta(n: number): ItemMeta {
  return { title: new Array<string>(n).fill(''), genres: new Array<string>(n).fill('') };
}
