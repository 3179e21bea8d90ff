import { describe, expect, it } from 'vitest';
import {
  BATCH_LIMITS,
  MAX_PARAM_VALUE,
  checkKey,
  fitParam,
  fitValue,
  flattenParams,
  splitBatch,
} from '../../../lib/tracking/index.ts';
import type { Batch } from '../../../lib/tracking/index.ts';
import { decodeNumber, encodeMetric } from '../../../lib/tracking/batch.ts';

const metrics = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ key: `m${i % 7}`, value: i, timestamp: 1, step: i }));
const kvs = (n: number, p: string, value = (i: number) => String(i)) =>
  Array.from({ length: n }, (_, i) => ({ key: `${p}${i}`, value: value(i) }));
const bytesOf = (b: Batch) =>
  Buffer.byteLength(JSON.stringify({ run_id: 'x'.repeat(32), ...b }), 'utf8');

function expectWithinLimits(batches: Batch[], maxBytes: number = BATCH_LIMITS.bytes) {
  for (const b of batches) {
    expect(b.metrics.length).toBeLessThanOrEqual(BATCH_LIMITS.metrics);
    expect(b.params.length).toBeLessThanOrEqual(BATCH_LIMITS.params);
    expect(b.tags.length).toBeLessThanOrEqual(BATCH_LIMITS.tags);
    expect(b.metrics.length + b.params.length + b.tags.length).toBeLessThanOrEqual(
      BATCH_LIMITS.total,
    );
    expect(bytesOf(b)).toBeLessThanOrEqual(maxBytes);
  }
}

describe('log-batch splitting', () => {
  it('respects every count limit, keeps order, loses nothing, and uses the minimum calls', () => {
    const input = { metrics: metrics(2500), params: kvs(250, 'p'), tags: kvs(130, 't') };
    const batches = splitBatch(input);
    expectWithinLimits(batches);
    expect(batches.flatMap((b) => b.metrics)).toEqual(input.metrics);
    expect(batches.flatMap((b) => b.params)).toEqual(input.params);
    expect(batches.flatMap((b) => b.tags)).toEqual(input.tags);
    // Lower bound: max(ceil(250/100), ceil(130/100), ceil(2500/1000), ceil(2880/1000)) = 3.
    expect(batches).toHaveLength(3);
    // Params and tags ride in the first calls, metrics fill each call up to 1000 entities.
    expect(batches.map((b) => [b.params.length, b.tags.length, b.metrics.length])).toEqual([
      [100, 100, 800],
      [100, 30, 870],
      [50, 0, 830],
    ]);
  });

  it.each([
    [0, 0, 1, 1],
    [1000, 0, 0, 1],
    [1001, 0, 0, 2],
    [900, 100, 0, 1],
    [900, 100, 1, 2],
    [0, 101, 0, 2],
    [10_000, 0, 0, 10],
    [0, 0, 350, 4],
  ])('%i metrics + %i params + %i tags -> %i calls', (m, p, t, calls) => {
    const batches = splitBatch({ metrics: metrics(m), params: kvs(p, 'p'), tags: kvs(t, 't') });
    expectWithinLimits(batches);
    expect(batches).toHaveLength(calls);
  });

  it('makes no call for nothing', () => {
    expect(splitBatch({ metrics: [], params: [], tags: [] })).toEqual([]);
  });

  it('splits by request size when values are large (100 params of 6000 CJK chars)', () => {
    // 6000 x 3 UTF-8 bytes = 18 KB per param: 100 of them fit the counts but not 1 MB.
    const params = kvs(100, 'p', () => '中'.repeat(6000));
    const tags = kvs(100, 't', () => '語'.repeat(8000));
    const batches = splitBatch({ metrics: [], params, tags });
    expectWithinLimits(batches);
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.flatMap((b) => b.params)).toEqual(params);
    expect(batches.flatMap((b) => b.tags)).toEqual(tags);
  });

  it('honours a smaller byte budget', () => {
    const batches = splitBatch({ metrics: metrics(1000), params: [], tags: [] }, 10_000);
    expectWithinLimits(batches, 10_000);
    expect(batches.flatMap((b) => b.metrics)).toHaveLength(1000);
  });
});

describe('value truncation rule', () => {
  it('keeps values up to the limit untouched', () => {
    expect(fitValue('x'.repeat(MAX_PARAM_VALUE), MAX_PARAM_VALUE).cut).toBe(0);
    expect(fitParam('k', 5)).toMatchObject({ key: 'k', value: '5', cut: 0 });
  });

  it.each([MAX_PARAM_VALUE + 1, MAX_PARAM_VALUE + 100, 100_000, 1_000_000])(
    'cuts a %i-char value to exactly the limit with an honest marker',
    (n) => {
      const { value, cut } = fitValue('x'.repeat(n), MAX_PARAM_VALUE);
      expect(value.length).toBe(MAX_PARAM_VALUE);
      const m = /^(x+)\.\.\.\[truncated (\d+) chars\]$/.exec(value)!;
      expect(m).not.toBeNull();
      // What is kept plus what the marker says was cut is the whole value.
      expect(m[1]!.length + Number(m[2])).toBe(n);
      expect(Number(m[2])).toBe(cut);
    },
  );

  it('counts code points like the server and never splits a surrogate pair', () => {
    // 6000 emoji are 12000 UTF-16 units but 6000 characters to MLflow: kept whole.
    const emoji = '😀'.repeat(MAX_PARAM_VALUE);
    expect(fitValue(emoji, MAX_PARAM_VALUE)).toEqual({ value: emoji, cut: 0 });
    const { value, cut } = fitValue('😀'.repeat(MAX_PARAM_VALUE + 10), MAX_PARAM_VALUE);
    expect(Array.from(value)).toHaveLength(MAX_PARAM_VALUE);
    expect(value).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    expect(cut).toBeGreaterThan(10);
  });

  it("refuses instead of cutting with longParams 'error'", () => {
    expect(() => fitParam('k', 'y'.repeat(7000), 'error')).toThrow(/7000 characters.*6000/);
  });

  it('turns non-string params into text the same way everywhere', () => {
    expect(fitParam('a', true).value).toBe('true');
    expect(fitParam('a', null).value).toBe('null');
    expect(fitParam('a', [1, 'b']).value).toBe('[1,"b"]');
    expect(fitParam('a', { x: 1 }).value).toBe('{"x":1}');
  });
});

describe('keys and metric values', () => {
  it.each(['loss', 'train/loss', 'ndcg@10'.replace('@', '_'), 'a.b-c d:e', 'δ_1'])(
    'accepts %s',
    (k) => expect(checkKey('metric', k)).toBe(k),
  );

  it.each([
    ['', /empty/],
    ['k'.repeat(251), /longer than 250/],
    ['ndcg@10', /may only contain/],
    ['a//b', /normalised/],
    ['/abs', /normalised/],
    ['a/../b', /normalised/],
    ['..x', /normalised/],
    ['trailing/', /normalised/],
  ])('rejects %j', (k, msg) => {
    expect(() => checkKey('metric', k)).toThrow(msg);
  });

  it('sends NaN and infinities as the strings MLflow accepts, and reads them back', () => {
    const enc = (value: number) => encodeMetric({ key: 'm', value }, 5).value;
    expect([enc(NaN), enc(Infinity), enc(-Infinity), enc(0.5)]).toEqual([
      'NaN',
      'Infinity',
      '-Infinity',
      0.5,
    ]);
    expect(decodeNumber('NaN')).toBeNaN();
    expect(decodeNumber(1.5)).toBe(1.5);
  });

  it('defaults step to 0 and timestamp to now, and rejects bad ones', () => {
    expect(encodeMetric({ key: 'm', value: 1 }, 123)).toEqual({
      key: 'm',
      value: 1,
      step: 0,
      timestamp: 123,
    });
    expect(() => encodeMetric({ key: 'm', value: 1, step: 1.5 }, 1)).toThrow(/step/);
    expect(() => encodeMetric({ key: 'm', value: 1, timestamp: -1 }, 1)).toThrow(/timestamp/);
  });
});

describe('flattenParams', () => {
  it('flattens nested configs into dotted keys', () => {
    expect(
      flattenParams({
        seed: 1,
        preprocess: { kCore: 5, ratios: { train: 0.8 } },
        tags: ['a', 'b'],
        skipped: undefined,
      }),
    ).toEqual([
      { key: 'seed', value: '1' },
      { key: 'preprocess.kCore', value: '5' },
      { key: 'preprocess.ratios.train', value: '0.8' },
      { key: 'tags', value: '["a","b"]' },
    ]);
  });
});
