/**
 * The no-LLM chooser: the item-sequence model reads the user's recent history and scores
 * each candidate as the next item; with item side information, the content similarity of
 * each candidate to the history is mixed in (weight chosen on validation, see
 * side-weight.ts). The highest score is liked, the lowest disliked. Its score is the liked
 * item's softmax probability among the candidates.
 */
import { contentScores, mixScores } from './content-scores.ts';
import type { ItemFeatures } from './item-features.ts';
import { encodeLast, itemScore } from './sequence-model.ts';
import type { SequenceModel } from './sequence-train.ts';
import { emptyUsage } from './types.ts';
import type { Choice, ChoiceRequest, Chooser, ChooserInfo, Usage } from './types.ts';

/** Side information the chooser mixes in, and with what weight (0 = the IDs alone). */
export interface SideInformation {
  features: ItemFeatures;
  weight: number;
}

/** The sequence model's score of every candidate of every request. */
export function sequenceScores(model: SequenceModel, batch: ChoiceRequest[]): Float64Array[] {
  const { shape, params } = model;
  const L = shape.window;
  const ids = new Int32Array(batch.length * L).fill(shape.nItems);
  batch.forEach((req, b) => {
    // history is most recent first; the last slot holds the most recent item.
    const n = Math.min(L, req.history.length);
    for (let s = 0; s < n; s++) ids[b * L + L - 1 - s] = req.history[s]!;
  });
  const y = batch.length ? encodeLast(shape, params, { size: batch.length, ids }) : null;
  return batch.map((req, b) =>
    Float64Array.from(req.candidates, (item) => itemScore(params, shape.dim, y!, b, item)),
  );
}

/** Liked = highest score, disliked = lowest; confidence = the liked item's softmax share. */
export function choiceOf(scores: ArrayLike<number>): Choice {
  const n = scores.length;
  if (n < 2) return { ok: false, reason: 'failed', detail: 'fewer than two candidates' };
  let liked = 0;
  let disliked = 0;
  for (let k = 1; k < n; k++) {
    if (scores[k]! > scores[liked]!) liked = k;
    if (scores[k]! < scores[disliked]!) disliked = k;
  }
  if (liked === disliked) return { ok: false, reason: 'same', detail: 'all candidates tie' };
  let z = 0;
  for (let k = 0; k < n; k++) z += Math.exp(scores[k]! - scores[liked]!);
  return { ok: true, liked, disliked, score: 1 / z };
}

export class SequenceChooser implements Chooser {
  readonly info: ChooserInfo;

  constructor(
    private readonly model: SequenceModel,
    private readonly side?: SideInformation,
  ) {
    const { dim, window } = model.shape;
    const withSide = side && side.weight > 0 ? `, with ${side.features.fields.join(', ')}` : '';
    this.info = {
      provider: 'sequence',
      model: `item-sequence transformer (dim ${dim}, window ${window}${withSide})`,
      fallback: true,
    };
  }

  usage(): Usage {
    return emptyUsage();
  }

  async choose(batch: ChoiceRequest[]): Promise<Choice[]> {
    const seq = sequenceScores(this.model, batch);
    const side = this.side;
    return batch.map((req, b) => {
      if (!side || side.weight === 0) return choiceOf(seq[b]!);
      const content = contentScores(side.features, req.history, req.candidates);
      return choiceOf(mixScores(seq[b]!, content, side.weight));
    });
  }
}
