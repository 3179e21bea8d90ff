import { describe, expect, it } from 'vitest';
import { Rng } from '../../../lib/training/random.ts';
import { sampleBprEpoch } from '../../../lib/models/bpr/bpr-samples.ts';
import { openEpochSampler } from '../../../lib/models/bpr/epoch-sampler.ts';
import { epochRng } from '../../../lib/training/training-loop.ts';
import { TrainingPairs } from '../../../lib/models/training-pairs.ts';
import type { TrainingSet } from '../../../lib/models/types.ts';

/** Users' positives and explicit negatives, inside a larger buffer (as readers hand them). */
function viewSet(nUsers: number, nItems: number, n: number, seed: number): TrainingSet {
  const rng = new Rng(seed);
  const pad = 7;
  const user = new Int32Array(n + 2 * pad).subarray(pad, pad + n);
  const item = new Int32Array(n + 2 * pad).subarray(pad, pad + n);
  const label = new Uint8Array(n);
  const weight = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    user[k] = rng.int(nUsers);
    item[k] = rng.int(nItems);
    label[k] = rng.next() < 0.9 ? 1 : 0;
    weight[k] = 0.5 + rng.next();
  }
  return { nUsers, nItems, n, user, item, label, weight };
}

describe('BPR-MF epoch samples', () => {
  const set = viewSet(300, 200, 6000, 5);
  const pairs = new TrainingPairs(set);

  it('are the draws of the batch-by-batch loop they replace', () => {
    const negatives = 2;
    const s = sampleBprEpoch(pairs, 9, 4, negatives);
    // The loop as it was: one generator per epoch, the order first, then a negative each.
    const rng = epochRng(9, 4);
    const order = pairs.shuffledPositives(rng);
    expect(s.n).toBe(order.length * negatives);
    for (let k = 0; k < s.n; k++) {
      const row = order[k % order.length]!;
      expect(s.user[k]).toBe(set.user[row]);
      expect(s.pos[k]).toBe(set.item[row]);
      expect(s.neg[k]).toBe(pairs.negative(set.user[row]!, rng));
      expect(s.weight[k]).toBe(set.weight[row]);
    }
  });

  it('are the same drawn on a worker thread, one epoch ahead', async () => {
    const threaded = openEpochSampler(pairs, 9, 1, true);
    const inline = openEpochSampler(pairs, 9, 1, false);
    expect([threaded.threaded, inline.threaded]).toEqual([true, false]);
    try {
      for (const epoch of [1, 2, 3, 5]) {
        const next = epoch === 3 ? 5 : epoch + 1;
        const a = await threaded.epoch(epoch, next);
        const b = await inline.epoch(epoch);
        expect(a).toEqual(b);
      }
    } finally {
      // Closing with epoch 6 still being drawn is fine.
      await threaded.epoch(4, 6);
      await threaded.close();
    }
  });

  it('are drawn in-thread below the size that pays for a thread', () => {
    const small = openEpochSampler(pairs, 1, 1);
    expect(small.threaded).toBe(false);
  });
});
