import { describe, expect, it } from 'vitest';
import { buildReportData, renderReport } from '../../../lib/report/index.ts';
import { esc } from '../../../lib/report/svg.ts';
import { reportParts } from '../../helpers/report-data.ts';

/** Checks tags are balanced (a strict XML-ish pass over the SVG fragments). */
function balanced(svg: string): string[] {
  const stack: string[] = [];
  const errors: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    const [, close, name, self] = m;
    if (self) continue;
    if (!close) stack.push(name!);
    else if (stack.pop() !== name) errors.push(`unexpected </${name}>`);
  }
  if (stack.length) errors.push(`unclosed ${stack.join(', ')}`);
  return errors;
}

describe('run report', () => {
  const parts = reportParts();

  it('renders every section with well-formed, finite inline SVG and no scripts or links out', () => {
    const html = renderReport(buildReportData(parts));
    expect(html.startsWith('<!doctype html>')).toBe(true);
    for (const h of [
      'A (real data) vs B (augmented)',
      'Guard rails',
      'Training</h2>',
      'Training sets',
      'GAN augmentation',
      'LLM expansion',
    ])
      expect(html).toContain(h);
    const svgs = [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
    expect(svgs.length).toBe(8);
    for (const svg of svgs) {
      expect(balanced(svg)).toEqual([]);
      expect(svg).toMatch(/<title>[^<]+<\/title>/);
      // Every coordinate and size is a finite number.
      for (const [, attr, value] of svg.matchAll(
        / (x|y|x1|x2|y1|y2|cx|cy|r|width|height)="([^"]*)"/g,
      ))
        expect(Number.isFinite(Number(value)), `${attr}="${value}"`).toBe(true);
      for (const [, d] of svg.matchAll(/ d="([^"]*)"/g)) expect(d).not.toMatch(/NaN|Infinity/);
    }
    expect(html).not.toMatch(/<script|<link|<img|src=|@import/i);
    expect(html.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\//);
  });

  it('shows the decision and its reasons, and says plainly when no LLM made the samples', () => {
    const d = buildReportData(parts);
    const html = renderReport(d);
    expect(html).toContain(d.decision.promote ? 'PROMOTE B' : 'KEEP A');
    for (const r of d.decision.reasons) expect(html).toContain(esc(r));
    expect(html).toContain('No LLM produced these samples.');
    const withLlm = renderReport(
      buildReportData({
        ...parts,
        llm: { ...(parts.llm as object), provider: 'openai', model: 'qwen', fallback: false },
      }),
    );
    expect(withLlm).not.toContain('No LLM produced these samples.');
    expect(withLlm).toContain('<strong>qwen</strong>');
  });

  it('escapes hostile text', () => {
    const html = renderReport(
      buildReportData({ ...parts, pipeline: '<script>alert(1)</script>', runId: '"><img src=x>' }),
    );
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<img src=x>');
  });

  it('leaves out the sections of branches that did not run', () => {
    const html = renderReport(buildReportData({ ...parts, gan: undefined, llm: undefined }));
    expect(html).not.toContain('GAN augmentation');
    expect(html).not.toContain('LLM expansion');
    expect(html).toContain('Training sets');
  });

  it('names the file and field when an input lacks what the report needs', () => {
    expect(() => buildReportData({ ...parts, evaluation: { decision: {} } })).toThrow(
      'evaluation.json: missing field comparison',
    );
    expect(() => buildReportData({ ...parts, metric: 'ndcg@7' })).toThrow(
      'evaluation.json: no effect for the primary metric ndcg@7',
    );
    expect(() => buildReportData({ ...parts, historyA: [{ loss: 1 }] })).toThrow(
      'retrainA history.json: missing field epoch',
    );
  });
});
