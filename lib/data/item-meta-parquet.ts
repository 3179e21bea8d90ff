/**
 * Item metadata from a Parquet file (`data.items: parquet:...` or a `.parquet` path): the
 * same columns as the delimited reader's, by name, with any integer or string ids.
 */
import { DataValidationError, quote } from './errors.ts';
import type { IdMap } from './id-map.ts';
import { ItemCoverage, yearOf } from './item-meta.ts';
import type { ItemFormat } from './item-meta.ts';
import { readParquetInput } from './parquet-input.ts';
import type { ReadColumn } from './parquet.ts';
import { emptyItemMeta } from './table.ts';
import type { ItemMeta } from './table.ts';

export async function readItemMetaParquet(
  source: string | Uint8Array,
  fmt: ItemFormat,
  items: IdMap,
  label: string,
): Promise<ItemMeta> {
  const t = await readParquetInput(source, label);
  const names = t.schema.map((c) => c.name);
  const column = (ref: string | number | undefined, required: boolean): ReadColumn | undefined => {
    if (ref === undefined) return undefined;
    const name = names.find((n) => n.toLowerCase() === String(ref).toLowerCase());
    if (name === undefined && required)
      throw new DataValidationError({
        file: label,
        column: String(ref),
        problem: `no column ${quote(String(ref))} (columns: ${names.map((n) => quote(n)).join(', ')})`,
        expected: `a Parquet column named ${quote(String(ref))}`,
      });
    return name === undefined ? undefined : t.columns[name];
  };
  const id = column(fmt.columns.id, true)!;
  const title = column(fmt.columns.title, !fmt.optionalColumns);
  const genres = column(fmt.columns.genres, false);
  const year = column(fmt.columns.year, false);
  const text = column(fmt.columns.text, false);
  if (t.rows === 0)
    throw new DataValidationError({
      file: label,
      problem: 'the file has no rows',
      expected: 'item metadata rows',
    });
  const sep = fmt.genreSeparator ?? '|';
  const meta = emptyItemMeta(items.size);
  const coverage = new ItemCoverage();
  for (let k = 0; k < t.rows; k++) {
    const raw = id[k];
    if (raw === null || raw === undefined) continue;
    const i = coverage.lookup(items, String(raw).trim());
    if (i < 0) continue;
    meta.title[i] = textAt(title, k);
    meta.genres[i] = textAt(genres, k).split(sep).filter(Boolean).join('|');
    meta.text[i] = textAt(text, k);
    const y = year?.[k];
    meta.year[i] = yearOf(y === null || y === undefined ? NaN : Number(y), meta.title[i]);
  }
  coverage.check(items, label, String(fmt.columns.id));
  return meta;
}

function textAt(col: ReadColumn | undefined, k: number): string {
  const v = col?.[k];
  return v === null || v === undefined ? '' : String(v).trim();
}
