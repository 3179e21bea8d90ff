/**
 * Ingest: a parsed source spec -> validated typed-array table, ID maps and item metadata.
 * Local files only: remote (`s3://`) locations must be downloaded by the caller first
 * (`withLocalPath`), so this module never touches the network.
 */
import { FAIL_ON_BAD_ROWS } from './errors.ts';
import type { BadRowPolicy, BadRowReport } from './errors.ts';
import { ingestSource } from './ingest-files.ts';
import type { ItemsFile } from './ingest-files.ts';
import type { ReadResult } from './interaction-parser.ts';
import { localSource } from './local-files.ts';
import { parseItemsSource, parseSource } from './sources.ts';
import type { SourceSpec } from './sources.ts';
import { itemsWithMetadata } from './table.ts';
import type { IdMaps, Interactions, ItemMeta } from './table.ts';

export interface IngestOptions {
  /** @default fail on the first bad row */
  badRows?: BadRowPolicy;
  /**
   * Optional item-metadata file (the config's `data.items`): a path, or
   * `csv:/path?id=..&title=..&genres=..&year=..&text=..&delimiter=..`. Overrides the
   * movies file of a MovieLens folder.
   */
  items?: string;
}

export interface IngestStats {
  /** `synthetic`, `ml-latest`, `ml-100k`, `ml-1m`, `delimited`, `parquet` or `jsonl`. */
  format: string;
  rows: number;
  /** Data rows read from the file (good and bad). */
  dataRows: number;
  users: number;
  items: number;
  hasRatings: boolean;
  hasTimestamps: boolean;
  /** Unit the source's timestamps were in (the table is always in seconds). */
  timestampUnit: 's' | 'ms' | 'none';
  /** Items with any metadata (title, genres, year or text). */
  itemsWithMetadata: number;
}

export interface IngestResult {
  table: Interactions;
  idMaps: IdMaps;
  meta: ItemMeta;
  stats: IngestStats;
  badRows: BadRowReport;
}

/**
 * Reads any supported source (a spec or a `data.source` string) from local files into
 * typed arrays, through `ingestSource` as the ingest activity does (streaming the files
 * rather than reading them whole). Bad input throws DataValidationError (never retryable);
 * under `badRows.policy = skip` bad rows are dropped, counted and sampled in `badRows`.
 */
export async function ingestToTable(
  source: SourceSpec | string,
  opts: IngestOptions = {},
): Promise<IngestResult> {
  const spec = typeof source === 'string' ? parseSource(source) : source;
  if (spec.kind !== 'synthetic' && spec.remote)
    throw new Error(
      `ingestToTable reads local files; download ${spec.location} first and pass withLocalPath(spec, path)`,
    );
  const files = spec.kind === 'synthetic' ? undefined : await localSource(spec.location);
  let items: ItemsFile | undefined;
  if (opts.items) {
    const parsed = parseItemsSource(opts.items);
    if (parsed.remote)
      throw new Error(`download ${parsed.location} first and pass a local path for data.items`);
    items = { ...parsed, files: await localSource(parsed.location) };
  }
  const r = await ingestSource(spec, files, opts.badRows ?? FAIL_ON_BAD_ROWS, items);
  return result(r.format, { ...r, dataRows: r.rowsRead }, r.meta);
}

function result(
  format: string,
  r: Pick<ReadResult, 'table' | 'users' | 'items' | 'dataRows' | 'badRows' | 'timestampUnit'>,
  meta: ItemMeta,
): IngestResult {
  const t = r.table;
  let hasRatings = false;
  let hasTimestamps = false;
  for (let k = 0; k < t.n && !(hasRatings && hasTimestamps); k++) {
    hasRatings ||= t.rating[k] === t.rating[k];
    hasTimestamps ||= t.ts[k] === t.ts[k];
  }
  return {
    table: t,
    idMaps: { users: r.users, items: r.items },
    meta,
    badRows: r.badRows,
    stats: {
      format,
      rows: t.n,
      dataRows: r.dataRows,
      users: r.users.size,
      items: r.items.size,
      hasRatings,
      hasTimestamps,
      timestampUnit: r.timestampUnit,
      itemsWithMetadata: itemsWithMetadata(meta),
    },
  };
}
