import { describe, expect, it } from 'vitest';
import { tf } from '../../../lib/compute/backend.ts';
import { Rng } from '../../../lib/training/random.ts';
import {
  GeneratorScorer,
  initGenerator,
  loadGenerator,
  saveGenerator,
} from '../../../lib/gan/generator.ts';

/**
 * A worker whose trainGan came from the cache runs generateGan in a process where nothing
 * has trained yet. This file is its own process (vitest forks per file): no tfjs backend
 * is set up before the scorer is created. Found by an experiment on the dev stack, where
 * every attempt failed with "backend 'wasm' has not yet been initialized".
 */
describe('the generator in a fresh process', () => {
  it('scores without any training having run first', async () => {
    const rng = new Rng(3);
    const weights = loadGenerator(saveGenerator(initGenerator(6, 4, 0, () => rng.normal())));
    const train = { indptr: new Int32Array([0, 2, 3]), indices: new Int32Array([0, 1, 5]) };
    const scorer = await GeneratorScorer.create(weights, train);
    const out = new Float32Array(2 * 6);
    await scorer.scoreUsers(new Int32Array([0, 1]), out);
    scorer.dispose();
    // The output layer is linear: finite scores, not all the same.
    for (const v of out) expect(Number.isFinite(v)).toBe(true);
    expect(new Set(out).size).toBeGreaterThan(1);
  });

  // generateGan frees the first scorer before its pass one step back and again on the way out.
  it('frees its tensors on the first dispose; a second does nothing', async () => {
    const rng = new Rng(4);
    const weights = initGenerator(6, 4, 0, () => rng.normal());
    const train = { indptr: new Int32Array([0, 2, 3]), indices: new Int32Array([0, 1, 5]) };
    const before = tf.memory().numTensors;
    const scorer = await GeneratorScorer.create(weights, train);
    const other = await GeneratorScorer.create(weights, train);
    expect(tf.memory().numTensors).toBe(before + 4);
    scorer.dispose();
    scorer.dispose();
    expect(tf.memory().numTensors).toBe(before + 2);
    other.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
