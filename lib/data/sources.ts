/**
 * `data.source` strings -> a typed description. Pure: nothing is opened here. Remote
 * locations (`s3://`) are kept as such; the caller downloads them and passes local paths
 * to the readers (`withLocalPath`).
 *
 * ```
 * synthetic:users=3000,items=1500,interactions=150000,seed=42[,clusters=12]
 * movielens:/data/ml-latest-small        (a folder; layout auto-detected)
 * csv:/data/log.csv.gz?user=uid&item=sku&rating=stars&timestamp=ts[&delimiter=;&header=false]
 * tsv:/data/log.tsv?user=1&item=2         (header=false: 1-based column positions)
 * parquet:/data/log.parquet?user=user_id&item=item_id
 * jsonl:/data/reviews.jsonl.gz?user=user_id&item=parent_asin&rating=rating&timestamp=timestamp
 * /data/ml-1m  |  file:///data/ml-1m  |  s3://bucket/prefix/ml-100k/  |  /data/log.parquet
 * ```
 */
import { ConfigError, closestKey } from '../config/errors.ts';
import type { ColumnRef, DelimitedFormat } from './interaction-parser.ts';
import type { ItemFormat, ParquetColumns } from './readers.ts';

/**
 * Where the bytes are: a local path (`file://` already stripped), or with `remote` set an
 * `s3://bucket/key` URI (key or prefix) that the caller must download first.
 */
export interface SourceLocation {
  location: string;
  remote: boolean;
}

export interface SyntheticSpec {
  kind: 'synthetic';
  users: number;
  items: number;
  interactions: number;
  seed: number;
  /** Taste clusters (and genres). @default 12 */
  clusters: number;
}

export type SourceSpec =
  | SyntheticSpec
  | ({ kind: 'movielens' } & SourceLocation)
  | ({ kind: 'delimited'; format: DelimitedFormat } & SourceLocation)
  | ({ kind: 'parquet'; columns: ParquetColumns; ratingRange?: [number, number] } & SourceLocation)
  | ({
      kind: 'jsonl';
      columns: ParquetColumns;
      ratingRange?: [number, number];
      /** Default field names: a line may leave out rating and timestamp. */
      optional?: boolean;
    } & SourceLocation);

const FIELD = 'data.source';
const SYNTHETIC_KEYS = ['users', 'items', 'interactions', 'seed', 'clusters'] as const;
const TABLE_KEYS = ['user', 'item', 'rating', 'timestamp', 'ratingMin', 'ratingMax'];
const DELIMITED_KEYS = [...TABLE_KEYS, 'delimiter', 'header', 'timestampUnit'];

/** `(got "itm"; did you mean item?)`, naming the option a typo most likely meant. */
function got(key: string, known: readonly string[]): string {
  const near = closestKey(key, [...known]);
  return `(got "${key}"${near ? `; did you mean ${near}?` : ''})`;
}

function bad(source: string, expected: string, field = FIELD): never {
  throw new ConfigError('config', [{ field, value: source, expected }]);
}

/** Parses a `data.source` string; errors name the field and what was expected. */
export function parseSource(source: string, field = FIELD): SourceSpec {
  const s = source.trim();
  if (s === '')
    bad(
      source,
      'a source such as synthetic:..., movielens:/dir, csv:/path?user=..&item=.., or a path',
      field,
    );
  if (s === 'synthetic' || s.startsWith('synthetic:')) return parseSynthetic(s, source, field);
  if (s.startsWith('movielens:'))
    return { kind: 'movielens', ...parseLocation(s.slice('movielens:'.length), source, field) };
  const m = /^(csv|tsv|parquet|jsonl):(.*)$/s.exec(s);
  if (m) return parseTable(m[1] as 'csv' | 'tsv' | 'parquet' | 'jsonl', m[2]!, source, field);
  // A bare location: decided by its name.
  const location = parseLocation(s, source, field);
  const name = location.location.replace(/\/+$/, '');
  if (/\.parquet$/i.test(name)) return parseTable('parquet', s, source, field);
  if (/\.(jsonl|ndjson)(\.gz)?$/i.test(name)) return parseTable('jsonl', s, source, field);
  if (/\.(csv|tsv|txt)(\.gz)?$/i.test(name) && !/(^|\/)ratings\.csv(\.gz)?$/.test(name))
    return parseTable(/\.tsv/i.test(name) ? 'tsv' : 'csv', s, source, field);
  return { kind: 'movielens', ...location };
}

function parseSynthetic(s: string, source: string, field: string): SyntheticSpec {
  const kv = new Map<string, string>();
  for (const part of s.slice('synthetic'.length).replace(/^:/, '').split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0)
      bad(
        source,
        `key=value pairs after "synthetic:" (got "${part}"), e.g. synthetic:users=1000,items=500,interactions=50000,seed=1`,
        field,
      );
    const k = part.slice(0, eq).trim();
    if (!(SYNTHETIC_KEYS as readonly string[]).includes(k))
      bad(
        source,
        `synthetic keys among ${SYNTHETIC_KEYS.join(', ')} ${got(k, SYNTHETIC_KEYS)}`,
        field,
      );
    kv.set(k, part.slice(eq + 1).trim());
  }
  const int = (key: string, dflt: number, min: number, max: number): number => {
    const raw = kv.get(key);
    if (raw === undefined) return dflt;
    const v = Number(raw.replace(/_/g, ''));
    if (!Number.isInteger(v) || v < min || v > max)
      bad(source, `synthetic ${key} to be an integer in [${min}, ${max}] (got "${raw}")`, field);
    return v;
  };
  const spec: SyntheticSpec = {
    kind: 'synthetic',
    users: int('users', 3000, 2, 50_000_000),
    items: int('items', 1500, 2, 10_000_000),
    interactions: int('interactions', 150_000, 1, 1_000_000_000),
    seed: int('seed', 42, 0, 2 ** 32 - 1),
    clusters: int('clusters', 12, 1, 64),
  };
  return spec;
}

function parseTable(
  kind: 'csv' | 'tsv' | 'parquet' | 'jsonl',
  rest: string,
  source: string,
  field: string,
): SourceSpec {
  const q = rest.indexOf('?');
  const location = parseLocation(q >= 0 ? rest.slice(0, q) : rest, source, field);
  const params = new URLSearchParams(q >= 0 ? rest.slice(q + 1) : '');
  const allowed = kind === 'parquet' || kind === 'jsonl' ? TABLE_KEYS : DELIMITED_KEYS;
  for (const key of params.keys())
    if (!allowed.includes(key))
      bad(source, `${kind} options among ${allowed.join(', ')} ${got(key, allowed)}`, field);
  const get = (k: string) => params.get(k) ?? undefined;
  const defaulted = !params.has('user') && !params.has('item');
  if (!defaulted && (!params.has('user') || !params.has('item')))
    bad(
      source,
      `both user= and item= columns in ${kind}:<path>?user=<column>&item=<column>[&rating=..][&timestamp=..]`,
      field,
    );
  const ratingRange = parseRange(get('ratingMin'), get('ratingMax'), source, field);
  if (kind === 'jsonl' || kind === 'parquet') {
    const columns = {
      user: get('user') ?? 'user',
      item: get('item') ?? 'item',
      rating: get('rating') ?? (defaulted ? 'rating' : undefined),
      timestamp: get('timestamp') ?? (defaulted ? 'timestamp' : undefined),
    };
    const range = ratingRange ? { ratingRange } : {};
    // A JSON line with default field names may leave out rating and timestamp.
    return kind === 'jsonl'
      ? { kind, ...location, columns, ...(defaulted ? { optional: true } : {}), ...range }
      : { kind, ...location, columns, ...range };
  }
  const headerRaw = get('header') ?? 'true';
  if (headerRaw !== 'true' && headerRaw !== 'false')
    bad(source, `header=true or header=false (got "${headerRaw}")`, field);
  const header = headerRaw === 'true';
  const col = (key: string): ColumnRef | undefined => {
    const v = get(key);
    if (v === undefined || header) return v;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1)
      bad(source, `${key}= to be a 1-based column position when header=false (got "${v}")`, field);
    return n - 1;
  };
  const unit = get('timestampUnit') ?? 'auto';
  if (unit !== 'auto' && unit !== 's' && unit !== 'ms')
    bad(source, `timestampUnit=auto, s or ms (got "${unit}")`, field);
  const format: DelimitedFormat = {
    delimiter: decodeDelimiter(get('delimiter') ?? (kind === 'tsv' ? '\t' : ','), source, field),
    header,
    columns: defaulted
      ? {
          user: header ? 'user' : 0,
          item: header ? 'item' : 1,
          rating: header ? 'rating' : undefined,
          timestamp: header ? 'timestamp' : undefined,
        }
      : {
          user: col('user')!,
          item: col('item')!,
          rating: col('rating'),
          timestamp: col('timestamp'),
        },
    timestampUnit: unit,
    ...(defaulted && header ? { optional: ['rating', 'timestamp'] as const } : {}),
    ...(ratingRange ? { ratingRange } : {}),
  };
  return { kind: 'delimited', ...location, format };
}

function parseRange(
  min: string | undefined,
  max: string | undefined,
  source: string,
  field: string,
): [number, number] | undefined {
  if (min === undefined && max === undefined) return undefined;
  const lo = min === undefined ? -Infinity : Number(min);
  const hi = max === undefined ? Infinity : Number(max);
  if (Number.isNaN(lo) || Number.isNaN(hi) || lo > hi)
    bad(source, `ratingMin <= ratingMax, both numbers (got "${min}", "${max}")`, field);
  return [lo, hi];
}

function decodeDelimiter(d: string, source: string, field: string): string {
  const names: Record<string, string> = {
    tab: '\t',
    '\\t': '\t',
    comma: ',',
    pipe: '|',
    semicolon: ';',
    space: ' ',
  };
  const out = names[d] ?? d;
  if (out === '' || /["\r\n]/.test(out))
    bad(source, `a delimiter that is not empty, a quote or a line break (got "${d}")`, field);
  return out;
}

/** Parses a location: a local path, `file://` URL, or `s3://bucket/key` URI. */
export function parseLocation(raw: string, source: string, field = FIELD): SourceLocation {
  const loc = raw.trim();
  if (loc === '') bad(source, 'a path, file:// URL or s3:// URI', field);
  if (loc.startsWith('file://')) {
    const path = decodeURIComponent(loc.slice('file://'.length).replace(/^localhost(?=\/)/, ''));
    if (!path.startsWith('/'))
      bad(source, 'an absolute path after file:// (file:///data/x.csv)', field);
    return { location: path, remote: false };
  }
  if (loc.startsWith('s3://')) {
    if (!/^s3:\/\/[a-z0-9][a-z0-9.-]{1,62}(\/.*)?$/.test(loc))
      bad(source, 's3://<bucket>/<key or prefix> with a valid bucket name', field);
    return { location: loc, remote: true };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(loc);
  if (scheme)
    bad(source, `a local path, file:// or s3:// location (got scheme "${scheme[1]}")`, field);
  return { location: loc, remote: false };
}

/** The same spec with its remote location replaced by a downloaded local path. */
export function withLocalPath(spec: SourceSpec, path: string): SourceSpec {
  if (spec.kind === 'synthetic') return spec;
  return { ...spec, location: path, remote: false };
}

const ITEMS_FIELD = 'data.items';

const ITEM_KEYS = [
  'id',
  'title',
  'genres',
  'year',
  'text',
  'delimiter',
  'header',
  'encoding',
  'genreSeparator',
];

/** Options of a Parquet item-metadata file: its columns are named, nothing else applies. */
const PARQUET_ITEM_KEYS = ['id', 'title', 'genres', 'year', 'text', 'genreSeparator'];

/**
 * Parses an item-metadata location: `path` or `csv:path?...` / `tsv:path?...` /
 * `parquet:path?...`, a local path, `file://` or `s3://` URI. Defaults: comma (tab for
 * tsv) with a header, columns `item` (or `id=`), and `title`, `genres`, `year`, `text`
 * when present.
 */
export function parseItemsSource(s: string): {
  location: string;
  remote: boolean;
  format: ItemFormat;
} {
  const m = /^(csv|tsv|parquet):(.*)$/s.exec(s.trim());
  const rest = m ? m[2]! : s.trim();
  const q = rest.indexOf('?');
  const loc = parseLocation(q >= 0 ? rest.slice(0, q) : rest, s, ITEMS_FIELD);
  const params = new URLSearchParams(q >= 0 ? rest.slice(q + 1) : '');
  const parquet = m?.[1] === 'parquet' || (!m && /\.parquet$/i.test(loc.location));
  const keys = parquet ? PARQUET_ITEM_KEYS : ITEM_KEYS;
  for (const key of params.keys())
    if (!keys.includes(key))
      bad(
        s,
        `data.items ${parquet ? 'Parquet ' : ''}options among ${keys.join(', ')} ${got(key, keys)}`,
        ITEMS_FIELD,
      );
  const tsv = m?.[1] === 'tsv' || /\.tsv(\.gz)?$/i.test(loc.location);
  const encodingRaw = params.get('encoding') ?? 'utf-8';
  if (encodingRaw !== 'utf-8' && encodingRaw !== 'latin1')
    bad(s, `encoding=utf-8 or encoding=latin1 (got "${encodingRaw}")`, ITEMS_FIELD);
  const headerRaw = params.get('header') ?? 'true';
  if (headerRaw !== 'true' && headerRaw !== 'false')
    bad(s, `header=true or header=false (got "${headerRaw}")`, ITEMS_FIELD);
  // A Parquet file's columns are always named (its options exclude header and encoding).
  const header = parquet || headerRaw === 'true';
  // By header name, or without a header by 1-based position (as data.source's columns).
  const col = (key: string, name: string): ColumnRef | undefined => {
    const v = params.get(key) ?? undefined;
    if (header) return v ?? name;
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1)
      bad(s, `${key}= to be a 1-based column position when header=false (got "${v}")`, ITEMS_FIELD);
    return n - 1;
  };
  if (!header && !params.has('id'))
    bad(s, 'id=<1-based column position> when header=false', ITEMS_FIELD);
  return {
    location: loc.location,
    remote: loc.remote,
    format: {
      ...(parquet ? { parquet: true } : {}),
      delimiter: decodeDelimiter(params.get('delimiter') ?? (tsv ? '\t' : ','), s, ITEMS_FIELD),
      header,
      encoding: encodingRaw,
      columns: {
        id: col('id', 'item')!,
        title: col('title', 'title'),
        genres: col('genres', 'genres'),
        year: col('year', 'year'),
        text: col('text', 'text'),
      },
      genreSeparator: params.get('genreSeparator') ?? '|',
      optionalColumns: !params.has('title'),
    },
  };
}
