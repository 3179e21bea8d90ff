import { expect } from 'vitest';
import type { TrainHooks, TrainResult } from '../../lib/models/index.ts';

/**
 * Trains straight through, then again with a crash after the checkpoint of epoch 2, then
 * resumes from that checkpoint: the resumed run must repeat the straight one exactly
 * (losses and scores). Returns the checkpoint for further checks.
 */
export async function expectExactResume(
  train: (hooks?: TrainHooks) => Promise<TrainResult>,
  nItems: number,
): Promise<Uint8Array> {
  const straight = await train();
  let saved: Uint8Array | undefined;
  await expect(
    train({
      checkpointEvery: 2,
      onCheckpoint: (state, epoch) => {
        if (epoch === 2) saved = state;
      },
      onEpoch: (log) => {
        if (log.epoch === 3) throw new Error('worker crashed');
      },
    }),
  ).rejects.toThrow('worker crashed');
  const resumed = await train({ resumeFrom: saved });
  expect(resumed.history.map((h) => h.loss)).toEqual(straight.history.map((h) => h.loss));
  const a = new Float32Array(nItems);
  const b = new Float32Array(nItems);
  await straight.model.scoreUsers(Int32Array.of(5), a);
  await resumed.model.scoreUsers(Int32Array.of(5), b);
  expect(b).toEqual(a);
  return saved!;
}
