import { describe, expect, it } from 'vitest';
import {
  BATCH_LIMITS,
  MAX_PARAM_VALUE,
  fitParam,
  flattenParams,
  splitBatch,
} from '../../../lib/tracking/index.ts';

const metrics = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ key: `m${i % 7}`, value: i, timestamp: 1, step: i }));
const kvs = (n: number, p: string) =>
  Array.from({ length: n }, (_, i) => ({ key: `${p}${i}`, value: String(i) }));

describe('log-batch splitting', () => {
  it('respects every MLflow limit and loses nothing', () => {
    const input = { metrics: metrics(2500), params: kvs(250, 'p'), tags: kvs(130, 't') };
    const batches = splitBatch(input);
    for (const b of batches) {
      expect(b.metrics.length).toBeLessThanOrEqual(BATCH_LIMITS.metrics);
      expect(b.params.length).toBeLessThanOrEqual(BATCH_LIMITS.params);
      expect(b.tags.length).toBeLessThanOrEqual(BATCH_LIMITS.tags);
      expect(b.metrics.length + b.params.length + b.tags.length).toBeLessThanOrEqual(
        BATCH_LIMITS.total,
      );
    }
    expect(batches.flatMap((b) => b.metrics)).toEqual(input.metrics);
    expect(batches.flatMap((b) => b.params)).toEqual(input.params);
    expect(batches.flatMap((b) => b.tags)).toEqual(input.tags);
    // 250 params need 3 calls; tags fill the room left; 2500 metrics need at least 3 more.
    expect(batches.length).toBeGreaterThanOrEqual(5);
    expect(batches.length).toBeLessThanOrEqual(7);
  });

  it('makes no call for nothing', () => {
    expect(splitBatch({ metrics: [], params: [], tags: [] })).toEqual([]);
  });
});

describe('params', () => {
  it('cuts over-long values visibly and keeps short ones', () => {
    expect(fitParam('k', 5)).toEqual({ key: 'k', value: '5' });
    const long = fitParam('k', 'x'.repeat(MAX_PARAM_VALUE + 100));
    expect(long.value.length).toBe(MAX_PARAM_VALUE);
    const m = /^(x+)\.\.\.\[truncated (\d+) chars\]$/.exec(long.value)!;
    expect(m).not.toBeNull();
    // What is kept plus what the marker says was cut is the whole value.
    expect(m[1]!.length + Number(m[2])).toBe(MAX_PARAM_VALUE + 100);
    expect(() => fitParam('k'.repeat(300), 1)).toThrow(/longer than 250/);
  });

  it('flattens nested configs into dotted keys', () => {
    expect(
      flattenParams({
        seed: 1,
        preprocess: { kCore: 5, ratios: { train: 0.8 } },
        tags: ['a', 'b'],
      }),
    ).toEqual([
      { key: 'seed', value: '1' },
      { key: 'preprocess.kCore', value: '5' },
      { key: 'preprocess.ratios.train', value: '0.8' },
      { key: 'tags', value: '["a","b"]' },
    ]);
  });
});
