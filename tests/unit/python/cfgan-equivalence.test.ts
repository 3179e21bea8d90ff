/**
 * The Python worker's CFGAN (python/recsys_worker/cfgan.py, JAX) against lib/gan/train.ts,
 * given the same randomness: the Python side draws the TypeScript trainer's stream
 * (recsys_worker/rng.py), so both see the same initial weights, user orders, ZR/PM masks and
 * noise. Compared through the checkpoints both write after every epoch (one layout):
 *
 * - one step: after a one-batch epoch the Adam first moments are exactly 0.1 x the step's
 *   gradients, so the D gradient at the initial weights and the G gradient against the
 *   updated D are compared, and the epoch's losses;
 * - N steps: the weights after several epochs of several batches (float32 on both sides,
 *   summed in different orders: TOL_WEIGHTS);
 * - resume: Python resumed from its own checkpoint repeats itself bit for bit, and resumed
 *   from the TypeScript checkpoint lands on the TypeScript weights;
 * - the generator file Python writes is loaded and scored by the TypeScript scorer.
 *
 * The one-step, N-step and item-variant comparisons run with the paper's loss and input
 * (reconstructionCoefficient and inputDropout 0) and again with both on, where each batch's
 * dropout draws follow its noise.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GeneratorScorer, loadGenerator, trainCfgan } from '../../../lib/gan/index.ts';
import type { CfganConfig, GanEpochLog } from '../../../lib/gan/index.ts';
import { unpackState } from '../../../lib/training/train-state.ts';
import { runPythonModule } from '../../helpers/python.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { smallSplits, splitsJson, writeFixture } from './fixtures.ts';
import { relativeError } from './compare.ts';

/** Gradients (from Adam's first moments) and losses of one step: float32 rounding only. */
const TOL_STEP = 1e-5;
/** Weights after N Adam steps: relative to each table's largest weight. */
const TOL_WEIGHTS = 1e-4;

const splits = smallSplits(40, 30, 11);
const base: CfganConfig = {
  variant: 'user',
  generatorUnits: 16,
  discriminatorUnits: 8,
  noiseDim: 4,
  epochs: 1,
  dSteps: 1,
  gSteps: 1,
  batchSize: 64,
  discriminatorBatchSize: 64,
  learningRate: 0.01,
  regG: 0,
  validateEvery: 0,
  patience: 2,
  zrRatio: 0.5,
  pmRatio: 0.5,
  zrCoefficient: 0.03,
  reconstructionCoefficient: 0,
  inputDropout: 0,
  seed: 5,
};
/** The own-entry reconstruction term and G's input dropout on, and alpha not 1. */
const options = {
  zrCoefficient: 0.5,
  reconstructionCoefficient: 1,
  inputDropout: 0.5,
} satisfies Partial<CfganConfig>;

interface Run {
  states: Map<number, ReturnType<typeof unpackState>>;
  history: GanEpochLog[];
}

async function tsRun(config: CfganConfig, resumeFrom?: Uint8Array): Promise<Run> {
  const states = new Map<number, ReturnType<typeof unpackState>>();
  const r = await trainCfgan(splits, config, {
    checkpointEvery: 1,
    resumeFrom,
    onCheckpoint: (s, epoch) => void states.set(epoch, unpackState(s)),
  });
  return { states, history: r.history };
}

async function pyRun(config: CfganConfig, name: string, resume?: string) {
  const dir = tempDir('py-cfgan-');
  const fixture = writeFixture(dir, name, { ...splitsJson(splits), config });
  await runPythonModule('recsys_worker.equivalence', [
    'cfgan',
    fixture,
    join(dir, 'out'),
    ...(resume ? ['--resume', resume] : []),
  ]);
  const at = (epoch: number) => join(dir, 'out', `epoch-${epoch}.bin`);
  return {
    dir,
    at,
    state: (epoch: number) => unpackState(readFileSync(at(epoch))),
    generator: () => readFileSync(join(dir, 'out', 'generator.bin')),
  };
}

function expectClose(
  a: Record<string, Float32Array>,
  b: Record<string, Float32Array>,
  names: string[],
  tol: number,
  scale = 1,
) {
  for (const n of names) {
    expect(b[n]!.length, n).toBe(a[n]!.length);
    if (process.env.SHOW_ERRORS) console.warn(n, relativeError(a[n]!, b[n]!, scale));
    expect(relativeError(a[n]!, b[n]!, scale), n).toBeLessThan(tol);
  }
}

const G = ['w1', 'wz', 'b1', 'w2', 'b2'].map((t) => `g.${t}`);
const D = ['wc', 'wx', 'b1', 'w2', 'b2'].map((t) => `d.${t}`);

describe('CFGAN: Python (JAX) against TypeScript', () => {
  describe.each([
    ['paper loss', base],
    ['reconstruction and input dropout', { ...base, ...options }],
  ])('one step, %s', (name, config) => {
    let ts: Run;
    let py: Awaited<ReturnType<typeof pyRun>>;
    beforeAll(async () => {
      ts = await tsRun(config);
      py = await pyRun(config, `one-step-${name.replaceAll(' ', '-')}`);
    }, 120_000);

    it('computes the same gradients (Adam first moments = 0.1 x gradient)', () => {
      const t = ts.states.get(1)!;
      const p = py.state(1);
      expect(t.header.dStep).toBe(1);
      expect(p.header.dStep).toBe(1);
      expectClose(
        t.arrays,
        p.arrays,
        [...G, ...D].map((n) => `${n}.m`),
        TOL_STEP,
      );
    });

    it('reports the same losses and D outputs', () => {
      const p = (py.state(1).header.history as GanEpochLog[])[0]!;
      const t = ts.history[0]!;
      for (const k of ['dLoss', 'gLoss', 'dReal', 'dFake'] as const)
        expect(Math.abs(p[k] - t[k]) / Math.abs(t[k]), k).toBeLessThan(TOL_STEP);
    });
  });

  describe('N steps, penalty, noise, several passes', () => {
    const config: CfganConfig = {
      ...base,
      epochs: 4,
      dSteps: 2,
      gSteps: 1,
      batchSize: 12,
      discriminatorBatchSize: 16,
      regG: 0.001,
    };
    let ts: Run;
    let py: Awaited<ReturnType<typeof pyRun>>;
    beforeAll(async () => {
      ts = await tsRun(config);
      py = await pyRun(config, 'n-steps');
    }, 120_000);

    it('ends with the same weights', () => {
      const t = ts.states.get(4)!;
      const p = py.state(4);
      expect(p.header.gStep).toBe(t.header.gStep);
      expect(p.header.dStep).toBe(t.header.dStep);
      expectClose(t.arrays, p.arrays, [...G, ...D], TOL_WEIGHTS);
    });

    it('resumes its own checkpoint exactly and the TypeScript one within tolerance', async () => {
      const own = await pyRun(config, 'resume-own', py.at(2));
      const [resumed, straight] = [own.state(4), py.state(4)];
      for (const [name, a] of Object.entries(straight.arrays))
        expect(Buffer.from(resumed.arrays[name]!.buffer).equals(Buffer.from(a.buffer)), name).toBe(
          true,
        );
      expect(resumed.header.gStep).toBe(straight.header.gStep);
      const dir = tempDir('ts-ckpt-');
      const tsState = await new Promise<Uint8Array>((resolve) => {
        void trainCfgan(
          splits,
          { ...config, epochs: 2 },
          {
            checkpointEvery: 2,
            onCheckpoint: (s) => resolve(s),
          },
        );
      });
      writeFileSync(join(dir, 'ts-epoch-2.bin'), tsState);
      const cross = await pyRun(config, 'resume-ts', join(dir, 'ts-epoch-2.bin'));
      expectClose(ts.states.get(4)!.arrays, cross.state(4).arrays, [...G, ...D], TOL_WEIGHTS);
    }, 120_000);

    it('writes a generator the TypeScript scorer loads and scores alike', async () => {
      const pyGen = loadGenerator(py.generator());
      const t = ts.states.get(4)!.arrays;
      const tsGen = {
        ...pyGen,
        ...Object.fromEntries(['w1', 'wz', 'b1', 'w2', 'b2'].map((k) => [k, t[`g.${k}`]!])),
      };
      const users = Int32Array.from({ length: splits.nUsers }, (_, u) => u);
      const score = async (w: typeof pyGen) => {
        const s = await GeneratorScorer.create(w, splits.train);
        const out = new Float32Array(users.length * splits.nItems);
        s.scoreUsers(users, out);
        return out;
      };
      expect(relativeError(await score(tsGen), await score(pyGen))).toBeLessThan(TOL_WEIGHTS);
    });
  });

  it('N steps with reconstruction and input dropout end with the same weights', async () => {
    // No penalty: G's W1 is updated lazily, only on the rows of the entries G was shown.
    const config: CfganConfig = {
      ...base,
      ...options,
      epochs: 4,
      dSteps: 2,
      gSteps: 2,
      batchSize: 12,
      discriminatorBatchSize: 16,
    };
    const ts = await tsRun(config);
    const py = await pyRun(config, 'n-steps-options');
    const [t, p] = [ts.states.get(4)!, py.state(4)];
    expect(p.header.gStep).toBe(t.header.gStep);
    expectClose(t.arrays, p.arrays, [...G, ...D], TOL_WEIGHTS);
  }, 120_000);

  it.each([
    ['paper loss', {}],
    ['reconstruction and input dropout', options],
  ])(
    'item variant with validation, %s, keeps the same best epoch and NDCG@10',
    async (name, extra) => {
      const config: CfganConfig = {
        ...base,
        ...extra,
        variant: 'item',
        epochs: 3,
        batchSize: 8,
        discriminatorBatchSize: 8,
        validateEvery: 1,
        patience: 5,
      };
      const ts = await tsRun(config);
      const py = await pyRun(config, `item-variant-${name.replaceAll(' ', '-')}`);
      const p = py.state(3);
      const t = ts.states.get(3)!;
      expectClose(t.arrays, p.arrays, [...G, ...D], TOL_WEIGHTS);
      const ph = p.header.history as GanEpochLog[];
      for (const [k, log] of ts.history.entries())
        expect(Math.abs(ph[k]!.validNdcg10! - log.validNdcg10!)).toBeLessThan(1e-6);
    },
    120_000,
  );
});
