/**
 * Realistic report inputs computed by the real domain code on a small synthetic log:
 * Popularity (as A) and ItemKNN (as B) evaluated and compared by lib/eval, a composition
 * report from lib/sampling with GAN-like rows, made-up but well-formed training histories.
 */
import { abTest, evaluateFullRanking } from '../../lib/eval/index.ts';
import { ItemKnnScorer, PopularityScorer } from '../../lib/models/baselines/index.ts';
import type { ReportParts } from '../../lib/report/index.ts';
import { DEFAULT_RESAMPLE_CONFIG, resample } from '../../lib/sampling/index.ts';
import { syntheticSplits } from './synthetic-splits.ts';

export function reportParts(over: Partial<ReportParts> = {}): ReportParts {
  const { pre, nUsers, nItems, data } = syntheticSplits({
    users: 300,
    items: 150,
    interactions: 12_000,
    seed: 3,
    kCore: 3,
  });
  const a = evaluateFullRanking(data, PopularityScorer.fit(data.train, nItems));
  const b = evaluateFullRanking(data, ItemKnnScorer.fit(data.train, nItems));
  const { comparison, decision } = abTest(
    a,
    b,
    { metric: 'ndcg@10', minLift: 0, maxDrop: 0.05, alpha: 0.05 },
    { seed: 1, resamples: 1000 },
  );
  const n = 200;
  const synthetic = {
    source: 'gan' as const,
    n,
    user: Int32Array.from({ length: n }, (_, k) => k % nUsers),
    item: Int32Array.from({ length: n }, (_, k) => (k * 7) % nItems),
    score: new Float32Array(n).fill(0.9),
  };
  const { report } = resample(
    { nUsers, nItems, train: pre.train, synthetic: [synthetic] },
    DEFAULT_RESAMPLE_CONFIG,
    5,
  );
  const history = (base: number) =>
    Array.from({ length: 6 }, (_, k) => ({
      epoch: k + 1,
      loss: base / (k + 1),
      validNdcg10: 0.05 + 0.01 * k,
      samples: 1000,
      seconds: 0.5,
    }));
  return {
    pipeline: 'demo-pipeline',
    runId: 'run-1',
    createdAt: '2026-11-28T00:00:00.000Z',
    metric: 'ndcg@10',
    evaluation: { A: a.summary, B: b.summary, baselines: {}, comparison, decision },
    historyA: history(0.7),
    historyB: history(0.8),
    composition: report,
    gan: { generatorValidNdcg10: 0.04, popularityJsDistance: 0.9, coverage: 0.03, rows: 200 },
    llm: {
      provider: 'sequence',
      model: 'item-sequence transformer (dim 32, window 20)',
      fallback: true,
      note: 'No LLM was configured: a local item-sequence model, not an LLM, chose the liked and disliked items.',
      users: 120,
      triples: 118,
      dropped: { malformed: 0, outOfRange: 0, same: 2, failed: 0 },
      usage: { requests: 0, cached: 0, promptTokens: 0, completionTokens: 0 },
    },
    ...over,
  };
}
