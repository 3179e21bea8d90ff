/**
 * Reading the Parquet layouts of labeled (user, item) rows (training sets, synthetic rows):
 * the layout check, the id-space size from the footer and the columns both share.
 */
import { readParquet, typedColumn } from './parquet.ts';
import type { ParquetTable } from './parquet.ts';

export interface LabeledRowsFile {
  table: ParquetTable;
  /** How errors name the file. */
  name: string;
  /** A typed column of the file (checked type). */
  col<T extends Int32Array | Float32Array>(column: string, type: new (n: number) => T): T;
  rows: {
    n: number;
    nUsers: number;
    nItems: number;
    user: Int32Array;
    item: Int32Array;
    label: Uint8Array;
  };
}

/**
 * Reads a file that must carry footer `layout`; `what` names the layout in the error
 * (`a training set`), `fallbackName` names in-memory bytes.
 */
export async function readLabeledRows(
  source: string | Uint8Array,
  layout: string,
  what: string,
  fallbackName: string,
): Promise<LabeledRowsFile> {
  const table = await readParquet(source);
  const name = typeof source === 'string' ? source : fallbackName;
  if (table.metadata.layout !== layout)
    throw new Error(`${name} is not ${what} (layout ${table.metadata.layout ?? 'missing'})`);
  const col = <T extends Int32Array | Float32Array>(c: string, type: new (n: number) => T) =>
    typedColumn(table, c, type, name);
  return {
    table,
    name,
    col,
    rows: {
      n: table.rows,
      nUsers: Number(table.metadata.nUsers),
      nItems: Number(table.metadata.nItems),
      user: col('user', Int32Array),
      item: col('item', Int32Array),
      label: Uint8Array.from(col('label', Int32Array)),
    },
  };
}
