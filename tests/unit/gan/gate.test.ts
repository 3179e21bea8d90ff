import { describe, expect, it } from 'vitest';
import { gateVerdict } from '../../../lib/gan/gate.ts';

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
});
