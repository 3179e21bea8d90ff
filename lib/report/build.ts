/**
 * ReportData from the stages' own output files (parsed JSON): evaluation.json, the two
 * retrain histories, resample's composition.json, and - when those branches ran - the GAN's
 * stats and expandLlm's expansion.json. A missing required field is an error naming the file.
 */
import type { EpochPoint, MetricRow, ReportData } from './types.ts';

export interface ReportParts {
  pipeline: string;
  runId: string;
  createdAt: string;
  /** Primary metric of the decision (the evaluate config's). */
  metric: string;
  evaluation: unknown;
  historyA: unknown;
  historyB: unknown;
  composition?: unknown;
  gan?: Record<string, unknown>;
  llm?: unknown;
}

type Obj = Record<string, unknown>;

function need(o: unknown, path: string, file: string): unknown {
  let v: unknown = o;
  for (const p of path.split('.')) {
    if (v === null || typeof v !== 'object' || !(p in (v as Obj)))
      throw new Error(`${file}: missing field ${path}`);
    v = (v as Obj)[p];
  }
  return v;
}

function effectRow(e: Obj, metric: string): MetricRow {
  return {
    metric,
    a: Number(e.meanA),
    b: Number(e.meanB),
    delta: Number(e.delta),
    ciLow: Number(e.ciLow),
    ciHigh: Number(e.ciHigh),
    p: Number(e.p),
    n: Number(e.n),
  };
}

function curve(history: unknown, file: string): EpochPoint[] {
  if (!Array.isArray(history)) throw new Error(`${file}: expected an array of epochs`);
  return history.map((h: Obj) => ({
    epoch: Number(need(h, 'epoch', file)),
    loss: Number(need(h, 'loss', file)),
    ...(typeof h.validNdcg10 === 'number' ? { validNdcg10: h.validNdcg10 } : {}),
  }));
}

const sum = (r: Obj) => Number(r.positive ?? 0) + Number(r.negative ?? 0);

export function buildReportData(parts: ReportParts): ReportData {
  const ev = parts.evaluation;
  const file = 'evaluation.json';
  const decision = need(ev, 'decision', file) as Obj;
  const comparison = need(ev, 'comparison', file) as Obj;
  const all = need(comparison, 'effects.all', file) as Record<string, Obj>;
  const primary = parts.metric;
  if (!all[primary]) throw new Error(`${file}: no effect for the primary metric ${primary}`);
  const segments: ReportData['segments'] = [];
  const cold = (need(comparison, 'effects', file) as Record<string, Record<string, Obj>>)
    .coldUsers?.[primary];
  if (cold) segments.push({ ...effectRow(cold, primary), segment: 'cold users' });
  const tail = (comparison.effects as Record<string, Record<string, Obj>>).tailItems ?? {};
  for (const [m, e] of Object.entries(tail))
    segments.push({ ...effectRow(e, m), segment: 'tail items' });

  const models = [
    { name: 'A (real)', value: Number((need(ev, 'A.overall', file) as Obj)[primary]) },
    { name: 'B (augmented)', value: Number((need(ev, 'B.overall', file) as Obj)[primary]) },
    ...Object.entries((ev as Obj).baselines ?? {}).map(([name, s]) => ({
      name,
      value: Number(((s as Obj).overall as Obj)[primary]),
    })),
  ];

  const data: ReportData = {
    meta: {
      pipeline: parts.pipeline,
      runId: parts.runId,
      createdAt: parts.createdAt,
      metric: primary,
      level: Number(comparison.level ?? 0.95),
    },
    decision: {
      promote: need(decision, 'promote', file) === true,
      reasons: (need(decision, 'reasons', file) as unknown[]).map(String),
    },
    metrics: Object.entries(all).map(([m, e]) => effectRow(e, m)),
    segments,
    models,
    curves: {
      A: curve(parts.historyA, 'retrainA history.json'),
      B: curve(parts.historyB, 'retrainB history.json'),
    },
  };
  if (parts.composition) {
    const c = parts.composition;
    const f = 'composition.json';
    const rows = need(c, 'rows', f) as Record<'a' | 'b', Record<string, Obj>>;
    const pop = need(c, 'popularity', f) as Obj;
    data.composition = {
      rows: {
        a: Object.fromEntries(Object.entries(rows.a).map(([k, v]) => [k, sum(v)])),
        b: Object.fromEntries(Object.entries(rows.b).map(([k, v]) => [k, sum(v)])),
      },
      shareTarget: Number(need(c, 'share.target', f)),
      shareAchieved: Number(need(c, 'share.achieved', f)),
      perUser: need(c, 'perUserSynthetic', f) as { labels: string[]; users: number[] },
      popularity: { real: pop.real as number[], synthetic: pop.synthetic as number[] },
      tail: need(c, 'tail', f) as { realShare: number; syntheticShare: number; bShare: number },
    };
  }
  if (parts.gan) {
    data.gan = Object.fromEntries(
      Object.entries(parts.gan).filter((e): e is [string, number] => typeof e[1] === 'number'),
    );
  }
  if (parts.llm) {
    const l = parts.llm as Obj;
    const f = 'expansion.json';
    data.llm = {
      provider: String(need(l, 'provider', f)),
      model: String(need(l, 'model', f)),
      fallback: need(l, 'fallback', f) === true,
      note: String(l.note ?? ''),
      users: Number(need(l, 'users', f)),
      triples: Number(need(l, 'triples', f)),
      dropped: need(l, 'dropped', f) as Record<string, number>,
      usage: need(l, 'usage', f) as Record<string, number>,
    };
  }
  return data;
}
