import { ConfigError } from '../config/errors.ts';
import type { ColumnRef } from './readers.ts';

/**
 * `data.source` strings, parsed into a typed description. Where the bytes live (local
 * path, `file://`, `s3://`) is kept as a location; the ingest activity fetches remote
 * files to local disk before reading.
 */
export type SourceSpec =
  | {
      kind: 'synthetic';
      users: number;
      items: number;
      interactions: number;
      seed: number;
      clusters: number;
    }
  | { kind: 'movielens'; location: string }
  | {
      kind: 'delimited';
      location: string;
      delimiter: string;
      header: boolean;
      columns: { user: ColumnRef; item: ColumnRef; rating?: ColumnRef; timestamp?: ColumnRef };
    }
  | {
      kind: 'parquet';
      location: string;
      columns: { user: string; item: string; rating?: string; timestamp?: string };
    };

const FIELD = 'data.source';

function bad(value: string, expected: string): never {
  throw new ConfigError('config', [{ field: FIELD, value, expected }]);
}

function positiveInt(raw: string | undefined, name: string, source: string, dflt?: number): number {
  if (raw === undefined) {
    if (dflt !== undefined) return dflt;
    bad(source, `${name}=<positive integer> in the synthetic spec`);
  }
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0)
    bad(source, `${name} to be a positive integer (got "${raw}")`);
  return n;
}

/** Parses a `data.source` string; errors name the field and what was expected. */
export function parseSource(source: string): SourceSpec {
  const s = source.trim();
  if (s.startsWith('synthetic:') || s === 'synthetic') {
    const kv = new Map<string, string>();
    for (const part of s.slice('synthetic:'.length).split(',').filter(Boolean)) {
      const [k, v] = part.split('=');
      if (!k || v === undefined)
        bad(
          source,
          'key=value pairs, e.g. synthetic:users=1000,items=500,interactions=50000,seed=1',
        );
      kv.set(k.trim(), v.trim());
    }
    const known = ['users', 'items', 'interactions', 'seed', 'clusters'];
    for (const k of kv.keys())
      if (!known.includes(k)) bad(source, `synthetic keys among ${known.join(', ')} (got "${k}")`);
    const spec = {
      kind: 'synthetic' as const,
      users: positiveInt(kv.get('users'), 'users', source, 3000),
      items: positiveInt(kv.get('items'), 'items', source, 1500),
      interactions: positiveInt(kv.get('interactions'), 'interactions', source, 150_000),
      seed: kv.has('seed') ? Number(kv.get('seed')) : 42,
      clusters: positiveInt(kv.get('clusters'), 'clusters', source, 12),
    };
    if (!Number.isInteger(spec.seed) || spec.seed < 0)
      bad(source, 'seed to be a non-negative integer');
    if (spec.users < 2 || spec.items < 2) bad(source, 'at least 2 users and 2 items');
    return spec;
  }
  if (s.startsWith('movielens:'))
    return { kind: 'movielens', location: location(s.slice('movielens:'.length), source) };
  const m = /^(csv|tsv|parquet):(.*)$/.exec(s);
  if (m) {
    const [path, query = ''] = m[2]!.split('?');
    const q = new URLSearchParams(query);
    const loc = location(path!, source);
    const user = q.get('user');
    const item = q.get('item');
    if (!user || !item)
      bad(source, `${m[1]}:<path>?user=<column>&item=<column>[&rating=..][&timestamp=..]`);
    const opt = (k: string) => q.get(k) ?? undefined;
    if (m[1] === 'parquet') {
      return {
        kind: 'parquet',
        location: loc,
        columns: { user, item, rating: opt('rating'), timestamp: opt('timestamp') },
      };
    }
    const header = (q.get('header') ?? 'true') !== 'false';
    // Without a header, columns are 1-based positions.
    const col = (v: string | undefined): ColumnRef | undefined => {
      if (v === undefined || header) return v;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1)
        bad(source, `column positions (1-based) when header=false (got "${v}")`);
      return n - 1;
    };
    const delimiter = decodeDelimiter(q.get('delimiter') ?? (m[1] === 'tsv' ? '\t' : ','));
    return {
      kind: 'delimited',
      location: loc,
      delimiter,
      header,
      columns: {
        user: col(user)!,
        item: col(item)!,
        rating: col(opt('rating')),
        timestamp: col(opt('timestamp')),
      },
    };
  }
  // A bare location: a MovieLens folder (or file inside one).
  return { kind: 'movielens', location: location(s, source) };
}

function decodeDelimiter(d: string): string {
  return d === 'tab' || d === '\\t'
    ? '\t'
    : d === 'comma'
      ? ','
      : d === 'pipe'
        ? '|'
        : d === 'semicolon'
          ? ';'
          : d;
}

function location(raw: string, source: string): string {
  const loc = raw.trim();
  if (loc === '') bad(source, 'a path, file:// or s3:// location after the prefix');
  if (loc.startsWith('file://')) return loc.slice('file://'.length);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(loc) && !loc.startsWith('s3://')) {
    bad(source, `a local path, file:// or s3:// location (got scheme "${loc.split(':')[0]}")`);
  }
  return loc;
}
