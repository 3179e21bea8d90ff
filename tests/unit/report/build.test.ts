import { describe, expect, it } from 'vitest';
import { buildReportData } from '../../../lib/report/index.ts';
import { llmExpansion, reportParts } from '../../helpers/report-data.ts';

type Json = Record<string, unknown>;
const parts = reportParts();
const evaluation = parts.evaluation as Json & { comparison: Json & { effects: Json } };

/** A copy of `obj` without the field at a dotted path. */
function without(obj: unknown, path: string): unknown {
  const copy = structuredClone(obj) as Json;
  const keys = path.split('.');
  let o = copy;
  for (const k of keys.slice(0, -1)) o = o[k] as Json;
  delete o[keys.at(-1)!];
  return copy;
}

describe('buildReportData', () => {
  it('takes the effects, decision and baselines of evaluation.json as they are', () => {
    const d = buildReportData(parts);
    const all = evaluation.comparison.effects.all as Record<string, Json>;
    expect(d.metrics.map((m) => m.metric)).toEqual(Object.keys(all));
    const ndcg = d.metrics.find((m) => m.metric === 'ndcg@10')!;
    const e = all['ndcg@10']!;
    expect(ndcg).toEqual({
      metric: 'ndcg@10',
      a: e.meanA,
      b: e.meanB,
      delta: e.delta,
      ciLow: e.ciLow,
      ciHigh: e.ciHigh,
      p: e.p,
      n: e.n,
    });
    expect(d.meta.level).toBe(evaluation.comparison.level);
    expect(d.decision).toEqual({
      promote: (evaluation.decision as Json).promote,
      reasons: (evaluation.decision as Json).reasons,
    });
    expect(d.segments.map((s) => `${s.segment} ${s.metric}`)).toEqual([
      'cold users ndcg@10',
      'sparse users ndcg@10',
      'tail items tailRecall@10',
      'tail items tailRecall@20',
    ]);
    expect(d.models.map((m) => m.name)).toEqual([
      'A (real)',
      'B (augmented)',
      'Popularity',
      'ItemKNN',
    ]);
    // A is Popularity in the fixture: its bar and the Popularity baseline's are the same.
    expect(d.models[0]!.value).toBe(d.models[2]!.value);
    // Breadth at the primary metric's K, as the evaluation measured it.
    const A = evaluation.A as { coverage: Json; exposure: Json };
    expect(d.models[0]!.breadth).toEqual({
      k: 10,
      coverage: A.coverage['coverage@10'],
      gini: A.exposure['gini@10'],
    });
    expect(d.curves.A[0]).toEqual({
      epoch: 1,
      loss: (parts.historyA as Json[])[0]!.loss,
      validNdcg10: (parts.historyA as Json[])[0]!.validNdcg10,
    });
  });

  it('reads a null p-value (NaN written as JSON) back as NaN, not 0', () => {
    const d = buildReportData(reportParts({}, { bEqualsA: true }));
    const ndcg = d.metrics.find((m) => m.metric === 'ndcg@10')!;
    expect(ndcg.delta).toBe(0);
    expect(ndcg.p).toBeNaN();
    expect(d.decision.promote).toBe(false);
  });

  it('sums composition rows by source and keeps the per-user and popularity figures', () => {
    const d = buildReportData(parts).composition!;
    const rows = (parts.composition as { rows: Record<'a' | 'b', Record<string, Json>> }).rows;
    for (const set of ['a', 'b'] as const)
      for (const [source, counts] of Object.entries(rows[set]))
        expect(d.rows[set][source]).toBe(Number(counts.positive) + Number(counts.negative));
    expect(d.rows.a.gan).toBe(0);
    expect(d.rows.b.gan).toBeGreaterThan(0);
    expect(d.rows.b.llm).toBeGreaterThan(0);
    expect(d.popularity.real).toHaveLength(20);
    expect(d.perUser.labels.length).toBe(d.perUser.users.length);
  });

  it('puts the named GAN figures first and leaves out bookkeeping', () => {
    const gan = buildReportData(parts).gan!;
    expect(Object.keys(gan).slice(0, 5)).toEqual([
      'generatorValidNdcg10',
      'generatorHalfLife',
      'popularityJsDistance',
      'coverage',
      'novelty',
    ]);
    expect(gan).not.toHaveProperty('seconds');
    // Per-half-life figures are in the stats, not the report's table.
    expect(gan).not.toHaveProperty('generatorRecency');
    expect(gan.topK).toBe(5);
  });

  it('maps expansion.json onto the LLM fields', () => {
    expect(buildReportData({ ...parts, llm: llmExpansion() }).llm).toEqual({
      provider: 'openai',
      model: 'Qwen2.5-7B-Instruct',
      fallback: false,
      users: 62,
      triples: 60,
      dropped: { malformed: 3, outOfRange: 1, same: 2, failed: 0 },
      requests: 58,
      promptTokens: 41_230,
      completionTokens: 930,
      cachedResponses: 4,
      costUsd: 0.0123,
      examples: ['user 7: liked = disliked (3)', 'user 9: liked = disliked (1)'],
    });
  });

  it('names the file and the field when a required input is missing', () => {
    const cases: [Partial<typeof parts>, string][] = [
      [
        { evaluation: without(evaluation, 'comparison') },
        'evaluation.json: missing field comparison.effects',
      ],
      [
        { evaluation: without(evaluation, 'comparison.effects.all') },
        'evaluation.json: missing field comparison.effects.all',
      ],
      [
        { evaluation: without(evaluation, 'decision.reasons') },
        'evaluation.json: missing field decision.reasons',
      ],
      [{ evaluation: without(evaluation, 'B') }, 'evaluation.json: missing field B.overall'],
      [{ metric: 'ndcg@7' }, 'evaluation.json: no effect for the primary metric ndcg@7'],
      [
        { historyA: [{ epoch: 1, loss: 1 }, { loss: 1 }] },
        'retrainA history.json [1]: missing field epoch',
      ],
      [{ historyB: { epochs: [] } }, 'retrainB history.json: expected an array of epochs'],
      [
        { composition: without(parts.composition, 'share') },
        'composition.json: missing field share.target',
      ],
      [
        { composition: without(parts.composition, 'popularity.real') },
        'composition.json: missing field popularity.real',
      ],
      [{ llm: without(llmExpansion(), 'usage') }, 'expansion.json: missing field usage.requests'],
      [{ llm: without(llmExpansion(), 'fallback') }, 'expansion.json: missing field fallback'],
      [
        { dataset: without(parts.dataset, 'items') },
        'preprocess manifest stats: missing field items',
      ],
      [{ gan: 'rows=3' }, 'generateGan manifest stats: not an object'],
    ];
    for (const [over, message] of cases)
      expect(() => buildReportData({ ...parts, ...over }), message).toThrow(message);
  });
});
