/**
 * A worker-local hand-off from ingest to preprocess. The activities exchange the table
 * through `interactions.parquet` in the artifact store; when the same worker process runs
 * preprocess right after it ran ingest (the usual case on one machine), writing, uploading,
 * downloading and decoding that file again costs more than the preprocessing itself (10M
 * rows: ~4 s of ~7). So ingest leaves what it wrote here, keyed by its content-addressed
 * stage key, and preprocess takes it instead of reading the files. The published files
 * are the same either way; another worker, a retry or a cached ingest reads them as before.
 * `AUGMENT_WORKER_HANDOFF=0` turns it off (a worker then never holds a table in memory).
 * Nothing is read from the store here, so there is nothing to verify: these are the very
 * tables ingest serialized into the files its manifest hashes. A later change to the stored
 * copy is caught by the next reader of those files (verified reads) or `augment verify`.
 */
import type { IdMap, Interactions, ItemMeta } from '../lib/data/index.ts';

export interface IngestedTables {
  table: Interactions;
  users: IdMap;
  items: IdMap;
  meta: ItemMeta;
}

/** Unclaimed tables are dropped after this long (another worker ran preprocess). */
const TTL_MS = 10 * 60_000;

let held: { key: string; tables: IngestedTables; timer: NodeJS.Timeout } | undefined;

/** Holds the tables an ingest published under `key` (one at a time: the newest wins). */
export function offerIngested(key: string, tables: IngestedTables): void {
  release();
  if (process.env.AUGMENT_WORKER_HANDOFF === '0') return;
  const timer = setTimeout(release, TTL_MS);
  timer.unref();
  held = { key, tables, timer };
}

/** The tables of the ingest published under `key`, once; undefined if not held here. */
export function takeIngested(key: string): IngestedTables | undefined {
  if (held?.key !== key) return undefined;
  const { tables } = held;
  release();
  return tables;
}

function release(): void {
  if (held) clearTimeout(held.timer);
  held = undefined;
}
