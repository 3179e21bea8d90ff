import { describe, expect, it } from 'vitest';
import {
  baselinesWantThread,
  evaluateBaselines,
} from '../../../lib/models/baselines/evaluate-baselines.ts';
import { syntheticSplits } from '../../helpers/synthetic-splits.ts';

const { data } = syntheticSplits({
  users: 1500,
  items: 800,
  interactions: 60_000,
  seed: 5,
  kCore: 5,
});
const options = { ks: [10, 20], coldThreshold: 5, tailFraction: 0.8 };

describe('evaluateBaselines', () => {
  it('gives the same summaries on a worker thread as on this one, with progress', async () => {
    expect(baselinesWantThread(data)).toBe(false);
    const here = await evaluateBaselines(data, options);
    expect(here.threaded).toBe(false);
    const seen = new Set<string>();
    const there = await evaluateBaselines(data, options, {
      threaded: true,
      onProgress: (name, done, total) => {
        expect(done).toBeLessThanOrEqual(total);
        seen.add(name);
      },
    });
    expect(there.threaded).toBe(true);
    expect(there.summaries).toEqual(here.summaries);
    expect([...seen].sort()).toEqual(['itemknn', 'popularity']);
    expect(there.summaries.itemknn.overall['ndcg@10']).toBeGreaterThan(
      there.summaries.popularity.overall['ndcg@10']! * 0.5,
    );
    for (const name of ['popularity', 'itemknn'] as const)
      expect(there.seconds[name]).toBeGreaterThan(0);
  }, 60_000);

  it('stops the thread when aborted, with the signal reason', async () => {
    const stop = new AbortController();
    const run = evaluateBaselines(data, options, {
      threaded: true,
      signal: stop.signal,
      onProgress: () => stop.abort(new Error('cancelled by the test')),
    });
    await expect(run).rejects.toThrow('cancelled by the test');
    await expect(
      evaluateBaselines(data, options, { threaded: true, signal: stop.signal }),
    ).rejects.toThrow('cancelled by the test');
  }, 60_000);
});
