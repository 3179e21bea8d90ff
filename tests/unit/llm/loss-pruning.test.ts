/**
 * LLMRec's denoising, end to end through the real code: expansion triples carry minus their
 * BPR loss under the base model, and resample's `dropRate` pruning removes the highest-loss
 * triples (both rows) and keeps the lowest-loss ones. Keeping the highest-loss triples
 * instead (as LLMRec's released code does) fails these tests.
 */
import { describe, expect, it } from 'vitest';
import { tripleLoss, expandUsers } from '../../../lib/llm/expand.ts';
import type { Choice, ChoiceRequest, Chooser } from '../../../lib/llm/index.ts';
import { emptyUsage } from '../../../lib/llm/types.ts';
import { csrFromCoo } from '../../../lib/eval/csr.ts';
import { resample, SOURCE } from '../../../lib/sampling/index.ts';
import { config } from '../sampling/fixtures.ts';

/** Always likes candidate 0 and dislikes candidate 1, whatever their base-model scores. */
class FirstTwoChooser implements Chooser {
  readonly info = { provider: 'sequence' as const, model: 'first two', fallback: true };
  usage() {
    return emptyUsage();
  }
  choose(batch: ChoiceRequest[]): Promise<Choice[]> {
    return Promise.resolve(batch.map(() => ({ ok: true, liked: 0, disliked: 1, score: 1 })));
  }
}

describe('tripleLoss', () => {
  it('is the BPR loss -log sigmoid(margin), finite for extreme margins', () => {
    for (const m of [-3, -0.5, 0, 0.5, 3])
      expect(tripleLoss(m)).toBeCloseTo(-Math.log(1 / (1 + Math.exp(-m))), 12);
    expect(tripleLoss(800)).toBe(0);
    expect(tripleLoss(-800)).toBeCloseTo(800, 9);
    expect(tripleLoss(-1)).toBeGreaterThan(tripleLoss(1));
  });
});

describe('loss-based pruning of LLM triples', () => {
  it('drops the highest-loss triples, liked and disliked rows together', async () => {
    // 10 users, each with one real item (100 + u); candidates 0 and 1 are items 2u and 2u+1.
    // The base model's margin liked - disliked is u - 5: user 0's triple has the highest
    // loss (the model prefers the disliked item by 5), user 9's the lowest.
    const nUsers = 10;
    const nItems = 120;
    const users = Int32Array.from({ length: nUsers }, (_, u) => u);
    const history = csrFromCoo(
      users,
      Int32Array.from(users, (u) => 100 + u),
      nUsers,
      nUsers,
    );
    const candidates = {
      perUser: 2,
      items: Int32Array.from({ length: 2 * nUsers }, (_, k) => k),
      scores: Float32Array.from({ length: 2 * nUsers }, (_, k) =>
        k % 2 === 0 ? Math.floor(k / 2) : 5,
      ),
    };
    const expanded = await expandUsers(users, history, candidates, new FirstTwoChooser(), {
      batchSize: 4,
      maxHistory: 10,
    });
    expect(expanded.triples).toBe(nUsers);
    const rows = expanded.rows;
    // Both rows of user u's triple carry -loss(u - 5).
    for (let k = 0; k < rows.n; k++)
      expect(rows.plausibility[k]).toBeCloseTo(-tripleLoss(rows.user[k]! - 5), 6);

    const res = resample(
      {
        nUsers,
        nItems,
        train: { n: nUsers, user: users, item: Int32Array.from(users, (u) => 100 + u) },
        synthetic: [
          {
            source: 'llm',
            n: rows.n,
            user: rows.user.subarray(0, rows.n),
            item: rows.item.subarray(0, rows.n),
            label: rows.label.subarray(0, rows.n),
            score: rows.score.subarray(0, rows.n),
            plausibility: rows.plausibility.subarray(0, rows.n),
          },
        ],
      },
      config({ dropRate: 0.3, syntheticShare: 0.9, maxSyntheticPerUser: 10 }),
      1,
    );
    const likedUsers: number[] = [];
    const dislikedUsers: number[] = [];
    for (let k = 0; k < res.b.n; k++) {
      if (res.b.source[k] !== SOURCE.llm) continue;
      (res.b.label[k] === 1 ? likedUsers : dislikedUsers).push(res.b.user[k]!);
    }
    // floor(0.3 * 10) = 3 triples go: users 0, 1, 2, whose triples have the highest loss.
    expect(likedUsers).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(dislikedUsers).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(res.report.drops.llm.pruned).toBe(6);
  });
});
