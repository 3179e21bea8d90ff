/**
 * One self-contained HTML document per run: inline CSS and SVG, no scripts, no external
 * resources, so it opens anywhere (MLflow's artifact viewer, a browser, an email). Sections
 * whose data is absent (no GAN, no LLM) are left out.
 */
import { barChart, esc, intervalChart, lineChart } from './svg.ts';
import type { MetricRow, ReportData } from './types.ts';

const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : 'n/a');
const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');
const pValue = (p: number) => (!Number.isFinite(p) ? 'n/a' : p < 1e-4 ? '<0.0001' : p.toFixed(4));

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:980px;color:#222;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
.meta{color:#666}.verdict{font-size:1.6rem;font-weight:700;padding:.6rem 1rem;border-radius:6px;display:inline-block}
.promote{background:#e3f4e6;color:#1d6b2c}.keep{background:#fbeaea;color:#8a1f1f}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .6rem;border-bottom:1px solid #eee;text-align:right}
th:first-child,td:first-child{text-align:left}.up{color:#1d6b2c}.down{color:#8a1f1f}
.note{background:#fff6d6;border-left:4px solid #e0b000;padding:.5rem .8rem}
svg.chart{display:block;margin:.5rem 0;max-width:100%;height:auto}
`;

function metricTable(rows: MetricRow[], level: number, withSegment = false): string {
  const head = `<tr>${withSegment ? '<th>segment</th>' : ''}<th>metric</th><th>A</th><th>B</th><th>B - A</th><th>${Math.round(level * 100)}% CI</th><th>p</th><th>users</th></tr>`;
  const body = rows.map((r) => {
    const cls = r.ciLow > 0 ? 'up' : r.ciHigh < 0 ? 'down' : '';
    const seg = withSegment
      ? `<td>${esc((r as MetricRow & { segment?: string }).segment)}</td>`
      : '';
    return `<tr>${seg}<td>${esc(r.metric)}</td><td>${f4(r.a)}</td><td>${f4(r.b)}</td><td class="${cls}">${f4(r.delta)}</td><td>${f4(r.ciLow)} .. ${f4(r.ciHigh)}</td><td>${pValue(r.p)}</td><td>${r.n}</td></tr>`;
  });
  return `<table>${head}${body.join('')}</table>`;
}

function kvTable(entries: [string, unknown][]): string {
  const fmt = (v: unknown) =>
    typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : String(v);
  return `<table>${entries.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(fmt(v))}</td></tr>`).join('')}</table>`;
}

function compositionSection(c: NonNullable<ReportData['composition']>): string {
  const sources = ['real', 'gan', 'llm', 'sampled'].filter(
    (s) => (c.rows.a[s] ?? 0) + (c.rows.b[s] ?? 0) > 0,
  );
  const buckets = c.popularity.real.map((_, k) => k);
  const share = (xs: number[]) => {
    const total = xs.reduce((a, b) => a + b, 0) || 1;
    return xs.map((x) => x / total);
  };
  const real = share(c.popularity.real);
  const syn = share(c.popularity.synthetic);
  return [
    '<h2>Training sets</h2>',
    `<p>Synthetic share of B's positives: ${pct(c.shareAchieved)} (target at most ${pct(c.shareTarget)}). Long-tail share of positives: real ${pct(c.tail.realShare)}, synthetic ${pct(c.tail.syntheticShare)}, B ${pct(c.tail.bShare)}.</p>`,
    barChart(
      'Rows of training sets A and B by source',
      ['A', 'B'],
      sources.map((s) => ({ label: s, values: [c.rows.a[s] ?? 0, c.rows.b[s] ?? 0] })),
      'rows',
    ),
    barChart(
      'Users by number of synthetic positives kept',
      ['users'],
      c.perUser.labels.map((label, k) => ({ label, values: [c.perUser.users[k] ?? 0] })),
      'users',
    ),
    lineChart(
      'Popularity of real vs synthetic positives',
      [
        { name: 'real positives', points: buckets.map((k) => [k, real[k]!] as [number, number]) },
        {
          name: 'synthetic positives',
          points: buckets.map((k) => [k, syn[k]!] as [number, number]),
        },
      ],
      'item popularity bucket (0 = most popular 5%)',
      'share of positives',
    ),
  ].join('\n');
}

function llmSection(l: NonNullable<ReportData['llm']>): string {
  const who = l.fallback
    ? `<p class="note"><strong>No LLM produced these samples.</strong> ${esc(l.note)} (${esc(l.model)})</p>`
    : `<p>Answers from <strong>${esc(l.model)}</strong> (${esc(l.provider)}). ${esc(l.note)}</p>`;
  return [
    '<h2>LLM expansion</h2>',
    who,
    kvTable([
      ['users asked', l.users],
      ['triples (liked, disliked)', l.triples],
      ...Object.entries(l.dropped).map(([k, v]) => [`dropped: ${k}`, v] as [string, unknown]),
      ...Object.entries(l.usage).map(([k, v]) => [k, v] as [string, unknown]),
    ]),
  ].join('\n');
}

export function renderReport(d: ReportData): string {
  const level = d.meta.level;
  const verdict = d.decision.promote ? 'PROMOTE B' : 'KEEP A';
  const curve = (key: 'loss' | 'validNdcg10') =>
    (['A', 'B'] as const).map((v) => ({
      name: `model ${v}`,
      points: d.curves[v]
        .filter((p) => typeof p[key] === 'number')
        .map((p) => [p.epoch, p[key]!] as [number, number]),
    }));
  const sections = [
    `<h1>${esc(d.meta.pipeline)}: does augmentation help?</h1>`,
    `<p class="meta">run ${esc(d.meta.runId)} · ${esc(d.meta.createdAt)} · primary metric ${esc(d.meta.metric)}</p>`,
    `<p><span class="verdict ${d.decision.promote ? 'promote' : 'keep'}" id="decision">${verdict}</span></p>`,
    `<ul>${d.decision.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>`,
    '<h2>A (real data) vs B (augmented): all test users</h2>',
    metricTable(d.metrics, level),
    intervalChart(
      `Paired difference B - A per metric, ${Math.round(level * 100)}% bootstrap CI`,
      // Accuracy metrics share a scale; novelty and tail share are in the table only.
      d.metrics
        .filter((m) => /^(recall|ndcg|hr|map)@|^mrr$/.test(m.metric))
        .map((m) => ({ label: m.metric, value: m.delta, low: m.ciLow, high: m.ciHigh })),
      'B - A (right of the line: B better)',
    ),
    '<h2>Guard rails: cold users and tail items</h2>',
    metricTable(d.segments, level, true),
    intervalChart(
      'Paired difference B - A per segment',
      d.segments.map((m) => ({
        label: `${m.segment} ${m.metric}`,
        value: m.delta,
        low: m.ciLow,
        high: m.ciHigh,
      })),
      'B - A',
    ),
    `<h2>Models and baselines (${esc(d.meta.metric)})</h2>`,
    barChart(
      `${d.meta.metric} of the models and baselines`,
      [d.meta.metric],
      d.models.map((m) => ({ label: m.name, values: [m.value] })),
      d.meta.metric,
    ),
    '<h2>Training</h2>',
    lineChart('Validation NDCG@10 per epoch', curve('validNdcg10'), 'epoch', 'validation NDCG@10'),
    lineChart('Training loss per epoch', curve('loss'), 'epoch', 'loss'),
  ];
  if (d.composition) sections.push(compositionSection(d.composition));
  if (d.gan) sections.push('<h2>GAN augmentation (CFGAN)</h2>', kvTable(Object.entries(d.gan)));
  if (d.llm) sections.push(llmSection(d.llm));
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(d.meta.pipeline)} - ${esc(d.meta.runId)}</title>`,
    `<style>${CSS}</style></head><body>`,
    ...sections,
    '</body></html>',
    '',
  ].join('\n');
}
