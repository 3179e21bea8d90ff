/**
 * ReportData from the stages' own output files, parsed JSON: evaluate's evaluation.json, the
 * two retrain history.json, resample's composition.json and - when those stages ran -
 * preprocess's, generateGan's and teacher's manifest stats, expandLlm's expansion.json and
 * policy's candidates.json. Validation is
 * loose (shapes, not values) but a missing required field is an error naming file and field.
 */
import type { EpochPoint, MetricRow, ReportData, TrainedModelInfo } from './types.ts';

export interface ReportParts {
  pipeline: string;
  runId: string;
  createdAt: string;
  /** Primary metric of the decision (the evaluate config's). */
  metric: string;
  evaluation: unknown;
  historyA: unknown;
  historyB: unknown;
  /** retrainA and retrainB manifest stats (family, settings chosen on validation). */
  trainedA?: unknown;
  trainedB?: unknown;
  composition?: unknown;
  /** preprocess manifest stats. */
  dataset?: unknown;
  /** generateGan manifest stats. */
  gan?: unknown;
  /** expandLlm's expansion.json. */
  llm?: unknown;
  /** teacher manifest stats. */
  teacher?: unknown;
  /** policy's candidates.json. */
  policy?: unknown;
}

type Obj = Record<string, unknown>;

/** The value at a dotted path, or an error naming the file and the full path. */
function need(root: unknown, path: string, file: string): unknown {
  let v: unknown = root;
  for (const p of path.split('.')) {
    if (v === null || typeof v !== 'object' || !(p in v))
      throw new Error(`${file}: missing field ${path}`);
    v = (v as Obj)[p];
  }
  return v;
}

function needObj(root: unknown, path: string, file: string): Obj {
  const v = need(root, path, file);
  if (v === null || typeof v !== 'object') throw new Error(`${file}: ${path} is not an object`);
  return v as Obj;
}

function needArray(root: unknown, path: string, file: string): unknown[] {
  const v = need(root, path, file);
  if (!Array.isArray(v)) throw new Error(`${file}: ${path} is not an array`);
  return v;
}

/** JSON writes NaN as null (e.g. a p-value when every delta is zero): read it back as NaN. */
const num = (v: unknown) => (typeof v === 'number' ? v : NaN);

function effectRow(e: Obj, metric: string): MetricRow {
  return {
    metric,
    a: num(e.meanA),
    b: num(e.meanB),
    delta: num(e.delta),
    ciLow: num(e.ciLow),
    ciHigh: num(e.ciHigh),
    p: num(e.p),
    n: num(e.n),
  };
}

function curve(history: unknown, file: string): EpochPoint[] {
  if (!Array.isArray(history)) throw new Error(`${file}: expected an array of epochs`);
  return history.map((h: unknown, k): EpochPoint => {
    const at = `${file} [${k}]`;
    const point: EpochPoint = { epoch: num(need(h, 'epoch', at)), loss: num(need(h, 'loss', at)) };
    const valid = (h as Obj).validNdcg10;
    return typeof valid === 'number' ? { ...point, validNdcg10: valid } : point;
  });
}

function comparisonRows(ev: unknown, primary: string) {
  const file = 'evaluation.json';
  const effects = needObj(ev, 'comparison.effects', file);
  const all = needObj(ev, 'comparison.effects.all', file) as Record<string, Obj>;
  if (!all[primary]) throw new Error(`${file}: no effect for the primary metric ${primary}`);
  const segments: ReportData['segments'] = [];
  const cold = (effects.coldUsers as Record<string, Obj> | undefined)?.[primary];
  if (cold) segments.push({ ...effectRow(cold, primary), segment: 'cold users' });
  const sparse = (effects.sparseUsers as Record<string, Obj> | undefined)?.[primary];
  if (sparse) segments.push({ ...effectRow(sparse, primary), segment: 'sparse users' });
  for (const [m, e] of Object.entries((effects.tailItems as Record<string, Obj>) ?? {}))
    segments.push({ ...effectRow(e, m), segment: 'tail items' });
  return {
    metrics: Object.entries(all).map(([m, e]) => effectRow(e, m)),
    segments,
  };
}

/** Display names of evaluate's baseline keys. */
const BASELINE_NAMES: Record<string, string> = {
  popularity: 'Popularity',
  itemknn: 'ItemKNN',
  rp3beta: 'RP3beta',
  ease: 'EASE',
};

function models(ev: unknown, primary: string): ReportData['models'] {
  const file = 'evaluation.json';
  const k = cutoffOf(primary, ((ev as Obj).A as Obj | undefined)?.coverage as Obj | undefined);
  const row = (name: string, path: string) => {
    const value = num(needObj(ev, `${path}.overall`, file)[primary]);
    const summary = needObj(ev, path, file);
    const coverage = (summary.coverage as Obj | undefined)?.[`coverage@${k}`];
    const gini = (summary.exposure as Obj | undefined)?.[`gini@${k}`];
    return typeof coverage === 'number' && typeof gini === 'number'
      ? { name, value, breadth: { k, coverage, gini } }
      : { name, value };
  };
  const baselines = Object.keys((ev as Obj).baselines ?? {});
  return [
    row('A (real)', 'A'),
    row('B (augmented)', 'B'),
    ...baselines.map((key) => row(BASELINE_NAMES[key] ?? key, `baselines.${key}`)),
  ];
}

/** The primary metric's K, or the smallest measured K for `mrr`. */
function cutoffOf(primary: string, coverage: Obj | undefined): number {
  const at = primary.indexOf('@');
  if (at >= 0) return Number(primary.slice(at + 1));
  return Math.min(...Object.keys(coverage ?? {}).map((c) => Number(c.slice(c.indexOf('@') + 1))));
}

function composition(c: unknown): NonNullable<ReportData['composition']> {
  const f = 'composition.json';
  const bySource = (set: 'a' | 'b') =>
    Object.fromEntries(
      Object.entries(needObj(c, `rows.${set}`, f)).map(([source, counts]) => [
        source,
        num((counts as Obj).positive) + num((counts as Obj).negative),
      ]),
    );
  return {
    rows: { a: bySource('a'), b: bySource('b') },
    drops: Object.fromEntries(
      Object.entries(needObj(c, 'drops.total', f)).map(([k, v]) => [k, num(v)]),
    ),
    shareTarget: num(need(c, 'share.target', f)),
    shareAchieved: num(need(c, 'share.achieved', f)),
    perUser: {
      labels: needArray(c, 'perUserSynthetic.labels', f).map(String),
      users: needArray(c, 'perUserSynthetic.users', f).map(num),
    },
    popularity: {
      real: needArray(c, 'popularity.real', f).map(num),
      synthetic: needArray(c, 'popularity.synthetic', f).map(num),
    },
    tail: {
      realShare: num(need(c, 'tail.realShare', f)),
      syntheticShare: num(need(c, 'tail.syntheticShare', f)),
      bShare: num(need(c, 'tail.bShare', f)),
    },
  };
}

function dataset(s: unknown): NonNullable<ReportData['dataset']> {
  const f = 'preprocess manifest stats';
  const keys = ['users', 'items', 'trainRows', 'validRows', 'testRows', 'density'] as const;
  return {
    ...(Object.fromEntries(keys.map((k) => [k, num(need(s, k, f))])) as Record<
      (typeof keys)[number],
      number
    >),
    popularityGini: num(need(s, 'popularityGini', f)),
  };
}

/** The figures the GAN section is about, in this order; other numeric stats follow. */
const GAN_FIRST = [
  'generatorValidNdcg10',
  'generatorHalfLife',
  'popularityJsDistance',
  'coverage',
  'novelty',
  'realNovelty',
  'meanScore',
  'rows',
  'users',
];
/** Bookkeeping, not results. */
const GAN_SKIP = new Set(['seconds']);

function ganStats(stats: unknown): Record<string, number> {
  if (stats === null || typeof stats !== 'object')
    throw new Error('generateGan manifest stats: not an object');
  const s = stats as Obj;
  const keys = [...GAN_FIRST, ...Object.keys(s).filter((k) => !GAN_FIRST.includes(k))];
  return Object.fromEntries(
    keys
      .filter((k) => typeof s[k] === 'number' && !GAN_SKIP.has(k))
      .map((k) => [k, s[k] as number]),
  );
}

/** The teacher's candidates as its stats name them: `<candidate>ValidNdcg10`, `<candidate>Skipped`. */
const TEACHER_CANDIDATES = ['ease', 'rp3beta', 'itemknn'];

function teacherStats(stats: unknown): NonNullable<ReportData['teacher']> {
  const f = 'teacher manifest stats';
  const s = stats as Obj;
  const candidates: Record<string, number> = {};
  const skipped: Record<string, string> = {};
  const halfLives: Record<string, number> = {};
  for (const c of TEACHER_CANDIDATES) {
    if (typeof s[`${c}ValidNdcg10`] === 'number') candidates[c] = s[`${c}ValidNdcg10`] as number;
    if (typeof s[`${c}HalfLife`] === 'number') halfLives[c] = s[`${c}HalfLife`] as number;
    if (typeof s[`${c}Skipped`] === 'string') skipped[c] = s[`${c}Skipped`] as string;
  }
  return {
    name: String(need(stats, 'teacher', f)),
    validNdcg10: num(need(stats, 'teacherValidNdcg10', f)),
    ...(typeof s.teacherBlend === 'string' ? { blend: s.teacherBlend } : {}),
    candidates,
    halfLives,
    skipped,
    rows: num(need(stats, 'rows', f)),
    users: num(need(stats, 'users', f)),
    usersChosen: num(need(stats, 'usersChosen', f)),
    excludedItems: num(need(stats, 'excludedItems', f)),
    k: num(need(stats, 'k', f)),
  };
}

/** Which recommender a retrain stage trained, and what it chose on validation. */
function trainedStats(stats: unknown, f: string): TrainedModelInfo {
  const s = stats as Obj;
  const chosen: Record<string, number> = {};
  for (const [k, v] of Object.entries((s.chosen as Obj | undefined) ?? {}))
    if (typeof v === 'number') chosen[k] = v;
  const familyChoice: Record<string, number> = {};
  if (Array.isArray(s.familyChoice))
    for (const c of s.familyChoice as Obj[])
      if (typeof c.confirmationNdcg10 === 'number')
        familyChoice[String(c.family)] = c.confirmationNdcg10;
  return {
    family: String(need(stats, 'family', f)),
    chosen,
    ...(Object.keys(familyChoice).length > 0 ? { familyChoice } : {}),
  };
}

function policyStats(p: unknown): NonNullable<ReportData['policy']> {
  const f = 'policy candidates.json';
  const choice = needObj(p, 'choice', f);
  const a = needObj(p, 'a', f);
  const list = need(p, 'candidates', f);
  if (!Array.isArray(list)) throw new Error(`${f}: candidates is not an array`);
  const opt = (o: Obj, k: string, as = k) =>
    typeof o[k] === 'number' ? { [as]: o[k] as number } : {};
  // Sparse users on each half of the validation users (lib/policy/halves.ts), and the cold
  // users on all of them.
  const halves = (v: Obj) => {
    const sparse = (half: string, key: string) => {
      const x = (v[half] as Obj | undefined)?.sparseNdcg10;
      return typeof x === 'number' ? { [key]: x } : {};
    };
    const cold = (v.coldUsers as Obj | undefined)?.ndcg10;
    return {
      ...sparse('selection', 'selectionSparseNdcg10'),
      ...sparse('confirmation', 'confirmSparseNdcg10'),
      ...(typeof cold === 'number' ? { coldNdcg10: cold } : {}),
    };
  };
  return {
    // Absent in results from before the choice: the selection half.
    rankOn: (p as Obj).rankOn === 'all' ? 'all' : 'selection',
    // Absent when the candidates trained as A did (no screening, or not EASE).
    ...opt(((p as Obj).screenedAt ?? {}) as Obj, 'relativeLambda', 'screenedAtRelativeLambda'),
    ...((p as Obj).teacherOneStepBack === true ? { teacherOneStepBack: true } : {}),
    ...((p as Obj).llmOneStepBack === true ? { llmOneStepBack: true } : {}),
    ...((p as Obj).ganOneStepBack === true ? { ganOneStepBack: true } : {}),
    ...(typeof choice.chosen === 'string' ? { chosen: choice.chosen } : {}),
    beatsA: choice.beatsA === true,
    reason: String(need(choice, 'reason', f)),
    a: {
      ndcg10: num(need(a, 'ndcg10', f)),
      sparseNdcg10: num(need(a, 'sparseNdcg10', f)),
      ...opt(a, 'tailRecall10'),
      ...halves(a),
    },
    candidates: (list as Obj[]).map((c) => {
      const valid = (c.valid ?? {}) as Obj;
      return {
        label: String(c.label),
        ...opt(valid, 'ndcg10'),
        ...opt(valid, 'sparseNdcg10'),
        ...opt(valid, 'tailRecall10'),
        ...halves(valid),
        ...opt(c, 'syntheticRows'),
        ...(typeof c.skipped === 'string' ? { skipped: c.skipped } : {}),
      };
    }),
  };
}

/** expansion.json's candidate model, when it names one. */
function candidateModelOf(l: unknown): Pick<NonNullable<ReportData['llm']>, 'candidateModel'> {
  const c = (l as Obj).candidateModel as Obj | undefined;
  if (!c || typeof c.name !== 'string' || typeof c.validNdcg10 !== 'number') return {};
  return { candidateModel: { name: c.name, validNdcg10: c.validNdcg10 } };
}

/** expansion.json's side-information sentence, when it has one. */
function sideInformationOf(l: unknown): Pick<NonNullable<ReportData['llm']>, 'sideInformation'> {
  const s = (l as Obj).sideInformation as Obj | undefined;
  if (!s || typeof s.fields !== 'string' || typeof s.note !== 'string') return {};
  return { sideInformation: { fields: s.fields, note: s.note } };
}

function llmStats(l: unknown): NonNullable<ReportData['llm']> {
  const f = 'expansion.json';
  const dropped = needObj(l, 'dropped', f);
  const cost = (l as Obj).costUsd;
  return {
    provider: String(need(l, 'provider', f)),
    model: String(need(l, 'model', f)),
    fallback: need(l, 'fallback', f) === true,
    ...candidateModelOf(l),
    ...sideInformationOf(l),
    users: num(need(l, 'users', f)),
    triples: num(need(l, 'triples', f)),
    dropped: {
      malformed: num(dropped.malformed ?? 0),
      outOfRange: num(dropped.outOfRange ?? 0),
      same: num(dropped.same ?? 0),
      failed: num(dropped.failed ?? 0),
    },
    requests: num(need(l, 'usage.requests', f)),
    promptTokens: num(need(l, 'usage.promptTokens', f)),
    completionTokens: num(need(l, 'usage.completionTokens', f)),
    cachedResponses: num(need(l, 'usage.cached', f)),
    ...(typeof cost === 'number' ? { costUsd: cost } : {}),
    examples: Array.isArray((l as Obj).examples)
      ? ((l as Obj).examples as unknown[]).map(String)
      : [],
  };
}

export function buildReportData(parts: ReportParts): ReportData {
  const ev = parts.evaluation;
  const file = 'evaluation.json';
  const reasons = need(ev, 'decision.reasons', file);
  if (!Array.isArray(reasons)) throw new Error(`${file}: decision.reasons is not an array`);
  const { metrics, segments } = comparisonRows(ev, parts.metric);
  const level = (ev as { comparison: Obj }).comparison.level;
  const data: ReportData = {
    meta: {
      pipeline: parts.pipeline,
      runId: parts.runId,
      createdAt: parts.createdAt,
      metric: parts.metric,
      level: typeof level === 'number' ? level : 0.95,
    },
    decision: {
      promote: need(ev, 'decision.promote', file) === true,
      reasons: reasons.map(String),
    },
    metrics,
    segments,
    models: models(ev, parts.metric),
    curves: {
      A: curve(parts.historyA, 'retrainA history.json'),
      B: curve(parts.historyB, 'retrainB history.json'),
    },
  };
  const sample = (ev as Obj).sample as Obj | undefined;
  if (sample) data.meta.testSample = { users: num(sample.users), of: num(sample.of) };
  if (parts.dataset) data.dataset = dataset(parts.dataset);
  if (parts.trainedA && parts.trainedB)
    data.trained = {
      A: trainedStats(parts.trainedA, 'retrainA manifest stats'),
      B: trainedStats(parts.trainedB, 'retrainB manifest stats'),
    };
  if (parts.composition) data.composition = composition(parts.composition);
  if (parts.gan) {
    data.gan = ganStats(parts.gan);
    const reason = (parts.gan as Obj).gateReason;
    if (typeof reason === 'string') data.ganGate = reason;
  }
  if (parts.llm) data.llm = llmStats(parts.llm);
  if (parts.teacher) data.teacher = teacherStats(parts.teacher);
  if (parts.policy) data.policy = policyStats(parts.policy);
  return data;
}
