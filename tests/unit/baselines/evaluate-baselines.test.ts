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
    expect(there.chosen).toEqual(here.chosen);
    expect([...seen].sort()).toEqual(['ease', 'itemknn', 'popularity', 'rp3beta']);
    const ndcg = (name: 'popularity' | 'itemknn' | 'rp3beta' | 'ease') =>
      there.summaries[name]!.overall['ndcg@10']!;
    expect(ndcg('itemknn')).toBeGreaterThan(ndcg('popularity') * 0.5);
    // EASE's lambda was chosen among its candidates by validation NDCG@10 alone.
    const ease = there.chosen.ease as {
      lambda: number;
      candidates: { lambda: number; validNdcg10: number }[];
    };
    const best = ease.candidates.reduce((a, b) => (b.validNdcg10 > a.validNdcg10 ? b : a));
    expect(ease.lambda).toBe(best.lambda);
    expect(ndcg('ease')).toBeGreaterThan(ndcg('popularity'));
    const rp3 = there.chosen.rp3beta as {
      beta: number;
      candidates: { beta: number; validNdcg10: number }[];
    };
    expect(rp3.candidates.map((c) => c.beta)).toEqual([0, 0.25, 0.5, 0.75]);
    expect(rp3.beta).toBe(
      rp3.candidates.reduce((a, b) => (b.validNdcg10 > a.validNdcg10 ? b : a)).beta,
    );
    expect(ndcg('rp3beta')).toBeGreaterThan(ndcg('popularity'));
    for (const name of ['popularity', 'itemknn', 'rp3beta', 'ease'] as const)
      expect(there.seconds[name]).toBeGreaterThan(0);
    expect(there.skipped).toEqual({});
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
