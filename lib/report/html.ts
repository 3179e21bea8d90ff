/**
 * One self-contained HTML document per run: inline CSS and SVG, no scripts, no external
 * resources, so it opens anywhere (MLflow's artifact viewer, a browser, an email). Sections
 * whose data is absent (no GAN, no LLM, no baselines) are left out.
 */
import { f4, htmlDocument, int, pValue, pct, section, value } from './document.ts';
import { esc } from './escape.ts';
import { barChart, intervalChart, lineChart } from './svg.ts';
import type { HalvesFigures, MetricRow, ReportData, TrainedModelInfo } from './types.ts';

function metricTable(rows: (MetricRow & { segment?: string })[], level: number): string {
  const withSegment = rows.some((r) => r.segment !== undefined);
  const head = `<tr>${withSegment ? '<th>segment</th>' : ''}<th>metric</th><th>A</th><th>B</th><th>B - A</th><th>${Math.round(level * 100)}% CI</th><th>Wilcoxon p</th><th>users</th></tr>`;
  const body = rows.map((r) => {
    // Green/red only when the interval excludes zero.
    const cls = r.ciLow > 0 ? 'up' : r.ciHigh < 0 ? 'down' : '';
    const seg = withSegment ? `<td>${esc(r.segment ?? '')}</td>` : '';
    return `<tr>${seg}<td>${esc(r.metric)}</td><td>${f4(r.a)}</td><td>${f4(r.b)}</td><td class="${cls}">${f4(r.delta)}</td><td>${f4(r.ciLow)} .. ${f4(r.ciHigh)}</td><td>${pValue(r.p)}</td><td>${int(r.n)}</td></tr>`;
  });
  return `<table>${head}${body.join('')}</table>`;
}

function kvTable(entries: [string, string][]): string {
  return `<table>${entries.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table>`;
}

function header(d: ReportData): string[] {
  const verdict = d.decision.promote ? 'PROMOTE B' : 'KEEP A';
  return [
    `<h1>${esc(d.meta.pipeline)}: does augmentation help?</h1>`,
    `<p class="meta">run ${esc(d.meta.runId)} · ${esc(d.meta.createdAt)} · primary metric ${esc(d.meta.metric)}</p>`,
    `<p><span class="verdict ${d.decision.promote ? 'promote' : 'keep'}" id="decision">${verdict}</span></p>`,
    `<ul id="reasons">${d.decision.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>`,
  ];
}

function datasetSection(s: NonNullable<ReportData['dataset']>): string {
  return section('dataset', 'Data (after preprocessing)', [
    kvTable([
      ['users', int(s.users)],
      ['items', int(s.items)],
      [
        'train / valid / test rows',
        `${int(s.trainRows)} / ${int(s.validRows)} / ${int(s.testRows)}`,
      ],
      ['density', pct(s.density)],
      ['popularity Gini (train)', f4(s.popularityGini)],
    ]),
  ]);
}

/** Who was ranked: every test user, or evaluate's seeded sample of them. */
function testUsers(d: ReportData): string {
  const s = d.meta.testSample;
  return s ? `a seeded sample of ${int(s.users)} of ${int(s.of)} test users` : 'all test users';
}

function abSection(d: ReportData): string {
  const level = d.meta.level;
  return section('metrics', `A (real data) vs B (augmented): ${testUsers(d)}`, [
    metricTable(d.metrics, level),
    intervalChart(
      `Paired difference B - A per metric, ${Math.round(level * 100)}% bootstrap CI`,
      // Accuracy metrics share a scale; novelty and tail share are in the table only.
      d.metrics
        .filter((m) => /^(recall|ndcg|hr|map)@|^mrr$/.test(m.metric))
        .map((m) => ({ label: m.metric, value: m.delta, low: m.ciLow, high: m.ciHigh })),
      'B - A (right of the dashed line: B better)',
    ),
  ]);
}

function segmentSection(d: ReportData): string {
  return section('segments', 'Guard rails: cold users, sparse users and tail items', [
    metricTable(d.segments, d.meta.level),
    intervalChart(
      `Paired difference B - A per segment, ${Math.round(d.meta.level * 100)}% bootstrap CI`,
      d.segments.map((m) => ({
        label: `${m.segment} ${m.metric}`,
        value: m.delta,
        low: m.ciLow,
        high: m.ciHigh,
      })),
      'B - A (right of the dashed line: B better)',
    ),
  ]);
}

function modelsSection(d: ReportData): string {
  const m = d.meta.metric;
  return section('models', `Models and baselines (${m}, ${testUsers(d)})`, [
    barChart(
      `${m} of A, B and the baselines`,
      [m],
      d.models.map((x) => ({ label: x.name, values: [x.value] })),
      m,
    ),
    ...breadthTable(d.models),
  ]);
}

/** How widely each model recommends: catalog coverage and exposure concentration. */
function breadthTable(models: ReportData['models']): string[] {
  const rows = models.filter((x) => x.breadth);
  if (rows.length === 0) return [];
  const k = rows[0]!.breadth!.k;
  const head = `<tr><th>model</th><th>coverage@${k}</th><th>exposure Gini@${k}</th></tr>`;
  const body = rows.map(
    (x) =>
      `<tr><td>${esc(x.name)}</td><td>${pct(x.breadth!.coverage)}</td><td>${f4(x.breadth!.gini)}</td></tr>`,
  );
  return [
    `<table>${head}${body.join('')}</table>`,
    `<p>Coverage: share of the catalog in at least one test user's top ${k}. Gini: 0 when every item is recommended equally often, near 1 when a few items take all the exposure.</p>`,
  ];
}

function trainingSection(d: ReportData): string {
  const curve = (key: 'loss' | 'validNdcg10') =>
    (['A', 'B'] as const).map((v) => ({
      name: `model ${v}`,
      points: d.curves[v]
        .filter((p) => typeof p[key] === 'number')
        .map((p) => [p.epoch, p[key]!] as [number, number]),
    }));
  const valid = curve('validNdcg10');
  return section('training', 'Training (retrainA, retrainB)', [
    ...(d.trained ? [`<p>${esc(trainedSentence(d.trained))}</p>`] : []),
    ...(valid.some((s) => s.points.length)
      ? [lineChart('Validation NDCG@10 per epoch', valid, 'epoch', 'validation NDCG@10')]
      : []),
    lineChart('Training loss per epoch', curve('loss'), 'epoch', 'mean weighted loss'),
  ]);
}

/** "A: ease (lambda 104, history weighted by recency, half-life 4 rows); B: ... The family ..." */
function trainedSentence(t: NonNullable<ReportData['trained']>): string {
  const one = (m: TrainedModelInfo) => {
    const { halfLife, relativeLambda, ...rest } = m.chosen;
    const parts = Object.entries(rest).map(([k, v]) =>
      k === 'lambda' && relativeLambda !== undefined
        ? `lambda ${Number(v.toPrecision(4))} = ${relativeLambda} x the mean train rows per item`
        : `${k} ${Number(v.toPrecision(4))}`,
    );
    if (m.family === 'ease')
      parts.push(
        halfLife === undefined
          ? 'plain history'
          : `history weighted by recency, half-life ${halfLife} rows`,
      );
    return parts.length ? `${m.family} (${parts.join(', ')})` : m.family;
  };
  const choice = t.A.familyChoice;
  const auto = choice
    ? ` The family was chosen by model.family auto on validation (NDCG@10 on the confirmation half: ${Object.entries(
        choice,
      )
        .map(([f, v]) => `${f} ${f4(v)}`)
        .join(', ')}).`
    : '';
  const chose = Object.keys({ ...t.A.chosen, ...t.B.chosen }).length > 0;
  return `A: ${one(t.A)}; B: ${one(t.B)}${chose ? ', settings chosen on validation' : ''}.${auto}`;
}

function compositionSection(c: NonNullable<ReportData['composition']>): string {
  const sources = ['real', 'gan', 'llm', 'teacher', 'sampled'].filter(
    (s) => (c.rows.a[s] ?? 0) + (c.rows.b[s] ?? 0) > 0,
  );
  const share = (xs: number[]) => {
    const total = xs.reduce((a, b) => a + b, 0) || 1;
    return xs.map((x, k) => [k, x / total] as [number, number]);
  };
  const drops = Object.entries(c.drops).filter(([, v]) => v > 0);
  return section('composition', 'Training sets A and B', [
    `<p>Synthetic share of B's positives: ${pct(c.shareAchieved)} (target at most ${pct(c.shareTarget)}). Long-tail share of positives: real ${pct(c.tail.realShare)}, synthetic ${pct(c.tail.syntheticShare)}, B ${pct(c.tail.bShare)}.</p>`,
    barChart(
      'Rows of training sets A and B by source',
      ['A', 'B'],
      sources.map((s) => ({ label: s, values: [c.rows.a[s] ?? 0, c.rows.b[s] ?? 0] })),
      'rows',
    ),
    ...(drops.length
      ? ['<p>Synthetic rows left out of B:</p>', kvTable(drops.map(([k, v]) => [k, int(v)]))]
      : []),
    barChart(
      'Users by number of synthetic positives kept in B',
      ['users'],
      c.perUser.labels.map((label, k) => ({ label, values: [c.perUser.users[k] ?? 0] })),
      'users',
    ),
    lineChart(
      'Item popularity curve: real vs synthetic positives',
      [
        { name: 'real positives', points: share(c.popularity.real) },
        { name: 'synthetic positives', points: share(c.popularity.synthetic) },
      ],
      'item popularity rank bucket (0 = most popular 5%)',
      'share of positives',
    ),
  ]);
}

const GAN_LABELS: Record<string, string> = {
  generatorValidNdcg10: 'generator as a recommender: validation NDCG@10',
  generatorHalfLife:
    "generator's condition: history weighted by recency, half-life in train rows (chosen on validation)",
  popularityJsDistance: 'item popularity, real vs generated: Jensen-Shannon distance',
  coverage: 'share of the catalog among generated items',
  novelty: 'novelty of generated items (bits)',
  realNovelty: 'novelty of real train items (bits)',
  meanScore: 'mean generator score of the synthetic positives',
  rows: 'synthetic positives',
  users: 'users augmented',
  topK: 'positives per augmented user',
  gateUsers: 'gate: users with validation items among those to augment',
  gateGeneratorValidNdcg10: 'gate: generator validation NDCG@10 on those users',
  gateBaselineValidNdcg10: "gate: the strongest baseline's validation NDCG@10 on those users",
};

function ganSection(g: Record<string, number>, gate?: string): string {
  return section('gan', 'GAN augmentation (CFGAN)', [
    ...(gate ? [`<p class="note" id="gan-gate">Source gate: ${esc(gate)}.</p>`] : []),
    kvTable(Object.entries(g).map(([k, v]) => [GAN_LABELS[k] ?? k, value(v)])),
  ]);
}

function policySection(p: NonNullable<ReportData['policy']>): string {
  // Results from before the cold-user rail have no cold figures: no column.
  const cold = p.a.coldNdcg10 !== undefined;
  const head = `<tr><th>candidate</th><th>synthetic rows</th><th>NDCG@10</th><th>sparse users NDCG@10</th><th>tail items Recall@10</th><th>sparse users, selection half</th><th>sparse users, confirmation half</th>${cold ? '<th>cold users NDCG@10</th>' : ''}</tr>`;
  const row = (label: string, cells: string[], chosen = false) =>
    `<tr${chosen ? ' class="up"' : ''}><td>${esc(label)}</td>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  const figures = (
    v: HalvesFigures & { ndcg10?: number; sparseNdcg10?: number; tailRecall10?: number },
  ) => [
    f4(v.ndcg10 ?? NaN),
    f4(v.sparseNdcg10 ?? NaN),
    f4(v.tailRecall10 ?? NaN),
    f4(v.selectionSparseNdcg10 ?? NaN),
    f4(v.confirmSparseNdcg10 ?? NaN),
    ...(cold ? [f4(v.coldNdcg10 ?? NaN)] : []),
  ];
  const body = [
    row('A (real data only)', ['0', ...figures(p.a)]),
    ...p.candidates.map((c) =>
      c.skipped !== undefined
        ? row(c.label, [
            c.syntheticRows !== undefined ? int(c.syntheticRows) : '',
            esc(`skipped: ${c.skipped}`),
            '',
            '',
            '',
            '',
            ...(cold ? [''] : []),
          ])
        : row(c.label, [int(c.syntheticRows ?? NaN), ...figures(c)], c.label === p.chosen),
    ),
  ];
  return section('policy', 'Augmentation policy (chosen on validation)', [
    `<p id="policy-choice">${p.beatsA ? 'B uses' : 'No candidate beats A on validation; B uses'} <strong>${esc(p.chosen ?? 'no synthetic rows')}</strong>: ${esc(p.reason)}.</p>`,
    `<table>${head}${body.join('')}</table>`,
    `<p>Each candidate is a model of the run's family trained on B built with that source and setting (k: synthetic positives per user, w: their weight, u: the share of users, fewest train items first, that keep them), scored on the validation split; the test split is read only by the A/B test above. Models are early-stopped on the selection half of the validation users.${
      p.screenedAtRelativeLambda !== undefined
        ? ` EASE candidates were fitted at A's lambda (${p.screenedAtRelativeLambda} x the mean train rows per item), their history's half-life chosen each; B is fitted with the whole lambda grid.`
        : ''
    }${
      p.teacherOneStepBack
        ? " The teacher's candidates were trained with its proposals made one step back, from each user's history without the latest train row: the real proposals aim at the validation step, so validation would credit them with hits that test, one step further, does not give. B takes the real proposals."
        : ''
    }${otherSourcesBack(p)} ${
      p.rankOn === 'all'
        ? 'The candidates are ranked on every validation user, and the pick counts as beating A only when it does so on each half; the A/B test above is the estimate no choice has seen.'
        : 'The candidates are ranked on the selection half; the pick must beat A on the confirmation half too, which no choice has seen, so its figure there is the honest estimate of its lift.'
    }${
      cold
        ? " A candidate whose cold users fall as the A/B test's cold-user guard rail would not accept (on every validation user, the same allowance and small-segment rule) is not picked."
        : ''
    }</p>`,
  ]);
}

/** The sentence on the LLM source's and the GAN's rows one step back, if either was. */
function otherSourcesBack(p: NonNullable<ReportData['policy']>): string {
  const sources = [
    ...(p.llmOneStepBack ? ["the LLM source's"] : []),
    ...(p.ganOneStepBack ? ["the GAN's"] : []),
  ];
  if (sources.length === 0) return '';
  const whose = sources.join(' and ');
  return ` ${whose[0]!.toUpperCase()}${whose.slice(1)} candidates were trained with ${sources.length > 1 ? 'their' : 'its'} rows made one step back in the same way (from each history without its latest train row); B takes the real rows.`;
}

/**
 * `aValid`: model A's validation NDCG@10 as the policy scored it. A teacher no stronger than
 * A proposes what A already ranks high; the reader should know that before reading B's lift.
 */
function teacherSection(t: NonNullable<ReportData['teacher']>, aValid?: number): string {
  const rows: [string, string][] = [
    ...Object.entries(t.candidates).map(
      ([name, ndcg]) =>
        [
          `${BASELINE_LABELS[name] ?? name}: validation NDCG@10`,
          `${f4(ndcg)}${t.halfLives[name] !== undefined ? ` (history weighted by recency, half-life ${t.halfLives[name]} rows)` : ''}`,
        ] as [string, string],
    ),
    ...Object.entries(t.skipped).map(
      ([name, why]) => [`${BASELINE_LABELS[name] ?? name}: not tried`, why] as [string, string],
    ),
    ['users chosen (fewest train items first)', int(t.usersChosen)],
    ['users given pseudo-positives', int(t.users)],
    ['pseudo-positives', int(t.rows)],
    ['most per user', int(t.k)],
    ['most popular items never proposed', int(t.excludedItems)],
  ];
  return section('teacher', 'Teacher-guided augmentation', [
    `<p id="teacher-name">Teacher: ${teacherName(t)}. Its top unseen items became pseudo-positives of the chosen users; the policy decides which of them keep theirs.</p>`,
    ...(aValid !== undefined ? [teacherVersusA(t.validNdcg10, aValid)] : []),
    kvTable(rows),
  ]);
}

function teacherVersusA(teacher: number, a: number): string {
  return teacher > a
    ? `<p id="teacher-vs-a">On the validation split the teacher scores NDCG@10 ${f4(teacher)}, model A ${f4(a)}: it ranks better than A, so its proposals can teach A something.</p>`
    : `<p class="note" id="teacher-vs-a"><strong>The teacher is no stronger than A.</strong> On the validation split model A scores NDCG@10 ${f4(a)}, the teacher ${f4(teacher)}: it proposes items A already ranks high, so its rows can add little to A.</p>`;
}

/** The best candidate, or the blend of candidates that beat it on validation. */
function teacherName(t: NonNullable<ReportData['teacher']>): string {
  if (!t.blend)
    return `<strong>${esc(BASELINE_LABELS[t.name] ?? t.name)}</strong>, the best candidate on the validation split (NDCG@10 ${f4(t.validNdcg10)})`;
  const parts = t.blend.replace(/[a-z0-9]+(?= [0-9.]+)/g, (name) => BASELINE_LABELS[name] ?? name);
  return `a blend of candidates, <strong>${esc(parts)}</strong> (each part's per-user scores standardised and weighted), which beat the best candidate on the validation split (NDCG@10 ${f4(t.validNdcg10)} vs ${esc(BASELINE_LABELS[t.name] ?? t.name)}'s ${f4(t.candidates[t.name] ?? NaN)})`;
}

const BASELINE_LABELS: Record<string, string> = {
  ease: 'EASE',
  rp3beta: 'RP3beta',
  itemknn: 'ItemKNN',
};

function llmSection(l: NonNullable<ReportData['llm']>): string {
  const who = l.fallback
    ? `<p class="note" id="llm-fallback"><strong>No LLM produced these samples.</strong> A local item-sequence model (${esc(l.model)}), not an LLM, chose the liked and disliked items.</p>`
    : `<p>The liked and disliked items were chosen by the LLM <strong>${esc(l.model)}</strong> (provider ${esc(l.provider)}).</p>`;
  const side = l.sideInformation
    ? `<p class="note" id="llm-side-information">${l.sideInformation.fields === 'none' ? '<strong>No side information.</strong> ' : ''}${esc(l.sideInformation.note)}</p>`
    : '';
  const rows: [string, string][] = [
    ...(l.candidateModel
      ? [
          [
            'candidates proposed by',
            `${l.candidateModel.name} (validation NDCG@10 ${l.candidateModel.validNdcg10.toFixed(4)})`,
          ] as [string, string],
        ]
      : []),
    ['users asked', int(l.users)],
    ['triples kept (liked, disliked)', int(l.triples)],
    ['dropped: malformed answer', int(l.dropped.malformed)],
    ['dropped: candidate number out of range', int(l.dropped.outOfRange)],
    ['dropped: liked = disliked', int(l.dropped.same)],
    ['dropped: request failed', int(l.dropped.failed)],
    ['requests to the provider', int(l.requests)],
    ['answers from the response cache', int(l.cachedResponses)],
    ['prompt tokens', int(l.promptTokens)],
    ['completion tokens', int(l.completionTokens)],
    ...(l.costUsd !== undefined ? [['cost (USD)', l.costUsd.toFixed(4)] as [string, string]] : []),
  ];
  const examples = l.examples.length
    ? [
        '<p>Examples of dropped answers, as given:</p>',
        `<ul>${l.examples.map((e) => `<li><code>${esc(e)}</code></li>`).join('')}</ul>`,
      ]
    : [];
  return section('llm', 'LLM expansion', [who, side, kvTable(rows), ...examples]);
}

export function renderReport(d: ReportData): string {
  const sections = [
    ...header(d),
    ...(d.dataset ? [datasetSection(d.dataset)] : []),
    abSection(d),
    ...(d.segments.length ? [segmentSection(d)] : []),
    modelsSection(d),
    trainingSection(d),
    ...(d.composition ? [compositionSection(d.composition)] : []),
    ...(d.gan && Object.keys(d.gan).length ? [ganSection(d.gan, d.ganGate)] : []),
    ...(d.llm ? [llmSection(d.llm)] : []),
    ...(d.teacher ? [teacherSection(d.teacher, d.policy?.a.ndcg10)] : []),
    ...(d.policy ? [policySection(d.policy)] : []),
  ];
  return htmlDocument(`${d.meta.pipeline} - ${d.meta.runId}`, sections);
}
