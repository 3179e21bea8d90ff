import { describe, expect, it } from 'vitest';
import { gateVerdict, rowsOf } from '../../../lib/gan/gate.ts';

describe('the GAN source gate', () => {
  it('opens only for a generator strictly better than the baseline, and says why', () => {
    expect(gateVerdict(true, 0.12, 0.1, 'itemknn', 40).state).toBe('open');
    const closed = gateVerdict(true, 0.1, 0.1, 'itemknn', 40);
    expect(closed.state).toBe('closed');
    expect(closed.reason).toBe(
      'no rows: the generator is not better than itemknn (generator 0.1000 vs itemknn 0.1000 validation NDCG@10 on the 40 users it would augment)',
    );
    expect(gateVerdict(false, 0.01, 0.1, 'itemknn', 40).state).toBe('off');
    expect(gateVerdict(true, 0, 0, 'itemknn', 0).reason).toMatch(/no user to augment/);
  });

  it('restricts a split to the given users', () => {
    const csr = { indptr: Int32Array.of(0, 2, 3, 5), indices: Int32Array.of(1, 2, 0, 3, 4) };
    const r = rowsOf(csr, Int32Array.of(0, 2));
    expect(Array.from(r.indptr)).toEqual([0, 2, 2, 4]);
    expect(Array.from(r.indices)).toEqual([1, 2, 3, 4]);
  });
});
