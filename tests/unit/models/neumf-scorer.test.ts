import { describe, expect, it } from 'vitest';
import { Rng } from '../../../lib/training/random.ts';
import { NeuMfModel } from '../../../lib/models/neumf/neumf.ts';
import { initNeuMf } from '../../../lib/models/neumf/neumf-weights.ts';
import type { NeuMfShape } from '../../../lib/models/neumf/neumf-weights.ts';
import { NeuMfSimdScorer } from '../../../lib/models/neumf/neumf-scorer.ts';

/** Weights with every term in play: large embeddings, non-zero biases. */
function weights(shape: NeuMfShape, seed: number) {
  const rng = new Rng(seed);
  const w = initNeuMf(shape, () => rng.normal());
  for (const t of ['userGmf', 'itemGmf', 'userMlp', 'itemMlp'])
    w.tables[t]!.forEach((_, k, a) => (a[k] = 0.5 * rng.normal()));
  for (const t of ['h0', ...shape.layers.map((_, l) => `b${l + 1}`)])
    w.tables[t]!.forEach((_, k, a) => (a[k] = 0.2 * rng.normal()));
  return w;
}

describe('NeuMF simd scorer', () => {
  // 150 items: two whole item blocks and a partial, odd one.
  for (const layers of [[12, 8], [8], [16, 8, 4]])
    it(`scores like the tfjs path (layers [${layers.join(', ')}])`, async () => {
      const shape = { nUsers: 7, nItems: 151, factors: 8, layers };
      const w = weights(shape, 5 + layers.length);
      const users = Int32Array.of(6, 0, 3, 3, 1);
      const score = async (scorer: 'simd' | 'tfjs') => {
        const model = await NeuMfModel.create(w, { scorer, threads: 1 });
        expect(model.scorer).toBe(scorer);
        const out = new Float32Array(users.length * shape.nItems).fill(Number.NaN);
        await model.scoreUsers(users, out);
        model.dispose();
        return out;
      };
      const want = await score('tfjs');
      const got = await score('simd');
      const scale = Math.max(...want.map(Math.abs));
      for (let k = 0; k < want.length; k++)
        expect(Math.abs(got[k]! - want[k]!), `pair ${k}`).toBeLessThan(1e-4 * scale);
    });

  it('gives the same bits on one thread and on two', async () => {
    const shape = { nUsers: 40, nItems: 300, factors: 8, layers: [12, 8] };
    const w = weights(shape, 9);
    const users = Int32Array.from({ length: 37 }, (_, k) => (k * 7) % shape.nUsers);
    const one = new Float32Array(users.length * shape.nItems);
    new NeuMfSimdScorer(w, { threads: 1 }).scoreUsers(users, one);
    const two = new NeuMfSimdScorer(w, { threads: 2, threadMinPairs: 0 });
    const out = new Float32Array(users.length * shape.nItems);
    // The worker joins once booted; score until it has taken part.
    const deadline = Date.now() + 20_000;
    let threaded = false;
    while (!threaded && Date.now() < deadline) {
      threaded = two.threaded;
      out.fill(Number.NaN);
      two.scoreUsers(users, out);
      expect(out).toEqual(one);
      if (!threaded) await new Promise((r) => setTimeout(r, 50));
    }
    two.dispose();
    expect(threaded).toBe(true);
  }, 30_000);

  it('scores the share of a worker that died on this thread, and goes on without it', async () => {
    const shape = { nUsers: 40, nItems: 300, factors: 8, layers: [12, 8] };
    const w = weights(shape, 9);
    const users = Int32Array.from({ length: 37 }, (_, k) => (k * 7) % shape.nUsers);
    const one = new Float32Array(users.length * shape.nItems);
    new NeuMfSimdScorer(w, { threads: 1 }).scoreUsers(users, one);
    const two = new NeuMfSimdScorer(w, { threads: 2, threadMinPairs: 0, workerStallMs: 300 });
    const out = new Float32Array(users.length * shape.nItems);
    two.scoreUsers(users, out); // starts the worker
    const deadline = Date.now() + 20_000;
    while (!two.threaded && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(two.threaded).toBe(true);
    // A crash the owner cannot see: the thread is gone while `ready` still says 1.
    await (two as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    out.fill(Number.NaN);
    two.scoreUsers(users, out);
    expect(out).toEqual(one);
    expect(two.threaded).toBe(false);
    out.fill(Number.NaN);
    two.scoreUsers(users, out);
    expect(out).toEqual(one);
    two.dispose();
  }, 30_000);
});
