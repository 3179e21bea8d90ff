/**
 * The data layer: sources -> validated typed-array tables -> preprocessed splits -> Parquet.
 * Pure domain code plus local-file I/O; no Temporal, no S3 (callers download `s3://`
 * sources to a local path first).
 *
 * ```ts
 * const spec = parseSource(config.data.source);          // typed; remote = needs download
 * const ing = await ingestToTable(spec, { badRows, items: config.data.items });
 * const pre = preprocess({ table: ing.table, ...ing.idMaps, meta: ing.meta }, config.preprocess);
 * await writeInteractionsParquet(`${dir}/train.parquet`, pre.train);
 * ```
 */

// Tables and IDs
export { IdMap } from './id-map.ts';
export {
  allocInteractions,
  emptyItemMeta,
  itemsWithMetadata,
  filterRows,
  selectItemMeta,
  assertTable,
} from './table.ts';
export type { Interactions, ItemMeta, IdMaps } from './table.ts';

// Errors
export { DataValidationError, BadRowCollector, FAIL_ON_BAD_ROWS, formatProblem } from './errors.ts';
export type { BadRowPolicy, BadRowReport, ProblemLocation } from './errors.ts';

// Sources and ingest
export { parseItemsSource, parseSource, parseLocation, withLocalPath } from './sources.ts';
export type { SourceSpec, SourceLocation, SyntheticSpec } from './sources.ts';
export { ingestToTable } from './ingest.ts';
export type { IngestOptions, IngestResult, IngestStats } from './ingest.ts';
export { readDelimited, readParquetInteractions, readItemMeta } from './readers.ts';
export type { ReadOptions, ParquetColumns, ItemFormat } from './readers.ts';
export { InteractionParser } from './interaction-parser.ts';
export type { ColumnRef, DelimitedFormat, ReadResult } from './interaction-parser.ts';
export { MOVIELENS_LAYOUTS, detectLayout } from './movielens.ts';
export type { MovieLensLayout } from './movielens.ts';
export { generateSynthetic, GENRES, STYLE_SHARE } from './synthetic.ts';
export type { SyntheticData } from './synthetic.ts';

// Preprocess
export { preprocess } from './preprocess.ts';
export { checkPreprocessed } from './preprocess-check.ts';
export type { PreprocessConfig, PreprocessInput, PreprocessResult } from './preprocess.ts';
export { leaveLastOut, randomSplit, LEAVE_LAST_OUT_MIN_ROWS } from './split.ts';
export { computeStats, gini } from './stats.ts';
export type { DataStats } from './stats.ts';

// Parquet
export { writeParquet, readParquet, parquetBytes, schemaOf } from './parquet.ts';
export type { ColumnData, ParquetWriteOptions, ParquetTable, ReadColumn } from './parquet.ts';
export {
  writeInteractionsParquet,
  readInteractionsParquet,
  writeUsersParquet,
  readUsersParquet,
  writeItemsParquet,
  readItemsParquet,
} from './table-io.ts';
export type { WrittenTable } from './table-io.ts';

// Randomness
export { Rng, AliasTable } from '../training/random.ts';

// Ingest from bytes (sources in S3), used by the ingest activity.
export { firstFileRead, ingestSource } from './ingest-files.ts';
export type { SourceFiles, FilesIngestResult, ItemsFile } from './ingest-files.ts';

// Training sets (resample output, retrain input).
export { writeTrainingSetParquet, readTrainingSetParquet } from './training-set-io.ts';
export type { LabeledSet } from './training-set-io.ts';
export {
  readSyntheticParquet,
  writeSyntheticFile,
  writeSyntheticParquet,
} from './synthetic-set-io.ts';
export type { SyntheticRowsFile } from './synthetic-set-io.ts';
