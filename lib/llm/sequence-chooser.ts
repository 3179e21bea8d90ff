/**
 * The no-LLM chooser: the item-sequence model reads the user's recent history and scores
 * each candidate as the next item; the most likely is liked, the least likely disliked.
 * Its score is the liked item's softmax probability among the candidates.
 */
import { encodeLast, itemScore } from './sequence-model.ts';
import type { SequenceModel } from './sequence-train.ts';
import { emptyUsage } from './types.ts';
import type { Choice, ChoiceRequest, Chooser, ChooserInfo, Usage } from './types.ts';

export class SequenceChooser implements Chooser {
  readonly info: ChooserInfo;

  constructor(private readonly model: SequenceModel) {
    const { dim, window } = model.shape;
    this.info = {
      provider: 'sequence',
      model: `item-sequence transformer (dim ${dim}, window ${window})`,
      fallback: true,
    };
  }

  usage(): Usage {
    return emptyUsage();
  }

  async choose(batch: ChoiceRequest[]): Promise<Choice[]> {
    const { shape, params } = this.model;
    const L = shape.window;
    const ids = new Int32Array(batch.length * L).fill(shape.nItems);
    batch.forEach((req, b) => {
      // history is most recent first; the last slot holds the most recent item.
      const n = Math.min(L, req.history.length);
      for (let s = 0; s < n; s++) ids[b * L + L - 1 - s] = req.history[s]!;
    });
    const y = encodeLast(shape, params, { size: batch.length, ids });
    return batch.map((req, b) => {
      const n = req.candidates.length;
      if (n < 2) return { ok: false, reason: 'failed', detail: 'fewer than two candidates' };
      const scores = Array.from(req.candidates, (item) => itemScore(params, shape.dim, y, b, item));
      let liked = 0;
      let disliked = 0;
      for (let k = 1; k < n; k++) {
        if (scores[k]! > scores[liked]!) liked = k;
        if (scores[k]! < scores[disliked]!) disliked = k;
      }
      if (liked === disliked) return { ok: false, reason: 'same', detail: 'all candidates tie' };
      let z = 0;
      for (const s of scores) z += Math.exp(s - scores[liked]!);
      return { ok: true, liked, disliked, score: 1 / z };
    });
  }
}
