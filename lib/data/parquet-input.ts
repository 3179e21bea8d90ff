/**
 * Reading a Parquet file that is input (a user's log or item file, a stage's artifact) as
 * data: what cannot be read is a non-retryable DataValidationError naming the file, and a
 * missing column by name.
 */
import { DataValidationError, quote } from './errors.ts';
import { readParquet } from './parquet.ts';
import type { ParquetTable } from './parquet.ts';

/** {@link readParquet} of `columns` (absent: all), its failures as DataValidationErrors. */
export async function readParquetInput(
  source: string | Uint8Array,
  label: string,
  columns?: string[],
): Promise<ParquetTable> {
  try {
    return await readParquet(source, columns ? { columns } : {});
  } catch (err) {
    const msg = (err as Error).message;
    const missing = /no column "([^"]+)"/.exec(msg)?.[1];
    throw new DataValidationError({
      file: label,
      ...(missing ? { column: missing } : {}),
      problem: missing ? msg.replace(/^.*? has no column/, 'the file has no column') : msg,
      expected: missing
        ? `a Parquet column named ${quote(missing)}`
        : 'a readable Parquet file (snappy or uncompressed)',
    });
  }
}
