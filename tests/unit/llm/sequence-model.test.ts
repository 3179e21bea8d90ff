import { describe, expect, it } from 'vitest';
import { initBackend } from '../../../lib/compute/backend.ts';
import { Rng } from '../../../lib/training/random.ts';
import {
  PARAM_NAMES,
  initParams,
  lossAndGradients,
  zerosLike,
} from '../../../lib/llm/sequence-model.ts';
import type { SequenceModelShape, TrainBatch } from '../../../lib/llm/sequence-model.ts';

describe('item-sequence transformer gradients', () => {
  it('match central finite differences for every parameter', async () => {
    await initBackend('cpu');
    const shape: SequenceModelShape = { nItems: 12, dim: 6, window: 4, hidden: 5 };
    const params = initParams(shape, new Rng(3));
    // Bigger weights than the init so every path carries signal.
    for (const n of PARAM_NAMES)
      for (let k = 0; k < params[n].length; k++) params[n][k] = params[n][k]! * 4;
    params.emb.fill(0, shape.nItems * shape.dim);
    const pad = shape.nItems;
    const batch: TrainBatch = {
      size: 2,
      ids: Int32Array.from([pad, pad, 3, 5, 1, 7, 2, 9]),
      targets: Int32Array.from([-1, -1, 5, 8, -1, 2, 9, 4]),
      negatives: Int32Array.from([0, 5, 11, 6]),
    };
    const grads = zerosLike(params);
    const { grads: g } = lossAndGradients(shape, params, batch, grads);
    const analytic = Object.fromEntries(PARAM_NAMES.map((n) => [n, g[n].slice()]));
    const scratch = zerosLike(params);
    const lossAt = () => lossAndGradients(shape, params, batch, scratch).loss;
    const rng = new Rng(9);
    let checked = 0;
    for (const name of PARAM_NAMES) {
      const p = params[name];
      const limit = name === 'emb' ? shape.nItems * shape.dim : p.length;
      for (let t = 0; t < 6; t++) {
        const k = rng.int(limit);
        const h = 1e-3;
        const keep = p[k]!;
        p[k] = keep + h;
        const up = lossAt();
        p[k] = keep - h;
        const down = lossAt();
        p[k] = keep;
        const numeric = (up - down) / (2 * h);
        const a = analytic[name]![k]!;
        expect(
          Math.abs(a - numeric),
          `${name}[${k}] analytic ${a} numeric ${numeric}`,
        ).toBeLessThan(2e-3 + 0.02 * Math.abs(numeric));
        checked++;
      }
    }
    expect(checked).toBe(PARAM_NAMES.length * 6);
  });
});
