/**
 * Checkpoints of long training stages. A checkpoint is written to the artifact store under
 * `checkpoints/<stage key>/`, and every later heartbeat names it, so Temporal keeps the
 * name in the activity's last heartbeat details. A retried attempt (after a worker crash,
 * a timeout or a transient error) reads that name back and resumes from it: at most one
 * checkpoint interval of work is lost.
 */
import { ArtifactCorruptedError, NotFoundError, joinKey } from '../lib/store/index.ts';
import type { StageContext } from './stage-runner.ts';

export interface CheckpointRef {
  checkpoint: string;
  checkpointEpoch: number;
  /** Its sha256, checked when an attempt resumes from it. */
  checkpointSha256?: string;
}

export interface Checkpointer {
  /** The state the previous attempt checkpointed last, or undefined on a fresh start. */
  resume(): Promise<{ state: Uint8Array; epoch: number } | undefined>;
  /** Stores a state and makes every following heartbeat name it. */
  save(state: Uint8Array, epoch: number): Promise<void>;
  /** Heartbeats progress, always with the current checkpoint's name. */
  heartbeat(details: Record<string, unknown>): void;
  /** Deletes this stage's checkpoints (after the stage output is complete). */
  clear(): Promise<number>;
}

export function createCheckpointer(ctx: StageContext<unknown>): Checkpointer {
  const prefix = joinKey('checkpoints', ctx.key);
  const prev = ctx.previousHeartbeat;
  let current: CheckpointRef | undefined =
    typeof prev?.checkpoint === 'string' && typeof prev.checkpointEpoch === 'number'
      ? {
          checkpoint: prev.checkpoint,
          checkpointEpoch: prev.checkpointEpoch,
          ...(typeof prev.checkpointSha256 === 'string'
            ? { checkpointSha256: prev.checkpointSha256 }
            : {}),
        }
      : undefined;
  // Only a checkpoint of this very stage output may be resumed from.
  if (current && !current.checkpoint.startsWith(`${prefix}/`)) current = undefined;
  const written: string[] = current ? [current.checkpoint] : [];

  return {
    async resume() {
      if (!current) return undefined;
      const sha = current.checkpointSha256;
      try {
        const state = await ctx.store.getBytes(
          current.checkpoint,
          sha ? { sha256: sha } : undefined,
        );
        return { state, epoch: current.checkpointEpoch };
      } catch (err) {
        // Gone (e.g. cleaned up by hand) or corrupted: start over rather than fail the stage;
        // training is seeded, so the output is the same, only later.
        if (err instanceof NotFoundError || err instanceof ArtifactCorruptedError) return undefined;
        throw err;
      }
    },
    async save(state, epoch) {
      const key = joinKey(prefix, `epoch-${String(epoch).padStart(6, '0')}.bin`);
      const put = await ctx.store.putBytes(key, state, { signal: ctx.signal });
      current = { checkpoint: key, checkpointEpoch: epoch, checkpointSha256: put.sha256 };
      ctx.heartbeat({ phase: 'checkpointed', ...current });
      // Heartbeats are throttled, so the server may still name the previous checkpoint
      // for a moment: keep the last two, delete older ones.
      written.push(key);
      while (written.length > 2) await ctx.store.deletePrefix(written.shift()!);
    },
    heartbeat(details) {
      ctx.heartbeat({ ...details, ...current });
    },
    clear() {
      return ctx.store.deletePrefix(prefix);
    },
  };
}
