import { join } from 'node:path';
import type { ConnectionSettings } from '../lib/config/env.ts';
import type { PipelineConfig } from '../lib/config/pipeline.ts';
import type { StageInput, StageRef } from '../lib/contracts/index.ts';
import {
  firstFileRead,
  ingestSource,
  parseSource,
  writeInteractionsParquet,
  writeItemsParquet,
  writeUsersParquet,
} from '../lib/data/index.ts';
import type { SourceFiles } from '../lib/data/index.ts';
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
  const opened = new WeakMap<object, Promise<{ files: SourceFiles; fingerprint: string }>>();
  const open = (cfg: IngestConfig) => {
    let o = opened.get(cfg);
    if (!o) {
      const spec = parseSource(cfg.data.source);
      o =
        spec.kind === 'synthetic'
          ? Promise.resolve({ files: undefined as never, fingerprint: 'synthetic' })
          : openSource(spec.location, s3, (names) => firstFileRead(spec, names));
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
    extraIdentity: async ({ config }) => ({ source: (await open(config)).fingerprint }),
    async run(ctx) {
      const t0 = Date.now();
      const spec = parseSource(ctx.config.data.source);
      const files = spec.kind === 'synthetic' ? undefined : (await open(ctx.config)).files;
      ctx.heartbeat({ phase: 'reading' });
      const r = await ingestSource(spec, files, {
        policy: ctx.config.data.badRows,
        maxBadRowFraction: ctx.config.data.maxBadRowFraction,
      });
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
