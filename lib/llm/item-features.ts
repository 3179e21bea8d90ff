/**
 * Item side information as sparse feature vectors, for the no-LLM chooser: genres, release
 * decade, title words and free-text tags. Features shared by fewer than two items say nothing
 * about similarity and are left out; the rest are IDF-weighted and every item's vector has unit
 * length, so the dot product of two items is their cosine similarity.
 */
import type { ItemMeta } from '../data/table.ts';

/** Which metadata fields produced at least one feature. */
export type SideField = 'genres' | 'year' | 'title' | 'text';

export interface ItemFeatures {
  nItems: number;
  /** Features of item i: `indices[indptr[i] .. indptr[i+1])` with `values` (unit L2 norm). */
  indptr: Int32Array;
  indices: Int32Array;
  values: Float32Array;
  /** Feature names (`genre:comedy`, `decade:1990`, `title:love`, `text:noir`). */
  names: string[];
  /** Fields that contributed, in a fixed order; empty when the data has no metadata. */
  fields: SideField[];
  /** Items with at least one feature. */
  itemsWithFeatures: number;
}

/** Words too common in titles to say anything about an item. */
const STOP_WORDS = new Set(
  'the a an of and in on to for with from at by is it la le les el de der die das du des'.split(
    ' ',
  ),
);

/** Lower-case words of 3+ letters or digits, without a trailing `(1995)` or stop words. */
export function titleWords(title: string): string[] {
  const bare = title.replace(/\(\s*\d{4}\s*\)\s*$/, '').toLowerCase();
  const words = bare.match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words.filter((w) => w.length >= 3 && !STOP_WORDS.has(w)))];
}

/** Genre names of a pipe-separated list, lower case, `(no genres listed)` and blanks dropped. */
export function genreNames(genres: string): string[] {
  const names = genres
    .split('|')
    .map((g) => g.trim().toLowerCase())
    .filter((g) => g && g !== '(no genres listed)' && g !== 'unknown');
  return [...new Set(names)];
}

/** The raw features of one item, by field. */
export function rawFeatures(meta: ItemMeta, item: number): [SideField, string][] {
  const out: [SideField, string][] = [];
  for (const g of genreNames(meta.genres[item] ?? '')) out.push(['genres', `genre:${g}`]);
  const year = meta.year[item] ?? 0;
  if (year > 0) out.push(['year', `decade:${Math.floor(year / 10) * 10}`]);
  for (const w of titleWords(meta.title[item] ?? '')) out.push(['title', `title:${w}`]);
  for (const w of titleWords(meta.text[item] ?? '')) out.push(['text', `text:${w}`]);
  return out;
}

const FIELD_ORDER: readonly SideField[] = ['genres', 'year', 'title', 'text'];

/** Builds the feature matrix of `nItems` items (items past the metadata have none). */
export function itemFeatures(meta: ItemMeta, nItems: number): ItemFeatures {
  const perItem: [SideField, string][][] = [];
  const df = new Map<string, number>();
  for (let i = 0; i < nItems; i++) {
    const f = rawFeatures(meta, i);
    perItem.push(f);
    for (const [, name] of f) df.set(name, (df.get(name) ?? 0) + 1);
  }
  // Only features shared by two or more items, in first-seen order (deterministic ids).
  const id = new Map<string, number>();
  const names: string[] = [];
  for (const f of perItem)
    for (const [, name] of f)
      if (df.get(name)! >= 2 && !id.has(name)) {
        id.set(name, names.length);
        names.push(name);
      }
  const used = new Set<SideField>();
  const indptr = new Int32Array(nItems + 1);
  const indices: number[] = [];
  const values: number[] = [];
  let itemsWithFeatures = 0;
  for (let i = 0; i < nItems; i++) {
    const start = indices.length;
    for (const [field, name] of perItem[i]!) {
      const j = id.get(name);
      if (j === undefined) continue;
      used.add(field);
      indices.push(j);
      values.push(Math.log(nItems / df.get(name)!) + 1);
    }
    let norm = 0;
    for (let k = start; k < values.length; k++) norm += values[k]! * values[k]!;
    norm = Math.sqrt(norm);
    for (let k = start; k < values.length; k++) values[k] = values[k]! / norm;
    if (values.length > start) itemsWithFeatures++;
    indptr[i + 1] = indices.length;
  }
  return {
    nItems,
    indptr,
    indices: Int32Array.from(indices),
    values: Float32Array.from(values),
    names,
    fields: FIELD_ORDER.filter((f) => used.has(f)),
    itemsWithFeatures,
  };
}

/** What the stats and the report say about the side information a chooser had. */
export function describeSideInformation(f: ItemFeatures): { fields: string; note: string } {
  if (f.fields.length === 0)
    return {
      fields: 'none',
      note: 'The data has no item metadata (titles, genres, years, tags): this source has no information beyond the interactions.',
    };
  return {
    fields: f.fields.join(', '),
    note: `Item metadata (${f.fields.join(', ')}) for ${f.itemsWithFeatures} of ${f.nItems} items, ${f.names.length} features.`,
  };
}
