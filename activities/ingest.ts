import { join } from 'node:path';
import type { ConnectionSettings } from '../lib/config/env.ts';
import type { PipelineConfig } from '../lib/config/pipeline.ts';
import type { StageInput, StageRef } from '../lib/contracts/index.ts';
import {
  firstFileRead,
  ingestSource,
  itemsWithMetadata,
  parseItemsSource,
  parseSource,
  writeInteractionsParquet,
  writeItemsParquet,
  writeUsersParquet,
} from '../lib/data/index.ts';
import type { ItemsFile, SourceFiles } from '../lib/data/index.ts';
import type { ArtifactStore } from '../lib/store/index.ts';
import { offerIngested } from './local-handoff.ts';
import { openSource } from '../lib/data/source-files.ts';
import { runStage } from './stage-runner.ts';
import type { StageDefinition } from './stage-runner.ts';

export interface IngestConfig {
  data: PipelineConfig['data'];
  seed: number;
}

/**
 * ingest: source -> validated `interactions.parquet` (dense user/item indices, rating,
 * ts in seconds) + `users.parquet` and `items.parquet` (original IDs, titles, genres).
 */
export function ingestStage(s3: ConnectionSettings['s3']): StageDefinition<IngestConfig> {
  // The source is opened once per attempt: first to fingerprint it for the cache key; the
  // file parsed first keeps its bytes from that pass, so it is not read twice.
  // `data.items` likewise: its fingerprint joins the key, so a new metadata file re-ingests.
  const opened = new WeakMap<object, Promise<OpenedSource>>();
  const open = (cfg: IngestConfig) => {
    let o = opened.get(cfg);
    if (!o) {
      o = openBoth(cfg.data, s3);
      opened.set(cfg, o);
    }
    return o;
  };
  return {
    name: 'ingest',
    // 2: items.parquet also carries year and text. 3: the synthetic generator's styles
    // (a synthetic source writes other rows).
    source: import.meta.url,
    needs: [],
    extraIdentity: async ({ config }) => {
      const o = await open(config);
      return { source: o.fingerprint, ...(o.items ? { items: o.items.fingerprint } : {}) };
    },
    async run(ctx) {
      const t0 = Date.now();
      const spec = parseSource(ctx.config.data.source);
      const o = await open(ctx.config);
      ctx.heartbeat({ phase: 'reading' });
      const r = await ingestSource(
        spec,
        o.files,
        { policy: ctx.config.data.badRows, maxBadRowFraction: ctx.config.data.maxBadRowFraction },
        o.items?.file,
      );
      ctx.heartbeat({ phase: 'writing', rows: r.table.n });
      const interactions = join(ctx.workDir, 'interactions.parquet');
      const users = join(ctx.workDir, 'users.parquet');
      const items = join(ctx.workDir, 'items.parquet');
      // Together: the small files encode while the big one's pages compress.
      const [iw, uw, mw] = await Promise.all([
        writeInteractionsParquet(interactions, r.table),
        writeUsersParquet(users, r.users),
        writeItemsParquet(items, r.items, r.meta),
      ]);
      const seconds = (Date.now() - t0) / 1000;
      const tables = { table: r.table, users: r.users, items: r.items, meta: r.meta };
      return {
        kind: 'interactions',
        // Only once the files are published under this key (see local-handoff.ts).
        afterPublish: async () => offerIngested(ctx.key, tables),
        files: [
          {
            name: 'interactions.parquet',
            path: interactions,
            rows: r.table.n,
            schema: iw.schema,
            sha256: iw.sha256,
          },
          { name: 'users.parquet', path: users, rows: r.users.size, sha256: uw.sha256 },
          { name: 'items.parquet', path: items, rows: r.items.size, sha256: mw.sha256 },
        ],
        stats: {
          format: r.format,
          rows: r.table.n,
          rowsRead: r.rowsRead,
          users: r.users.size,
          items: r.items.size,
          itemsWithMetadata: itemsWithMetadata(r.meta),
          badRows: r.badRows.count,
          badRowSamples: r.badRows.samples,
          millisecondTimestamps: r.millisecondTimestamps,
          rowsPerSecond: Math.round(r.rowsRead / Math.max(seconds, 1e-3)),
        },
      };
    },
  };
}

export function ingestActivity(store: ArtifactStore, s3: ConnectionSettings['s3']) {
  const def = ingestStage(s3);
  return (input: StageInput<IngestConfig>): Promise<StageRef> => runStage(def, input, store);
}

interface OpenedSource {
  files: SourceFiles | undefined;
  fingerprint: string;
  items?: { file: ItemsFile; fingerprint: string };
}

/** The log's files and `data.items`' file (local or S3), each with its fingerprint. */
async function openBoth(
  data: IngestConfig['data'],
  s3: ConnectionSettings['s3'],
): Promise<OpenedSource> {
  const spec = parseSource(data.source);
  const [log, items] = await Promise.all([
    spec.kind === 'synthetic'
      ? { files: undefined, fingerprint: 'synthetic' }
      : openSource(spec.location, s3, (names) => firstFileRead(spec, names)),
    data.items ? openItems(data.items, s3) : undefined,
  ]);
  return { ...log, ...(items ? { items } : {}) };
}

async function openItems(
  source: string,
  s3: ConnectionSettings['s3'],
): Promise<{ file: ItemsFile; fingerprint: string }> {
  const { location, format } = parseItemsSource(source);
  const { files, fingerprint } = await openSource(location, s3, (names) => names[0]);
  return { file: { files, format, location }, fingerprint };
}
