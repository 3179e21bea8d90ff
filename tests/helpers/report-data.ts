/**
 * Realistic report inputs, computed by the real domain code on a small synthetic log and
 * passed through JSON as the report stage reads them from files (so NaN arrives as null):
 * evaluation.json from lib/eval (Popularity as A, ItemKNN as B, both also as baselines),
 * composition.json from lib/sampling with GAN-like and LLM-like rows, the GAN's quality
 * stats from lib/gan, preprocess stats from lib/data. Only the training histories and the
 * LLM usage figures are made up (they need tfjs training / a server), in their real shapes.
 */
import type { EvaluationFile } from '../../activities/evaluate.ts';
import { generationQuality } from '../../lib/gan/augment.ts';
import { abTest, evaluateFullRanking } from '../../lib/eval/index.ts';
import type { DropReason, ChooserInfo, Usage } from '../../lib/llm/types.ts';
import { ItemKnnScorer, PopularityScorer } from '../../lib/models/baselines/index.ts';
import type { EpochLog } from '../../lib/models/types.ts';
import type { ReportParts } from '../../lib/report/index.ts';
import { DEFAULT_RESAMPLE_CONFIG, resample } from '../../lib/sampling/index.ts';
import type { SyntheticSource } from '../../lib/sampling/index.ts';
import { syntheticSplits } from './synthetic-splits.ts';

/** Every chart of a report with every input present, by its title. */
export const ALL_CHARTS = [
  'Paired difference B - A per metric, 95% bootstrap CI',
  'Paired difference B - A per segment, 95% bootstrap CI',
  'ndcg@10 of A, B and the baselines',
  'Validation NDCG@10 per epoch',
  'Training loss per epoch',
  'Rows of training sets A and B by source',
  'Users by number of synthetic positives kept in B',
  'Item popularity curve: real vs synthetic positives',
];

const viaJson = <T>(x: T): unknown => JSON.parse(JSON.stringify(x));

let cached: ReturnType<typeof compute> | undefined;

function compute() {
  const { pre, nUsers, nItems, data } = syntheticSplits({
    users: 300,
    items: 150,
    interactions: 12_000,
    seed: 3,
    kCore: 3,
  });
  const popularity = evaluateFullRanking(data, PopularityScorer.fit(data.train, nItems));
  const itemKnn = evaluateFullRanking(data, ItemKnnScorer.fit(data.train, nItems));
  const evaluation = (a: typeof popularity, b: typeof popularity): EvaluationFile => ({
    A: a.summary,
    B: b.summary,
    baselines: { popularity: popularity.summary, itemknn: itemKnn.summary },
    ...abTest(
      a,
      b,
      { metric: 'ndcg@10', minLift: 0, maxDrop: 0.05, alpha: 0.05 },
      { seed: 1, resamples: 1000 },
    ),
  });

  const n = 200;
  const gan = {
    n,
    user: Int32Array.from({ length: n }, (_, k) => k % nUsers),
    item: Int32Array.from({ length: n }, (_, k) => (k * 7) % nItems),
    score: Float32Array.from({ length: n }, (_, k) => 0.5 + (k % 50) / 100),
  };
  // LLM triples: a liked row then a disliked row per user, as expandLlm writes them.
  const llm: SyntheticSource = {
    source: 'llm',
    n: 120,
    user: Int32Array.from({ length: 120 }, (_, k) => (k >> 1) + 100),
    item: Int32Array.from({ length: 120 }, (_, k) => (k * 13 + 5) % nItems),
    score: new Float32Array(120).fill(1),
    label: Uint8Array.from({ length: 120 }, (_, k) => (k % 2 === 0 ? 1 : 0)),
  };
  const { report } = resample(
    { nUsers, nItems, train: pre.train, synthetic: [{ source: 'gan', ...gan }, llm] },
    DEFAULT_RESAMPLE_CONFIG,
    5,
  );
  const ganStats = {
    rows: n,
    users: nUsers,
    topK: 5,
    meanScore: gan.score.reduce((s, x) => s + x, 0) / n,
    generatorValidNdcg10: 0.04,
    generatorHalfLife: 4,
    generatorRecency: [
      { halfLife: null, validNdcg10: 0.03 },
      { halfLife: 4, validNdcg10: 0.04 },
    ],
    gate: 'open',
    gateReason:
      'the generator is better: generator 0.0500 vs itemknn 0.0400 validation NDCG@10 on the 300 users it would augment',
    ...generationQuality(gan, data.train, nUsers, nItems),
    seconds: 1.5,
  };
  return { pre, popularity, itemKnn, evaluation, report, ganStats };
}

/** A BPR-like run: loss falls, validation NDCG@10 rises then flattens (early stopping). */
function history(loss0: number, ndcgEnd: number): EpochLog[] {
  return Array.from({ length: 8 }, (_, k) => ({
    epoch: k + 1,
    loss: loss0 / Math.sqrt(k + 1),
    validNdcg10: ndcgEnd * (1 - Math.exp(-(k + 1) / 2)),
    samples: 10_000,
    seconds: 0.4,
  }));
}

/** expandLlm's expansion.json with the local fallback (the default provider). */
export function fallbackExpansion() {
  const info: ChooserInfo = {
    provider: 'sequence',
    model: 'item-sequence transformer (dim 32, window 20)',
    fallback: true,
  };
  const dropped: Record<DropReason, number> = { malformed: 0, outOfRange: 0, same: 2, failed: 0 };
  const usage: Usage = {
    requests: 0,
    attempts: 0,
    cached: 0,
    promptTokens: 0,
    completionTokens: 0,
  };
  return {
    ...info,
    note: 'No LLM was configured: a local item-sequence model, not an LLM, chose the liked and disliked items.',
    users: 62,
    triples: 60,
    dropped,
    examples: ['user 7: liked = disliked (3)', 'user 9: liked = disliked (1)'],
    usage,
    training: [{ epoch: 1, loss: 4.1 }],
  };
}

/** expansion.json as an OpenAI-compatible LLM writes it. */
export function llmExpansion() {
  return {
    ...fallbackExpansion(),
    provider: 'openai',
    model: 'Qwen2.5-7B-Instruct',
    fallback: false,
    note: 'Answers from Qwen2.5-7B-Instruct at an OpenAI-compatible endpoint.',
    dropped: { malformed: 3, outOfRange: 1, same: 2, failed: 0 },
    usage: { requests: 58, attempts: 61, cached: 4, promptTokens: 41_230, completionTokens: 930 },
    costUsd: 0.0123,
    training: undefined,
  };
}

/**
 * The parsed files a report is built from. `bEqualsA` evaluates Popularity against itself:
 * every paired delta is zero, so the Wilcoxon p-value is NaN (null in the JSON file).
 */
export function reportParts(
  over: Partial<ReportParts> = {},
  opts: { bEqualsA?: boolean } = {},
): ReportParts {
  cached ??= compute();
  const c = cached;
  const evaluation = opts.bEqualsA
    ? c.evaluation(c.popularity, c.popularity)
    : c.evaluation(c.popularity, c.itemKnn);
  return {
    pipeline: 'demo-pipeline',
    runId: 'run-1',
    createdAt: '2026-11-28T00:00:00.000Z',
    metric: 'ndcg@10',
    evaluation: viaJson(evaluation),
    historyA: viaJson(history(0.69, 0.19)),
    historyB: viaJson(history(0.8, 0.17)),
    composition: viaJson(c.report),
    dataset: viaJson(c.pre.stats),
    gan: viaJson(c.ganStats),
    llm: viaJson(fallbackExpansion()),
    ...over,
  };
}
