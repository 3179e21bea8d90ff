import { describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../../lib/compute/backend.ts';
import { Rng } from '../../../lib/data/random.ts';
import { evaluateFullRankingAsync } from '../../../lib/eval/index.ts';
import { PopularityScorer } from '../../../lib/models/baselines/index.ts';
import { loadModel, trainRecommender } from '../../../lib/models/index.ts';
import type { TrainConfig, TrainingSet } from '../../../lib/models/index.ts';
import { NeuMfModel, initNeuMf, readNeuMf, tableShapes } from '../../../lib/models/neumf.ts';
import type { NeuMfWeights } from '../../../lib/models/neumf.ts';
import { neumfBatchGrads } from '../../../lib/models/neumf-train.ts';
import type { NeuMfBatch } from '../../../lib/models/neumf-train.ts';
import { expectExactResume } from '../../helpers/resume.ts';
import { syntheticSplits } from '../../helpers/synthetic-splits.ts';

/** The logit of (u, i), with plain loops: the reference for both the scorer and the gradients. */
function logit(w: NeuMfWeights, u: number, i: number): number {
  const f = w.factors;
  const t = w.tables;
  let x = t.h0![0]!;
  for (let k = 0; k < f; k++) x += t.userGmf![u * f + k]! * t.itemGmf![i * f + k]! * t.h![k]!;
  let z = [...t.userMlp!.subarray(u * f, u * f + f), ...t.itemMlp!.subarray(i * f, i * f + f)];
  w.layers.forEach((size, l) => {
    const W = t[`w${l + 1}`]!;
    const b = t[`b${l + 1}`]!;
    z = Array.from({ length: size }, (_, o) =>
      Math.max(
        0,
        z.reduce((s, v, j) => s + v * W[j * size + o]!, b[o]!),
      ),
    );
  });
  z.forEach((v, j) => (x += v * t.h![f + j]!));
  return x;
}

function lossOf(w: NeuMfWeights, b: NeuMfBatch, l2: number): number {
  let s = 0;
  let reg = 0;
  const f = w.factors;
  for (let k = 0; k < b.n; k++) {
    const x = logit(w, b.user[k]!, b.item[k]!);
    s += b.weight[k]! * (Math.log1p(Math.exp(-Math.abs(x))) + Math.max(x, 0) - b.target[k]! * x);
    for (const [name, id] of [
      ['userGmf', b.user[k]!],
      ['itemGmf', b.item[k]!],
      ['userMlp', b.user[k]!],
      ['itemMlp', b.item[k]!],
    ] as const)
      for (let q = 0; q < f; q++) reg += w.tables[name]![id * f + q]! ** 2;
  }
  return (s + l2 * reg) / b.n;
}

describe('NeuMF', () => {
  const shape = { nUsers: 4, nItems: 5, factors: 3, layers: [4, 3] };
  const rng = new Rng(11);
  const w = initNeuMf(shape, () => rng.normal());
  // Larger embeddings than the paper's init so every term matters in the check.
  for (const t of ['userGmf', 'itemGmf', 'userMlp', 'itemMlp'])
    w.tables[t]!.forEach((_, k, a) => (a[k] = 0.5 * rng.normal()));
  // Non-zero biases: with zero ones a sample whose first layer is all off sits exactly on a
  // ReLU kink in the second, where a finite difference sees half a slope.
  for (const t of ['b1', 'b2', 'h0'])
    w.tables[t]!.forEach((_, k, a) => (a[k] = 0.2 * rng.normal()));
  const batch: NeuMfBatch = {
    n: 6,
    user: Int32Array.of(0, 1, 2, 3, 0, 1),
    item: Int32Array.of(0, 1, 2, 3, 4, 1),
    target: Float32Array.of(1, 0, 1, 0, 1, 1),
    weight: Float32Array.of(1, 0.5, 1, 2, 1, 0.25),
  };

  it('has gradients that match central finite differences of the loss', async () => {
    await initBackend();
    const l2 = 0.01;
    const { loss, grads } = neumfBatchGrads(w, batch, l2);
    expect(loss).toBeCloseTo(lossOf(w, batch, l2), 5);
    const f = shape.factors;
    let checked = 0;
    for (const [name, rows, cols] of tableShapes(shape)) {
      const table = w.tables[name]!;
      for (let p = 0; p < rows * cols; p++) {
        // Analytic gradient of the parameter: embedding grads are per sample, summed per row.
        let g: number;
        if (name.startsWith('user') || name.startsWith('item')) {
          const ids = name.startsWith('user') ? batch.user : batch.item;
          const [row, k] = [Math.floor(p / f), p % f];
          g = 0;
          for (let s = 0; s < batch.n; s++) if (ids[s] === row) g += grads[name]![s * f + k]!;
        } else g = grads[name]![p]!;
        const keep = table[p]!;
        const eps = 1e-3;
        table[p] = keep + eps;
        const up = lossOf(w, batch, l2);
        table[p] = keep - eps;
        const down = lossOf(w, batch, l2);
        table[p] = keep;
        const numeric = (up - down) / (2 * eps);
        expect(Math.abs(g - numeric), `${name}[${p}]`).toBeLessThan(
          2e-4 + 2e-3 * Math.abs(numeric),
        );
        checked++;
      }
    }
    expect(checked).toBe(tableShapes(shape).reduce((s, [, r, c]) => s + r * c, 0));
  });

  it('scores every item like the per-pair forward pass, saves and loads back exactly', async () => {
    const model = await NeuMfModel.create(w);
    const out = new Float32Array(3 * shape.nItems);
    model.scoreUsers(Int32Array.of(2, 0, 3), out);
    [2, 0, 3].forEach((u, r) => {
      for (let i = 0; i < shape.nItems; i++)
        expect(out[r * shape.nItems + i]).toBeCloseTo(logit(w, u, i), 5);
    });
    const files = await model.save();
    expect(files.map((x) => x.name)).toEqual(['model.json', 'weights.bin']);
    const loaded = await loadModel(files);
    expect(loaded.family).toBe('neumf');
    const again = new Float32Array(3 * shape.nItems);
    await loaded.scoreUsers(Int32Array.of(2, 0, 3), again);
    expect(again).toEqual(out);
    loaded.dispose();
    model.dispose();

    const json = files[0]!;
    const bin = files[1]!;
    const wrong = new TextEncoder().encode(JSON.stringify({ format: 'other@9' }));
    await expect(loadModel([{ ...json, bytes: wrong }, bin])).rejects.toThrow(
      'model.json: unknown format other@9',
    );
    expect(() =>
      readNeuMf([json, { name: 'weights.bin', bytes: bin.bytes.subarray(0, 40) }]),
    ).toThrow(/weights.bin: expected \d+ bytes, got 40/);
  });

  // Small clustered data: NeuMF must learn who likes what, not just what is popular.
  const { pre, nUsers, nItems, data } = syntheticSplits({
    users: 600,
    items: 300,
    interactions: 30_000,
    seed: 5,
    kCore: 3,
  });
  const set: TrainingSet = {
    nUsers,
    nItems,
    n: pre.train.n,
    user: pre.train.user,
    item: pre.train.item,
    label: new Uint8Array(pre.train.n).fill(1),
    weight: new Float32Array(pre.train.n).fill(1),
  };
  const validation = { train: data.train, valid: data.valid };
  const config: TrainConfig = {
    family: 'neumf',
    factors: 16,
    epochs: 12,
    batchSize: 1024,
    learningRate: 0.005,
    l2: 1e-4,
    negatives: 4,
    mlpLayers: [32, 16],
    patience: 4,
    evalEvery: 1,
    seed: 7,
  };

  it('learns: test NDCG@10 well above popularity, without leaking tensors', async () => {
    const tensors = tf.memory().numTensors;
    const r = await trainRecommender(set, validation, config);
    expect(r.history.at(-1)!.loss).toBeLessThan(r.history[0]!.loss);
    expect(r.bestValidNdcg10).toBe(Math.max(...r.history.map((h) => h.validNdcg10 ?? 0)));
    const ndcg = async (s: Parameters<typeof evaluateFullRankingAsync>[1]) =>
      (await evaluateFullRankingAsync(data, s, { ks: [10] })).summary.overall['ndcg@10']!;
    const neumf = await ndcg(r.model);
    const pop = await ndcg(PopularityScorer.fit(data.train, nItems));
    expect(neumf).toBeGreaterThan(1.2 * pop);
    r.model.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  }, 60_000);

  it('resumes from a checkpoint exactly as if never interrupted', async () => {
    const short = { ...config, epochs: 4, patience: 10 };
    const saved = await expectExactResume(
      (hooks) => trainRecommender(set, validation, short, hooks),
      nItems,
    );
    // A checkpoint of another shape is refused, naming what it holds.
    await expect(
      trainRecommender(set, validation, { ...short, factors: 8 }, { resumeFrom: saved }),
    ).rejects.toThrow(/checkpoint does not match this training \(neumf .* factors 16/);
  }, 60_000);
});
