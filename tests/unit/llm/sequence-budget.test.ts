import { describe, expect, it } from 'vitest';
import { timeOrderedHistories, trainSequenceModel } from '../../../lib/llm/index.ts';
import { trainingWindows } from '../../../lib/llm/sequences.ts';
import { syntheticSplits } from '../../helpers/synthetic-splits.ts';

const { pre, nUsers, nItems } = syntheticSplits({
  users: 200,
  items: 100,
  interactions: 8_000,
  seed: 2,
  kCore: 5,
});
const seqs = timeOrderedHistories(pre.train, nUsers);
const config = {
  dim: 8,
  window: 5,
  hidden: 8,
  epochs: 4,
  batchSize: 32,
  learningRate: 0.005,
  negatives: 16,
  seed: 3,
};

describe('item-sequence model with a stop hook (its seconds budget)', () => {
  it('trains the first epoch, then stops where the hook says, with the same first epoch', async () => {
    const asked: number[] = [];
    const cut = await trainSequenceModel(seqs, nItems, config, {
      shouldStop: () => {
        asked.push(asked.length);
        return asked.length >= 2;
      },
    });
    // Asked before epochs 2 and 3; the second answer ends training after two epochs.
    expect(asked).toHaveLength(2);
    expect(cut.history.map((h) => h.epoch)).toEqual([1, 2]);
    const whole = await trainSequenceModel(seqs, nItems, config, { shouldStop: () => false });
    expect(whole.history).toHaveLength(4);
    expect(cut.history[1]!.loss).toBe(whole.history[1]!.loss);
  }, 60_000);
});

describe('item-sequence model with maxWindows', () => {
  const short = { ...config, epochs: 2 };
  const windows = trainingWindows(seqs, config.window).length;

  it('is the whole epoch when the cap is at least the windows, a seeded sample below it', async () => {
    const whole = await trainSequenceModel(seqs, nItems, short);
    const capped = await trainSequenceModel(seqs, nItems, { ...short, maxWindows: windows });
    expect(capped.params.emb).toEqual(whole.params.emb);
    const sample = { ...short, maxWindows: Math.floor(windows / 4) };
    const a = await trainSequenceModel(seqs, nItems, sample);
    const b = await trainSequenceModel(seqs, nItems, sample);
    expect(a.params.emb).toEqual(b.params.emb);
    expect(a.params.emb).not.toEqual(whole.params.emb);
    expect(a.history.map((h) => h.loss)).not.toEqual(whole.history.map((h) => h.loss));
  }, 60_000);
});
