import { describe, expect, it } from 'vitest';
import { F64, I32, V128, localRun, namedLocals } from '../../../lib/compute/wasm-writer.ts';

describe('namedLocals', () => {
  it('numbers params then locals in declaration order, declaring locals as runs of one type', () => {
    const f = namedLocals(
      { rows: I32, count: I32 },
      { k: I32, at: I32, ...localRun('acc', 3, V128), zero: V128, sum: F64 },
    );
    expect(f.params).toEqual([I32, I32]);
    expect(f.locals).toEqual([
      [2, I32],
      [4, V128],
      [1, F64],
    ]);
    const l = f.index;
    expect([l.rows, l.count, l.k, l.at, l.acc0, l.zero, l.sum]).toEqual([0, 1, 2, 3, 4, 7, 8]);
  });

  it('gives a run consecutive indices after its first member', () => {
    const l = namedLocals(
      { a: I32 },
      { ...localRun('user', 2, V128), ...localRun('item', 4, V128) },
    ).index as Record<string, number>;
    expect(['user0', 'user1', 'item0', 'item1', 'item2', 'item3'].map((n) => l[n])).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
  });

  it('rejects a name declared twice and an empty run', () => {
    expect(() => namedLocals({ k: I32 }, { k: I32 })).toThrow(/duplicate local/);
    expect(() => localRun('acc', 0, V128)).toThrow(RangeError);
  });
});
