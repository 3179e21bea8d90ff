import { describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../../lib/compute/backend.ts';
import { Rng } from '../../../lib/training/random.ts';
import { evaluateFullRankingAsync } from '../../../lib/eval/index.ts';
import { PopularityScorer } from '../../../lib/models/baselines/index.ts';
import { loadModel, trainRecommender } from '../../../lib/models/index.ts';
import type { TrainConfig, TrainingSet } from '../../../lib/models/index.ts';
import { NEUMF_FORMAT, NeuMfModel, loadNeuMf, readNeuMf } from '../../../lib/models/neumf/neumf.ts';
import { initNeuMf, tableShapes } from '../../../lib/models/neumf/neumf-weights.ts';
import type { NeuMfWeights } from '../../../lib/models/neumf/neumf-weights.ts';
import { neumfBatchGrads } from '../../../lib/models/neumf/neumf-train.ts';
import type { NeuMfBatch } from '../../../lib/models/neumf/neumf-train.ts';
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

    const direct = await loadNeuMf(files);
    const third = new Float32Array(3 * shape.nItems);
    direct.scoreUsers(Int32Array.of(2, 0, 3), third);
    expect(third).toEqual(out);
    direct.dispose();

    const json = files[0]!;
    const bin = files[1]!;
    const wrong = new TextEncoder().encode(JSON.stringify({ format: 'other@9' }));
    await expect(loadModel([{ ...json, bytes: wrong }, bin])).rejects.toThrow(
      'model.json: unknown format other@9',
    );
    await expect(loadNeuMf([{ ...json, bytes: wrong }, bin])).rejects.toThrow(
      `model.json: expected format ${NEUMF_FORMAT}, got other@9`,
    );
    const floats = tableShapes(shape).reduce((s, [, r, c]) => s + r * c, 0);
    const truncated = { name: 'weights.bin', bytes: bin.bytes.subarray(0, 40) };
    await expect(loadNeuMf([json, truncated])).rejects.toThrow(
      `weights.bin: expected ${floats * 4} bytes (${floats} float32 for 4 users x 5 items, factors 3, layers [4, 3]), got 40`,
    );
    expect(() => readNeuMf([json, truncated])).toThrow(/weights.bin: expected \d+ bytes/);
    const noLayers = new TextEncoder().encode(
      JSON.stringify({ format: NEUMF_FORMAT, config: { ...shape, layers: [] } }),
    );
    await expect(loadNeuMf([{ ...json, bytes: noLayers }, bin])).rejects.toThrow(
      'model.json: config {"nUsers":4,"nItems":5,"factors":3,"layers":[]} needs positive integers',
    );
  });

  it('scores in user and item chunks when one row of pairs exceeds the bound', async () => {
    // 1,100 items x 4,096 units is over 4M floats: 1,024 items per chunk, one user at a time.
    const big = { nUsers: 3, nItems: 1100, factors: 2, layers: [4096] };
    const r2 = new Rng(3);
    const wb = initNeuMf(big, () => r2.normal());
    for (const t of ['userGmf', 'itemGmf', 'userMlp', 'itemMlp', 'b1'])
      wb.tables[t]!.forEach((_, k, a) => (a[k] = 0.5 * r2.normal()));
    const model = await NeuMfModel.create(wb);
    const users = Int32Array.of(1, 2, 0);
    const out = new Float32Array(users.length * big.nItems).fill(Number.NaN);
    model.scoreUsers(users, out);
    model.dispose();
    users.forEach((u, r) => {
      for (let i = 0; i < big.nItems; i++) {
        const want = logit(wb, u, i);
        expect(Math.abs(out[r * big.nItems + i]! - want), `user ${u} item ${i}`).toBeLessThan(
          1e-4 * (1 + Math.abs(want)),
        );
      }
    });
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

  it('trains explicit negatives (label 0) with target 0 and their own weight', async () => {
    // Cold users (no positive row left) whose only rows are explicit negatives of the most
    // popular item: nothing but those rows can lower the item for them (sampled negatives
    // are drawn per positive row), and their weight sets how much.
    const count = new Int32Array(nItems);
    for (let k = 0; k < set.n; k++) count[set.item[k]!]!++;
    const target = count.indexOf(Math.max(...count));
    const cold = Int32Array.from({ length: nUsers }, (_, u) => u).filter((u) => u % 10 === 0);
    const keep = Int32Array.from({ length: set.n }, (_, k) => k).filter(
      (k) => set.user[k]! % 10 !== 0,
    );
    const withNegatives = (weight: number): TrainingSet => {
      const n = keep.length + (weight > 0 ? cold.length : 0);
      const s: TrainingSet = {
        nUsers,
        nItems,
        n,
        user: new Int32Array(n),
        item: new Int32Array(n).fill(target),
        label: new Uint8Array(n),
        weight: new Float32Array(n).fill(weight),
      };
      keep.forEach((row, k) => {
        s.user[k] = set.user[row]!;
        s.item[k] = set.item[row]!;
        s.label[k] = 1;
        s.weight[k] = 1;
      });
      if (weight > 0) s.user.set(cold, keep.length);
      return s;
    };
    const short = { ...config, epochs: 3, evalEvery: 3 };
    const meanTarget = async (weight: number) => {
      const r = await trainRecommender(withNegatives(weight), validation, short);
      // Each explicit negative is one sample of the epoch, besides the positives' groups.
      expect(r.history[0]!.samples).toBe(
        keep.length * (1 + config.negatives) + (weight > 0 ? cold.length : 0),
      );
      const out = new Float32Array(cold.length * nItems);
      await r.model.scoreUsers(cold, out);
      r.model.dispose();
      let s = 0;
      for (let k = 0; k < cold.length; k++) s += out[k * nItems + target]!;
      return s / cold.length;
    };
    const none = await meanTarget(0);
    const light = await meanTarget(0.05);
    const heavy = await meanTarget(5);
    expect(heavy).toBeLessThan(light - 1);
    expect(light).toBeLessThan(none);
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
