import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { saveGenerator, trainCfgan } from '../../../lib/gan/index.ts';
import type { CfganConfig, GanTrainResult, GeneratorWeights } from '../../../lib/gan/index.ts';
import { ganGemmFunctions } from '../../../lib/gan/dense-kernels.ts';
import { MaskSampler } from '../../../lib/gan/mask-kernel.ts';
import { sampleMasks } from '../../../lib/gan/masks.ts';
import { ganThreads } from '../../../lib/gan/train-threads.ts';
import { Rng } from '../../../lib/training/random.ts';
import { WasmArena } from '../../../lib/compute/arena.ts';
import { instantiate, moduleBytes } from '../../../lib/compute/wasm-writer.ts';
import { syntheticSplits } from '../../helpers/synthetic-splits.ts';

const { nUsers, nItems, data } = syntheticSplits({
  users: 600,
  items: 300,
  interactions: 30_000,
  seed: 5,
  kCore: 5,
});
const splits = { nUsers, nItems, train: data.train, valid: data.valid };

// Sizes that are not multiples of 4, a partial last batch, both batch sizes, the L2 penalty
// (G's first layer updated densely by the threads) and a noise input: every padded path.
const config: CfganConfig = {
  variant: 'user',
  generatorUnits: 50,
  discriminatorUnits: 30,
  noiseDim: 3,
  epochs: 4,
  dSteps: 2,
  gSteps: 2,
  batchSize: 30,
  discriminatorBatchSize: 45,
  learningRate: 0.003,
  regG: 0.001,
  validateEvery: 2,
  patience: 2,
  zrRatio: 0.7,
  pmRatio: 0.7,
  zrCoefficient: 0.5,
  reconstructionCoefficient: 0,
  inputDropout: 0,
  seed: 11,
};

const bytes = (g: GeneratorWeights) => Buffer.from(saveGenerator(g));
const withoutSeconds = (r: GanTrainResult) => r.history.map((h) => ({ ...h, seconds: 0 }));

/** Largest |a - b| / (max |b| over the table), per generator table. */
function relativeGap(a: GeneratorWeights, b: GeneratorWeights): number {
  let worst = 0;
  for (const t of ['w1', 'wz', 'b1', 'w2', 'b2'] as const) {
    let scale = 0;
    let gap = 0;
    for (let k = 0; k < b[t].length; k++) {
      scale = Math.max(scale, Math.abs(b[t][k]!));
      gap = Math.max(gap, Math.abs(a[t][k]! - b[t][k]!));
    }
    worst = Math.max(worst, gap / scale);
  }
  return worst;
}

describe('CFGAN on several threads', () => {
  // The last case also hides inputs from G and adds the own-entry reconstruction term.
  it.each([
    ['user', {}],
    ['item', {}],
    ['user', { inputDropout: 0.4, reconstructionCoefficient: 0.7 }],
  ] as const)(
    'variant %s %j: repeats itself for a given thread count and stays within rounding of one thread',
    async (variant, options) => {
      const c = { ...config, variant, ...options };
      const one = await trainCfgan(splits, { ...c, threads: 1 });
      const two = await trainCfgan(splits, { ...c, threads: 2 });
      const again = await trainCfgan(splits, { ...c, threads: 2 });
      expect(withoutSeconds(again)).toEqual(withoutSeconds(two));
      expect(bytes(again.generator).equals(bytes(two.generator))).toBe(true);
      // The partial sums add the catalog in another order than tfjs: rounding, amplified
      // over 4 epochs of Adam steps, but nothing systematic.
      expect(bytes(two.generator).equals(bytes(one.generator))).toBe(false);
      expect(relativeGap(two.generator, one.generator)).toBeLessThan(1e-4);
      for (const [k, h] of two.history.entries()) {
        const ref = one.history[k]!;
        // Relative: with the reconstruction term the loss is a sum over every own entry.
        expect(Math.abs(h.gLoss - ref.gLoss) / Math.abs(ref.gLoss)).toBeLessThan(5e-6);
        expect(h.dLoss).toBeCloseTo(ref.dLoss, 5);
        expect(h.dReal).toBeCloseTo(ref.dReal, 5);
        expect(h.dFake).toBeCloseTo(ref.dFake, 5);
        expect(h.validNdcg10 ?? 0).toBeCloseTo(ref.validNdcg10 ?? 0, 4);
      }
      const three = await trainCfgan(splits, { ...c, threads: 3 });
      expect(relativeGap(three.generator, two.generator)).toBeLessThan(1e-4);
    },
    180_000,
  );

  it('resumes from a checkpoint to exactly the uninterrupted result', async () => {
    const c = { ...config, threads: 2 };
    const straight = await trainCfgan(splits, c);
    let saved: Uint8Array | undefined;
    await trainCfgan(
      splits,
      { ...c, epochs: 2 },
      {
        checkpointEvery: 2,
        onCheckpoint: (state) => {
          saved = state;
        },
      },
    );
    const resumed = await trainCfgan(splits, c, { resumeFrom: saved });
    expect(withoutSeconds(resumed)).toEqual(withoutSeconds(straight));
    expect(resumed.bestEpoch).toBe(straight.bestEpoch);
    expect(bytes(resumed.generator).equals(bytes(straight.generator))).toBe(true);
  }, 120_000);

  it('stops at an abort between rounds, with the abort reason', async () => {
    const controller = new AbortController();
    const epochs: number[] = [];
    const run = trainCfgan(
      splits,
      { ...config, threads: 2, epochs: 50, validateEvery: 0 },
      {
        signal: controller.signal,
        onEpoch: (log) => {
          epochs.push(log.epoch);
          controller.abort(new Error('cancelled by the test'));
        },
      },
    );
    await expect(run).rejects.toThrow('cancelled by the test');
    expect(epochs).toEqual([1]);
  }, 60_000);

  it('uses one thread for small data unless told otherwise', () => {
    expect(ganThreads({ ...config, threads: 0 }, 300, 600)).toBe(1);
    expect(ganThreads({ ...config }, 300, 600)).toBe(1);
    expect(ganThreads({ ...config, threads: 3 }, 300, 600)).toBe(3);
    expect(ganThreads({ ...config, threads: 0 }, 5000, 10_000)).toBe(availableParallelism());
  });
});

describe('dense products', () => {
  // A 7 x 6 catalog slice, a batch of 8 (np), hidden sizes 12 (G) and 8 (D).
  const dims = { np: 8, hGp: 12, hDp: 8 };
  const W = 7;
  const arena = new WasmArena(1 << 16);
  const e = instantiate(moduleBytes(ganGemmFunctions(dims)), arena.memory) as Record<
    string,
    (...a: number[]) => void
  >;
  const fill = (n: number, seed: number) => {
    const a = arena.floats(n);
    for (let k = 0; k < n; k++) a[k] = Math.fround(Math.sin(seed + k * 1.7));
    return a;
  };
  const at = (a: Float32Array) => arena.offsetOf(a);

  it('computes G forward (with bias and mask) and a partial sum as float32 in k order', () => {
    const w2T = fill(W * dims.hGp, 1);
    const hT = fill(dims.hGp * dims.np, 2);
    const b2 = fill(W, 3);
    const mask = fill(W * dims.np, 5);
    const outT = arena.floats(W * dims.np);
    const fakeT = arena.floats(W * dims.np);
    e.fwd!(
      at(w2T),
      at(hT),
      at(outT),
      W,
      dims.hGp,
      at(b2),
      at(fakeT) - at(outT),
      at(mask) - at(outT),
      0,
      0,
    );
    for (let j = 0; j < W; j++)
      for (let r = 0; r < dims.np; r++) {
        let s = b2[j]!;
        for (let k = 0; k < dims.hGp; k++)
          s = Math.fround(s + Math.fround(w2T[j * dims.hGp + k]! * hT[k * dims.np + r]!));
        expect(outT[j * dims.np + r]).toBe(s);
        expect(fakeT[j * dims.np + r]).toBe(Math.fround(s * mask[j * dims.np + r]!));
      }
    // D's hidden pre-activation over catalog rows 2..7: A^T B with A = fakeT, B = wx.
    const wx = fill(W * dims.hDp, 5);
    const part = arena.floats(dims.np * dims.hDp);
    e.hf0!(
      at(fakeT) + 2 * 4 * dims.np,
      at(wx) + 2 * 4 * dims.hDp,
      at(part),
      dims.np,
      3,
      0,
      0,
      0,
      0,
      0,
    );
    e.hf!(
      at(fakeT) + 5 * 4 * dims.np,
      at(wx) + 5 * 4 * dims.hDp,
      at(part),
      dims.np,
      2,
      0,
      0,
      0,
      0,
      0,
    );
    for (let r = 0; r < dims.np; r++)
      for (let i = 0; i < dims.hDp; i++) {
        let s = 0;
        for (let j = 2; j < W; j++)
          s = Math.fround(s + Math.fround(fakeT[j * dims.np + r]! * wx[j * dims.hDp + i]!));
        expect(part[r * dims.hDp + i]).toBe(s);
      }
  });
});

describe('mask sampler', () => {
  it('draws the masks of sampleMasks from the same stream, into padded columns', () => {
    const width = nItems;
    const n = 13;
    const stride = 16;
    const users = Int32Array.from({ length: n }, (_, r) => (r * 37) % nUsers);
    const arena = new WasmArena(4 * (2 * width * stride + 8) + 64);
    const mask = arena.floats(width * stride).fill(7);
    const zr = arena.floats(width * stride).fill(7);
    const sampler = new MaskSampler(arena, arena.ints(4));
    const [a, b] = [new Rng(9), new Rng(9)];
    const jsMask = new Float32Array(width * stride);
    const jsZr = new Float32Array(width * stride);
    sampleMasks(data.train, users, n, width, a, 30000, 40000, jsMask, jsZr, stride);
    sampler.sample(data.train, users, n, width, b, 30000, 40000, mask, zr, stride);
    expect([...mask]).toEqual([...jsMask]);
    expect([...zr]).toEqual([...jsZr]);
    expect(b.u32()).toBe(a.u32());
    expect(mask.some((x) => x === 1) && zr.some((x) => x === 1)).toBe(true);
  });
});
