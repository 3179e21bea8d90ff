import { describe, expect, it } from 'vitest';
import {
  SequenceChooser,
  timeOrderedHistories,
  trainSequenceModel,
} from '../../../lib/llm/index.ts';
import { heldOutChoices } from '../../../lib/llm/held-out-choices.ts';
import { syntheticSplits } from '../../helpers/synthetic-splits.ts';

describe('item-sequence fallback', () => {
  it("likes users' held-out validation items far more often than chance", async () => {
    const { pre, nUsers, nItems, data } = syntheticSplits({
      users: 1200,
      items: 600,
      interactions: 60_000,
      seed: 21,
      kCore: 5,
    });
    const seqs = timeOrderedHistories(pre.train, nUsers);
    const model = await trainSequenceModel(seqs, nItems, {
      dim: 32,
      window: 20,
      hidden: 64,
      epochs: 4,
      batchSize: 64,
      learningRate: 0.005,
      negatives: 256,
      seed: 3,
    });
    expect(model.history).toHaveLength(4);
    expect(model.history[3]!.loss).toBeLessThan(model.history[0]!.loss);

    // Candidates: the validation item among 9 random items the user has not seen.
    const { requests, truth } = heldOutChoices(seqs, data.valid, nItems, 8);
    const answers = await new SequenceChooser(model).choose(requests);
    let liked = 0;
    let disliked = 0;
    answers.forEach((a, k) => {
      if (!a.ok) return;
      if (requests[k]!.candidates[a.liked] === truth[k]) liked++;
      if (requests[k]!.candidates[a.disliked] === truth[k]) disliked++;
    });
    const n = requests.length;
    // Chance is 0.1 for both; the model should like the real next item, rarely dislike it.
    expect(n).toBeGreaterThan(500);
    expect(liked / n).toBeGreaterThan(0.3);
    expect(disliked / n).toBeLessThan(0.05);
  }, 120_000);
});
