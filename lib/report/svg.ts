/**
 * Small inline-SVG charts for the run report: no scripts, no external resources, every
 * text escaped, every coordinate finite (non-finite values are left out, not drawn at NaN).
 */

import { esc } from './escape.ts';

export const PALETTE = ['#4c72b0', '#dd8452', '#55a868', '#c44e52', '#8172b3', '#937860'];

const n = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(2)) : 0);
/** Short tick and tooltip numbers: integers as they are, others to about 2-3 digits. */
const fmt = (x: number) =>
  !Number.isFinite(x)
    ? 'n/a'
    : Number.isInteger(x)
      ? String(x)
      : Math.abs(x) >= 100
        ? x.toFixed(0)
        : Math.abs(x) >= 1
          ? x.toFixed(2)
          : x.toPrecision(2);

/** Height of the visible caption drawn above every chart's body. */
const CAPTION = 24;

/**
 * The outer <svg>: a <title> for screen readers and tooltips, the same text as a visible
 * caption (a <title> alone is never drawn), and the body moved below the caption.
 */
function frame(title: string, width: number, height: number, body: string[]): string {
  const h = height + CAPTION;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" width="${width}" height="${h}" viewBox="0 0 ${width} ${h}">`,
    `<title>${esc(title)}</title>`,
    `<text x="4" y="16" font-size="13" font-weight="600">${esc(title)}</text>`,
    `<g transform="translate(0 ${CAPTION})">`,
    ...body,
    '</g>',
    '</svg>',
  ].join('\n');
}

/** Maps [lo, hi] onto [a, b]; a degenerate range maps to the middle. */
function scale(lo: number, hi: number, a: number, b: number) {
  const span = hi - lo;
  return (x: number) => (span > 0 ? a + ((x - lo) / span) * (b - a) : (a + b) / 2);
}

export interface Interval {
  label: string;
  value: number;
  low: number;
  high: number;
}

/** Horizontal point estimates with interval whiskers around a zero line (deltas with CIs). */
export function intervalChart(title: string, rows: Interval[], xLabel: string): string {
  const width = 640;
  const left = 170;
  const right = width - 20;
  const height = 40 + rows.length * 26 + 30;
  const finite = rows.flatMap((r) => [r.low, r.high, r.value]).filter(Number.isFinite);
  const ext = Math.max(1e-9, ...finite.map(Math.abs));
  const x = scale(-ext * 1.1, ext * 1.1, left, right);
  const body = [
    `<line x1="${n(x(0))}" y1="20" x2="${n(x(0))}" y2="${height - 30}" stroke="#888" stroke-dasharray="3 3"/>`,
  ];
  rows.forEach((r, k) => {
    const y = 32 + k * 26;
    body.push(
      `<text x="${left - 8}" y="${y + 4}" text-anchor="end" font-size="12">${esc(r.label)}</text>`,
    );
    if (!Number.isFinite(r.value)) return;
    const color = r.low > 0 ? PALETTE[2] : r.high < 0 ? PALETTE[3] : '#555';
    if (Number.isFinite(r.low) && Number.isFinite(r.high))
      body.push(
        `<line x1="${n(x(r.low))}" y1="${y}" x2="${n(x(r.high))}" y2="${y}" stroke="${color}" stroke-width="2"/>`,
      );
    body.push(
      `<circle cx="${n(x(r.value))}" cy="${y}" r="4" fill="${color}"><title>${esc(`${r.label}: ${fmt(r.value)} [${fmt(r.low)}, ${fmt(r.high)}]`)}</title></circle>`,
    );
  });
  body.push(
    `<text x="${(left + right) / 2}" y="${height - 8}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`,
  );
  body.push(`<text x="${left}" y="${height - 22}" font-size="10">${esc(fmt(-ext * 1.1))}</text>`);
  body.push(`<text x="${n(x(0))}" y="${height - 22}" font-size="10" text-anchor="middle">0</text>`);
  body.push(
    `<text x="${right}" y="${height - 22}" font-size="10" text-anchor="end">${esc(fmt(ext * 1.1))}</text>`,
  );
  return frame(title, width, height, body);
}

export interface BarGroup {
  label: string;
  values: number[];
}

/** Vertical grouped bars (one colour per series). */
export function barChart(
  title: string,
  series: string[],
  groups: BarGroup[],
  yLabel: string,
): string {
  const step = Math.max(100, series.length * 22 + 24);
  const width = Math.max(320, 80 + groups.length * step);
  const height = 260;
  const top = 30;
  const bottom = height - 50;
  const max = Math.max(1e-12, ...groups.flatMap((g) => g.values).filter(Number.isFinite));
  const y = scale(0, max * 1.1, bottom, top);
  const body = [
    `<line x1="60" y1="${bottom}" x2="${width - 10}" y2="${bottom}" stroke="#333"/>`,
    `<text x="14" y="${(top + bottom) / 2}" font-size="12" transform="rotate(-90 14 ${(top + bottom) / 2})" text-anchor="middle">${esc(yLabel)}</text>`,
    `<text x="56" y="${top + 4}" font-size="10" text-anchor="end">${esc(fmt(max * 1.1))}</text>`,
  ];
  groups.forEach((g, k) => {
    const x0 = 70 + k * step;
    g.values.forEach((v, s) => {
      if (!Number.isFinite(v)) return;
      const h = bottom - y(v);
      body.push(
        `<rect x="${x0 + s * 22}" y="${n(y(v))}" width="18" height="${n(h)}" fill="${PALETTE[s % PALETTE.length]}"><title>${esc(`${g.label}, ${series[s]}: ${fmt(v)}`)}</title></rect>`,
      );
    });
    body.push(
      `<text x="${x0 + (series.length * 22) / 2}" y="${bottom + 16}" font-size="11" text-anchor="middle">${esc(g.label)}</text>`,
    );
  });
  series.forEach((s, k) =>
    body.push(
      `<rect x="${70 + k * 120}" y="${height - 22}" width="10" height="10" fill="${PALETTE[k % PALETTE.length]}"/>`,
      `<text x="${84 + k * 120}" y="${height - 13}" font-size="11">${esc(s)}</text>`,
    ),
  );
  return frame(title, width, height, body);
}

export interface Series {
  name: string;
  points: [number, number][];
}

/** Lines over a shared x axis (training curves, popularity curves). */
export function lineChart(title: string, series: Series[], xLabel: string, yLabel: string): string {
  const width = 640;
  const height = 280;
  const [left, right, top, bottom] = [60, width - 20, 20, height - 60];
  const pts = series
    .flatMap((s) => s.points)
    .filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const [xMin, xMax] = [Math.min(0, ...xs), Math.max(1, ...xs)];
  const x = scale(xMin, xMax, left, right);
  const yMin = Math.min(0, ...ys);
  const yMax = Math.max(1e-12, ...ys);
  const y = scale(yMin, yMax * 1.05, bottom, top);
  const body = [
    `<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#333"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#333"/>`,
    `<text x="${(left + right) / 2}" y="${bottom + 30}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`,
    `<text x="14" y="${(top + bottom) / 2}" font-size="12" transform="rotate(-90 14 ${(top + bottom) / 2})" text-anchor="middle">${esc(yLabel)}</text>`,
    `<text x="${left - 4}" y="${top + 4}" font-size="10" text-anchor="end">${esc(fmt(yMax * 1.05))}</text>`,
    `<text x="${left - 4}" y="${bottom}" font-size="10" text-anchor="end">${esc(fmt(yMin))}</text>`,
    `<text x="${left}" y="${bottom + 14}" font-size="10" text-anchor="middle">${esc(fmt(xMin))}</text>`,
    `<text x="${right}" y="${bottom + 14}" font-size="10" text-anchor="middle">${esc(fmt(xMax))}</text>`,
  ];
  series.forEach((s, k) => {
    const d = s.points
      .filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b))
      .map(([a, b], j) => `${j ? 'L' : 'M'}${n(x(a))} ${n(y(b))}`)
      .join(' ');
    const color = PALETTE[k % PALETTE.length];
    if (d)
      body.push(
        `<path d="${d}" fill="none" stroke="${color}" stroke-width="2"><title>${esc(s.name)}</title></path>`,
      );
    body.push(
      `<rect x="${left + k * 150}" y="${height - 22}" width="10" height="10" fill="${color}"/>`,
      `<text x="${left + 14 + k * 150}" y="${height - 13}" font-size="11">${esc(s.name)}</text>`,
    );
  });
  return frame(title, width, height, body);
}
