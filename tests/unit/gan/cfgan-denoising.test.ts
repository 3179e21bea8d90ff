import { describe, expect, it } from 'vitest';
import { csrFromCoo } from '../../../lib/eval/index.ts';
import { saveGenerator, trainCfgan } from '../../../lib/gan/index.ts';
import type { CfganConfig } from '../../../lib/gan/index.ts';
import { InputDropout, reconstructionWeights, shiftOwnEntries } from '../../../lib/gan/masks.ts';
import { Rng } from '../../../lib/training/random.ts';
import { SMALL_CFGAN } from '../../helpers/small-cfgan.ts';
import { syntheticSplits } from '../../helpers/synthetic-splits.ts';

// users 0: items {1, 3}; user 1: {}; user 2: {0, 1, 3}
const csr = csrFromCoo(Int32Array.of(0, 0, 2, 2, 2), Int32Array.of(1, 3, 0, 1, 3), 5, 3);

describe("the generator's hidden inputs", () => {
  it('keeps each entry with probability 1 - p, one draw per entry in CSR order', () => {
    const users = Int32Array.of(2, 0, 1);
    const dropT = Math.round(0.5 * 65536);
    const rng = new Rng(4);
    const got = new InputDropout(3).draw(csr, users, 3, rng, dropT).csr;
    // The same draws by hand: user 2's three entries, then user 0's two.
    const ref = new Rng(4);
    const kept = [0, 1, 3, 1, 3].filter(() => (ref.u32() & 0xffff) >= dropT);
    expect([...got.indices.subarray(0, got.indptr[3]!)]).toEqual(kept);
    expect(got.indptr[3]! - got.indptr[2]!).toBe(0); // user 1 has nothing to hide
    expect(rng.u32()).toBe(ref.u32()); // exactly five draws were taken

    // Over many vectors the kept share is 1 - p.
    const n = 2000;
    const many = csrFromCoo(
      Int32Array.from({ length: n * 20 }, (_, k) => Math.floor(k / 20)),
      Int32Array.from({ length: n * 20 }, (_, k) => k % 20),
      n * 20,
      n,
    );
    const all = Int32Array.from({ length: n }, (_, k) => k);
    const drop = new InputDropout(n);
    const share =
      drop.draw(many, all, n, new Rng(9), Math.round(0.3 * 65536)).csr.indptr[n]! / (n * 20);
    expect(share).toBeGreaterThan(0.69);
    expect(share).toBeLessThan(0.71);
  });

  it('weighs ZR entries by zrCoefficient and own entries by reconstructionCoefficient', () => {
    const users = Int32Array.of(0, 2);
    const width = 4;
    // Entry-major, as sampleMasks writes it: entry j of batch vector r at j * 2 + r.
    const zr = Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0);
    reconstructionWeights(csr, users, 2, width, zr, 0.25, 2);
    expect([...zr]).toEqual([0.25, 2, 2, 2, 0.25, 0, 2, 2]);
    const out = new Float32Array(8).fill(0.5);
    shiftOwnEntries(csr, users, 2, out, -1);
    expect([...out]).toEqual([0.5, -0.5, -0.5, -0.5, 0.5, 0.5, -0.5, -0.5]);
  });
});

describe('CFGAN with hidden inputs and the reconstruction term', () => {
  const { nUsers, nItems, data } = syntheticSplits({
    users: 300,
    items: 150,
    interactions: 9_000,
    seed: 3,
    kCore: 5,
  });
  const splits = { nUsers, nItems, train: data.train };
  const config: CfganConfig = {
    ...SMALL_CFGAN,
    generatorUnits: 32,
    discriminatorUnits: 16,
    epochs: 3,
    gSteps: 2,
    batchSize: 32,
    discriminatorBatchSize: 32,
    zrCoefficient: 0.5,
    seed: 2,
    threads: 1,
  };
  const bytes = async (c: CfganConfig) =>
    Buffer.from(saveGenerator((await trainCfgan(splits, c)).generator));

  it('each option changes what is learned, and the same seed repeats it', async () => {
    const plain = await bytes(config);
    const hidden = await bytes({ ...config, inputDropout: 0.4 });
    const rebuilt = await bytes({ ...config, reconstructionCoefficient: 1 });
    expect(hidden.equals(plain)).toBe(false);
    expect(rebuilt.equals(plain)).toBe(false);
    expect((await bytes({ ...config, inputDropout: 0.4 })).equals(hidden)).toBe(true);
  }, 60_000);

  it('the reconstruction term pulls the output on own entries towards 1', async () => {
    // Mean generator output on the training vectors' own entries, after training.
    const ownOutput = async (c: CfganConfig) => {
      const g = (await trainCfgan(splits, { ...c, epochs: 6 })).generator;
      const h = new Float32Array(c.generatorUnits);
      let sum = 0;
      let count = 0;
      const { indptr, indices } = data.train;
      for (let u = 0; u < nUsers; u++) {
        if (indptr[u + 1] === indptr[u]) continue;
        for (let k = 0; k < c.generatorUnits; k++) {
          let pre = g.b1[k]!;
          for (let p = indptr[u]!; p < indptr[u + 1]!; p++)
            pre += g.w1[indices[p]! * c.generatorUnits + k]!;
          h[k] = 1 / (1 + Math.exp(-pre));
        }
        for (let p = indptr[u]!; p < indptr[u + 1]!; p++) {
          let o = g.b2[indices[p]!]!;
          for (let k = 0; k < c.generatorUnits; k++) o += h[k]! * g.w2[k * nItems + indices[p]!]!;
          sum += o;
          count++;
        }
      }
      return sum / count;
    };
    const without = await ownOutput(config);
    const withTerm = await ownOutput({ ...config, reconstructionCoefficient: 2 });
    expect(Math.abs(withTerm - 1)).toBeLessThan(Math.abs(without - 1));
    expect(withTerm - without).toBeGreaterThan(0.2);
  }, 60_000);
});
