/**
 * The comparison that ends an experiment: one row per variant (its overrides, status, A and
 * B on the primary metric, the paired delta with its interval and p-value, the decision),
 * ranked by B's primary metric, as JSON and as a self-contained HTML page.
 */
import type { VariantRow } from '../contracts/experiment.ts';
import { f4, htmlDocument, pValue, section } from '../report/document.ts';
import { esc } from '../report/escape.ts';
import { intervalChart } from '../report/svg.ts';
import { describeOverrides } from './grid.ts';

export interface ExperimentComparison {
  experimentId: string;
  name: string;
  createdAt: string;
  /** The primary metric the rows report (from the first evaluated variant). */
  metric?: string;
  axes: { path: string; values: unknown[] }[];
  rows: VariantRow[];
  /** Completed, evaluated variants, best B first. */
  ranking: string[];
  best?: string;
}

export function buildComparison(input: {
  experimentId: string;
  name: string;
  createdAt: string;
  axes: ExperimentComparison['axes'];
  rows: VariantRow[];
}): ExperimentComparison {
  const evaluated = input.rows.filter(
    (r) => r.status === 'completed' && r.b !== undefined && Number.isFinite(r.b),
  );
  const ranking = [...evaluated]
    // Ties keep grid order, so the ranking is stable.
    .sort((x, y) => y.b! - x.b! || order(input.rows, x) - order(input.rows, y))
    .map((r) => r.label);
  return {
    ...input,
    metric: evaluated[0]?.metric,
    ranking,
    ...(ranking.length ? { best: ranking[0] } : {}),
  };
}

function order(rows: VariantRow[], r: VariantRow): number {
  return rows.findIndex((x) => x.label === r.label);
}

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
const num = (x: number | undefined) => (x === undefined ? '' : f4(x));

/** Plain-text table for terminals: one line per variant, in grid order. */
export function comparisonLines(c: ExperimentComparison): string[] {
  const m = c.metric ?? 'metric';
  const head = [
    'variant',
    ...c.axes.map((a) => a.path),
    'status',
    `A ${m}`,
    `B ${m}`,
    'B - A',
    'CI',
    'p',
    'decision',
    'stages',
  ];
  const rows = c.rows.map((r) => [
    `${r.label}${r.label === c.best ? ' *' : ''}`,
    ...c.axes.map((a) => show(r.overrides[a.path])),
    r.status,
    num(r.a),
    num(r.b),
    num(r.delta),
    r.ciLow === undefined ? '' : `${f4(r.ciLow)}..${f4(r.ciHigh ?? NaN)}`,
    r.pValue === undefined ? '' : pValue(r.pValue),
    r.promote === undefined
      ? r.error
        ? r.error.slice(0, 60)
        : ''
      : r.promote
        ? 'promote B'
        : 'keep A',
    r.stagesDone === undefined ? '' : `${r.stagesDone} done, ${r.stagesCached ?? 0} cached`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((s, i) => s.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [
    line(head),
    ...rows.map(line),
    c.best
      ? `* best B ${m}: ${c.best} (${describeOverrides(c.rows.find((r) => r.label === c.best)!.overrides)})`
      : 'no variant completed its evaluation',
  ];
}

export function renderComparison(c: ExperimentComparison): string {
  const m = c.metric ?? 'metric';
  const head = `<tr><th>variant</th>${c.axes.map((a) => `<th>${esc(a.path)}</th>`).join('')}<th>status</th><th>A</th><th>B</th><th>B - A</th><th>CI</th><th>Wilcoxon p</th><th>decision</th><th>stages</th><th>report</th></tr>`;
  const body = c.rows.map((r) => {
    const cls = (r.ciLow ?? 0) > 0 ? 'up' : (r.ciHigh ?? 0) < 0 ? 'down' : '';
    const decision =
      r.promote === undefined
        ? esc(r.error ?? '')
        : `<span class="${r.promote ? 'up' : 'down'}">${r.promote ? 'promote B' : 'keep A'}</span>`;
    const link = r.mlflow
      ? `<a href="${esc(r.mlflow.url)}">MLflow</a>`
      : r.report
        ? `<code>${esc(r.report)}</code>`
        : '';
    return `<tr${r.label === c.best ? ' class="best"' : ''}><td>${esc(r.label)}${r.label === c.best ? ' ★' : ''}</td>${c.axes
      .map((a) => `<td>${esc(show(r.overrides[a.path]))}</td>`)
      .join(
        '',
      )}<td>${esc(r.status)}</td><td>${num(r.a)}</td><td>${num(r.b)}</td><td class="${cls}">${num(r.delta)}</td><td>${r.ciLow === undefined ? '' : `${f4(r.ciLow)} .. ${f4(r.ciHigh ?? NaN)}`}</td><td>${r.pValue === undefined ? '' : pValue(r.pValue)}</td><td>${decision}</td><td>${r.stagesDone === undefined ? '' : `${r.stagesDone} done, ${r.stagesCached ?? 0} cached`}</td><td>${link}</td></tr>`;
  });
  const evaluated = c.rows.filter((r) => r.delta !== undefined);
  const best = c.rows.find((r) => r.label === c.best);
  return htmlDocument(`${c.name} - experiment ${c.experimentId}`, [
    `<h1>${esc(c.name)}: experiment over ${c.rows.length} variants</h1>`,
    `<p class="meta">experiment ${esc(c.experimentId)} · ${esc(c.createdAt)} · primary metric ${esc(m)}</p>`,
    best
      ? `<p id="best">Best B ${esc(m)}: <b>${esc(best.label)}</b> (${esc(describeOverrides(best.overrides))}) - ${best.promote ? 'its gate promoted B' : 'its gate kept A'}.</p>`
      : '<p id="best" class="note">No variant completed its evaluation.</p>',
    section('variants', 'Variants', [`<table id="comparison">${head}${body.join('')}</table>`]),
    ...(evaluated.length
      ? [
          section('deltas', `B - A on ${m} per variant`, [
            intervalChart(
              `Paired difference B - A on ${m}, bootstrap CI`,
              evaluated.map((r) => ({
                label: `${r.label} ${describeOverrides(r.overrides)}`.slice(0, 28),
                value: r.delta!,
                low: r.ciLow ?? NaN,
                high: r.ciHigh ?? NaN,
              })),
              `B - A (${m})`,
            ),
          ]),
        ]
      : []),
  ]);
}
