/**
 * One epoch of BPR-MF's samples, drawn up front: positives in a seeded order (each
 * `negatives` times), each with a negative item, as columns. A function of (set, seed,
 * epoch) only - the same draws, in the same order, as drawing batch by batch - so it can run
 * ahead of training on another thread (epoch-sampler.ts) and a resumed run repeats it.
 */
import { epochRng } from '../../training/training-loop.ts';
import { RECORD } from '../training-pairs.ts';
import type { TrainingPairs } from '../training-pairs.ts';

export interface BprSamples {
  n: number;
  user: Int32Array;
  pos: Int32Array;
  neg: Int32Array;
  weight: Float32Array;
}

export function sampleBprEpoch(
  pairs: TrainingPairs,
  seed: number,
  epoch: number,
  negatives: number,
): BprSamples {
  const rng = epochRng(seed, epoch);
  const rec = pairs.shuffledRecords(rng);
  const weights = new Float32Array(rec.buffer);
  const end = rec.length;
  const n = (end / RECORD) * negatives;
  const out: BprSamples = {
    n,
    user: new Int32Array(n),
    pos: new Int32Array(n),
    neg: new Int32Array(n),
    weight: new Float32Array(n),
  };
  for (let k = 0, r = 0; k < n; k++) {
    const u = rec[r]!;
    out.user[k] = u;
    out.pos[k] = rec[r + 1]!;
    out.neg[k] = pairs.negative(u, rng);
    out.weight[k] = weights[r + 2]!;
    r += RECORD;
    if (r === end) r = 0;
  }
  return out;
}
