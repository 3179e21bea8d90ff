import { describe, expect, it } from 'vitest';
import { barChart, intervalChart, lineChart } from '../../../lib/report/svg.ts';
import { strictSvgProblems } from '../../helpers/strict-svg.ts';

describe('the strict SVG check', () => {
  it('accepts a well-formed chart and rejects each kind of breakage', () => {
    const ok =
      '<svg width="10" height="10" viewBox="0 0 10 10"><title>t</title><g transform="translate(0 4)"><path d="M0 1 L2 3"/><text x="1" y="2">a &amp; b</text></g></svg>';
    expect(strictSvgProblems(ok)).toEqual([]);
    const broken: [string, string][] = [
      ['<svg><rect x="NaN" y="1"/></svg>', 'x="NaN" is not finite'],
      ['<svg><circle cx="1" cy="Infinity" r="2"/></svg>', 'cy="Infinity" is not finite'],
      ['<svg><rect width="" height="1"/></svg>', 'width="" is not finite'],
      ['<svg><path d="M0 NaN L1 2"/></svg>', 'd="M0 NaN L1 2"'],
      ['<svg><path d="M0 1 L1 -"/></svg>', 'non-finite number'],
      ['<svg viewBox="0 0 NaN 10"></svg>', 'viewBox'],
      ['<svg><g transform="translate(NaN 2)"></g></svg>', 'transform'],
      ['<svg><g></svg>', '</svg> closes <g>'],
      ['<svg><text>a</text>', 'unclosed: svg'],
      ['<svg><text>a < b</text></svg>', 'malformed tag'],
      ['<svg><text>a & b</text></svg>', "bare '&'"],
      ['<svg><script>alert(1)</script></svg>', 'unexpected element <script>'],
      ['<svg><rect x="1" x="2"/></svg>', 'repeats x'],
      ['<svg><rect onload="x()"/></svg>', 'event handler'],
    ];
    for (const [svg, problem] of broken)
      expect(strictSvgProblems(svg).join('; '), svg).toContain(problem);
  });
});

describe('chart helpers', () => {
  it('draw an interval per finite row and leave out rows without a value', () => {
    const svg = intervalChart(
      'deltas',
      [
        { label: 'ndcg@10', value: 0.02, low: 0.01, high: 0.03 },
        { label: 'recall@10', value: -0.01, low: -0.03, high: 0.005 },
        { label: 'no users', value: NaN, low: NaN, high: NaN },
        { label: 'no interval', value: 0.01, low: NaN, high: Infinity },
      ],
      'B - A',
    );
    expect(strictSvgProblems(svg)).toEqual([]);
    expect(svg.match(/<circle /g)).toHaveLength(3);
    // The dashed zero line plus two whiskers: the row with a broken interval gets none.
    expect(svg.match(/<line /g)).toHaveLength(3);
    expect(svg).toContain('>no users</text>');
    // An interval entirely above zero is green, one crossing zero grey.
    expect(svg).toMatch(/stroke="#55a868"/);
    expect(svg).toMatch(/stroke="#555"/);
  });

  it('stay finite on degenerate input: empty, all zero, one point, NaN and Infinity', () => {
    const charts = [
      intervalChart('empty', [], 'x'),
      intervalChart('zeros', [{ label: 'a', value: 0, low: 0, high: 0 }], 'x'),
      barChart('empty', ['A'], [], 'rows'),
      barChart('zeros', ['A', 'B'], [{ label: 'real', values: [0, 0] }], 'rows'),
      barChart('odd', ['A', 'B'], [{ label: 'gan', values: [NaN, Infinity] }], 'rows'),
      lineChart('empty', [], 'epoch', 'loss'),
      lineChart('one point', [{ name: 'A', points: [[3, 0.5]] }], 'epoch', 'loss'),
      lineChart(
        'holes',
        [
          {
            name: 'A',
            points: [
              [1, NaN],
              [2, Infinity],
              [3, 0.2],
              [4, 0.1],
            ],
          },
        ],
        'epoch',
        'loss',
      ),
      lineChart(
        'flat',
        [
          {
            name: 'A',
            points: [
              [1, 0],
              [2, 0],
            ],
          },
        ],
        'epoch',
        'loss',
      ),
    ];
    for (const svg of charts) expect(strictSvgProblems(svg), svg).toEqual([]);
    expect(charts[4]!.match(/<rect /g)).toHaveLength(2); // legend only: no bar for NaN/Infinity
    expect(charts[7]).toMatch(/d="M[\d.]+ [\d.]+ L[\d.]+ [\d.]+"/); // the two finite points
  });

  it('scale bars to the largest value and lines into the plot area', () => {
    const bars = barChart(
      'b',
      ['v'],
      [
        { label: 'x', values: [10] },
        { label: 'y', values: [5] },
      ],
      'v',
    );
    const heights = [
      ...bars.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="18" height="([\d.]+)"/g),
    ].map((m) => Number(m[1]));
    expect(heights).toHaveLength(2);
    expect(heights[0]! / heights[1]!).toBeCloseTo(2, 1);
    const line = lineChart(
      'l',
      [
        {
          name: 'A',
          points: [
            [0, 0],
            [10, 1],
          ],
        },
      ],
      'x',
      'y',
    );
    const d = /d="([^"]+)"/
      .exec(line)![1]!
      .split(/[ML ]+/)
      .filter(Boolean)
      .map(Number);
    const [x0, y0, x1, y1] = d as [number, number, number, number];
    expect(x1).toBeGreaterThan(x0);
    expect(y1).toBeLessThan(y0); // SVG y grows downwards: a larger value is drawn higher
  });

  it('give every chart a title, a visible caption and axis labels, all escaped', () => {
    const hostile = '<script>alert(1)</script> & "x"';
    const svg = lineChart(hostile, [{ name: hostile, points: [[1, 1]] }], hostile, hostile);
    expect(strictSvgProblems(svg)).toEqual([]);
    expect(svg).not.toContain('<script>');
    const escaped = '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;';
    expect(svg).toContain(`<title>${escaped}</title>`);
    // caption, x label, y label, legend and the path's tooltip
    expect(svg.split(escaped).length - 1).toBe(6);
    for (const chart of [
      barChart('bars', ['A'], [{ label: 'g', values: [1] }], 'rows'),
      intervalChart('ci', [{ label: 'g', value: 1, low: 0, high: 2 }], 'B - A'),
    ]) {
      expect(chart).toMatch(/<title>[^<]+<\/title>/);
      expect(chart).toMatch(/font-weight="600">[^<]+<\/text>/);
    }
  });
});
