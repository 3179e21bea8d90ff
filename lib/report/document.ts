/**
 * The frame every HTML document of the project shares (run reports, experiment
 * comparisons): inline CSS, no scripts, no external resources, and the number formats.
 */
import { esc } from './escape.ts';

export const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : 'n/a');
export const int = (x: number) =>
  Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a';
export const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');
export const pValue = (p: number) =>
  !Number.isFinite(p) ? 'n/a' : p < 1e-4 ? '<0.0001' : p.toFixed(4);
export const value = (v: number) => (Number.isInteger(v) ? int(v) : f4(v));

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:980px;color:#222;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
.meta{color:#666}.verdict{font-size:2rem;font-weight:700;padding:.5rem 1.2rem;border-radius:6px;display:inline-block;letter-spacing:.03em}
.promote{background:#e3f4e6;color:#1d6b2c}.keep{background:#fbeaea;color:#8a1f1f}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .6rem;border-bottom:1px solid #eee;text-align:right}
th:first-child,td:first-child{text-align:left}.up{color:#1d6b2c}.down{color:#8a1f1f}
.note{background:#fff6d6;border-left:4px solid #e0b000;padding:.5rem .8rem}
code{white-space:pre-wrap;word-break:break-all}
svg.chart{display:block;margin:1rem 0;max-width:100%;height:auto}
`;

export function section(id: string, title: string, body: string[]): string {
  return [`<section id="${id}">`, `<h2>${esc(title)}</h2>`, ...body, '</section>'].join('\n');
}

/** A complete document: `title` is text (escaped here); `body` is HTML. */
export function htmlDocument(title: string, body: string[]): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${CSS}</style></head><body>`,
    ...body,
    '</body></html>',
    '',
  ].join('\n');
}
