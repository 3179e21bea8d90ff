import { describe, expect, it } from 'vitest';
import type { VariantRow } from '../../../lib/contracts/experiment.ts';
import {
  buildComparison,
  comparisonLines,
  renderComparison,
} from '../../../lib/experiments/compare.ts';
import { strictSvgProblems, svgFragments } from '../../helpers/strict-svg.ts';

const row = (
  label: string,
  share: number,
  b: number | undefined,
  extra: Partial<VariantRow> = {},
): VariantRow => ({
  label,
  overrides: { 'resample.syntheticShare': share, 'llm.enabled': label !== 'v3' },
  workflowId: `exp-${label}`,
  status: b === undefined ? 'failed' : 'completed',
  ...(b === undefined
    ? { error: 'DataValidationError: <script>alert(1)</script>' }
    : {
        metric: 'ndcg@10',
        a: 0.2,
        b,
        delta: b - 0.2,
        ciLow: b - 0.21,
        ciHigh: b - 0.19,
        pValue: 0.003,
        promote: b - 0.21 > 0,
        stagesDone: 4,
        stagesCached: 7,
      }),
  ...extra,
});

const input = (rows: VariantRow[]) => ({
  experimentId: 'exp-1',
  name: 'demo',
  createdAt: '2026-11-28T00:00:00.000Z',
  axes: [
    { path: 'resample.syntheticShare', values: [0.1, 0.3] },
    { path: 'llm.enabled', values: [true, false] },
  ],
  rows,
});

describe('experiment comparison', () => {
  const rows = [
    row('v1', 0.1, 0.21),
    row('v2', 0.3, 0.25),
    row('v3', 0.1, undefined),
    row('v4', 0.3, 0.25),
  ];

  it('ranks completed variants by B, ties in grid order, and names the best', () => {
    const c = buildComparison(input(rows));
    expect(c.ranking).toEqual(['v2', 'v4', 'v1']);
    expect(c.best).toBe('v2');
    expect(c.metric).toBe('ndcg@10');
    expect(buildComparison(input([row('v1', 0.1, undefined)])).best).toBeUndefined();
  });

  it('prints one aligned line per variant with its decision or error', () => {
    const lines = comparisonLines(buildComparison(input(rows)));
    expect(lines[0]).toMatch(
      /^variant\s+resample\.syntheticShare\s+llm\.enabled\s+status\s+A ndcg@10/,
    );
    expect(lines[2]).toMatch(
      /^v2 \*\s+0\.3\s+true\s+completed\s+0\.2000\s+0\.2500\s+0\.0500\s+0\.0400\.\.0\.0600\s+0\.0030\s+promote B\s+4 done, 7 cached$/,
    );
    expect(lines[3]).toMatch(/^v3\s+0\.1\s+false\s+failed .*DataValidationError/);
    expect(lines.at(-1)).toBe(
      '* best B ndcg@10: v2 (resample.syntheticShare=0.3 llm.enabled=true)',
    );
  });

  it('renders a self-contained page: escaped text, valid SVG, the best marked', () => {
    const html = renderComparison(buildComparison(input(rows)));
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toMatch(/<(script|link|img|iframe)\b/);
    expect(html).toMatch(/id="best">Best B ndcg@10: <b>v2<\/b>/);
    expect((html.match(/<tr/g) ?? []).length).toBe(5);
    const svgs = svgFragments(html);
    expect(svgs).toHaveLength(1);
    expect(svgs.flatMap(strictSvgProblems)).toEqual([]);
    // One interval per evaluated variant.
    expect((svgs[0]!.match(/<circle/g) ?? []).length).toBe(3);
    // Without any evaluated variant: a note instead of the chart.
    const none = renderComparison(buildComparison(input([row('v1', 0.1, undefined)])));
    expect(none).toContain('No variant completed its evaluation');
    expect(none).not.toContain('<svg');
  });
});
