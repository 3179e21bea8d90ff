import { describe, expect, it } from 'vitest';
import { buildReportData, renderReport } from '../../../lib/report/index.ts';
import { esc } from '../../../lib/report/escape.ts';
import type { ReportData } from '../../../lib/report/index.ts';
import { ALL_CHARTS, llmExpansion, reportParts } from '../../helpers/report-data.ts';
import { strictSvgProblems, svgFragments } from '../../helpers/strict-svg.ts';

const render = (over: Parameters<typeof reportParts>[0] = {}) =>
  renderReport(buildReportData(reportParts(over)));
const titles = (html: string) =>
  svgFragments(html).map((svg) => /<title>([^<]*)<\/title>/.exec(svg)?.[1]);
const sectionIds = (html: string) => [...html.matchAll(/<section id="([^"]+)">/g)].map((m) => m[1]);

describe('the run report', () => {
  it('renders every section and chart, as well-formed finite SVG, with nothing external', () => {
    const html = render();
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(sectionIds(html)).toEqual([
      'dataset',
      'metrics',
      'segments',
      'models',
      'training',
      'composition',
      'gan',
      'llm',
    ]);
    expect(titles(html)).toEqual(ALL_CHARTS);
    for (const svg of svgFragments(html)) expect(strictSvgProblems(svg)).toEqual([]);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|src=|href=|@import|url\(/i);
    expect(html.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\//);
  });

  it('shows the A/B table, the baselines and the training-set composition from the inputs', () => {
    const d = buildReportData(reportParts());
    const html = renderReport(d);
    const ndcg = d.metrics.find((m) => m.metric === 'ndcg@10')!;
    const breadth = d.models[1]!.breadth!;
    expect(html).toContain(
      `<tr><td>B (augmented)</td><td>${(100 * breadth.coverage).toFixed(1)}%</td><td>${breadth.gini.toFixed(4)}</td></tr>`,
    );
    expect(html).toContain(
      `<td>ndcg@10</td><td>${ndcg.a.toFixed(4)}</td><td>${ndcg.b.toFixed(4)}</td>`,
    );
    expect(html).toContain(`${ndcg.ciLow.toFixed(4)} .. ${ndcg.ciHigh.toFixed(4)}`);
    for (const name of ['A (real)', 'B (augmented)', 'Popularity', 'ItemKNN'])
      expect(html).toContain(`>${name}</text>`);
    for (const source of ['real', 'gan', 'llm']) expect(html).toContain(`>${source}</text>`);
    // The GAN's source gate says in words whether its rows were emitted, and why.
    expect(html).toContain('<p class="note" id="gan-gate">Source gate: the generator is better:');
    expect(html).toContain("Synthetic share of B's positives");
  });

  it('shows the decision in big letters with its plain-language reasons', () => {
    const d = buildReportData(reportParts());
    const html = renderReport(d);
    const verdict = d.decision.promote ? 'PROMOTE B' : 'KEEP A';
    expect(html).toContain(`id="decision">${verdict}</span>`);
    expect(d.decision.reasons.length).toBeGreaterThan(1);
    for (const r of d.decision.reasons) expect(html).toContain(`<li>${esc(r)}</li>`);
    const promoted: ReportData = { ...d, decision: { promote: true, reasons: ['B is better'] } };
    expect(renderReport(promoted)).toContain('class="verdict promote" id="decision">PROMOTE B<');
  });

  it('says plainly when a local item-sequence model, not an LLM, produced the samples', () => {
    const fallback = render();
    expect(fallback).toContain('<strong>No LLM produced these samples.</strong>');
    expect(fallback).toContain(
      'A local item-sequence model (item-sequence transformer (dim 32, window 20)), not an LLM, chose the liked and disliked items.',
    );
    const llm = render({ llm: llmExpansion() });
    expect(llm).not.toContain('No LLM produced');
    expect(llm).not.toContain('not an LLM');
    expect(llm).toContain('chosen by the LLM <strong>Qwen2.5-7B-Instruct</strong>');
    expect(llm).toMatch(/prompt tokens<\/td><td>41,230</);
    expect(llm).toMatch(/answers from the response cache<\/td><td>4</);
    expect(llm).toMatch(/dropped: malformed answer<\/td><td>3</);
    expect(llm).toMatch(/cost \(USD\)<\/td><td>0.0123</);
  });

  it('escapes every string that comes from users, configs or a model', () => {
    const hostile = '<script>alert(1)</script>';
    const evaluation = reportParts().evaluation as { decision: { reasons: string[] } };
    const html = render({
      pipeline: hostile,
      runId: '"><img src=x onerror=alert(2)>',
      createdAt: '<b>today</b>',
      evaluation: { ...evaluation, decision: { ...evaluation.decision, reasons: [hostile] } },
      llm: { ...llmExpansion(), model: hostile, examples: [`user 3: "${hostile}" & more`] },
    });
    expect(html).not.toContain(hostile);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>today');
    expect(html).toContain(
      '<h1>&lt;script&gt;alert(1)&lt;/script&gt;: does augmentation help?</h1>',
    );
    expect(html).toContain('<title>&lt;script&gt;alert(1)&lt;/script&gt; - &quot;&gt;&lt;img');
    expect(html).toContain('<li>&lt;script&gt;alert(1)&lt;/script&gt;</li>');
    expect(html).toContain(
      '<code>user 3: &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot; &amp; more</code>',
    );
    expect(html.match(/<script/gi)).toBeNull();
  });

  it('leaves out the sections of inputs that are absent, and the rest still renders', () => {
    const evaluation = reportParts().evaluation as { comparison: { effects: object } };
    const html = render({
      dataset: undefined,
      composition: undefined,
      gan: undefined,
      llm: undefined,
      evaluation: {
        ...evaluation,
        baselines: {},
        comparison: {
          ...evaluation.comparison,
          effects: { all: (evaluation.comparison.effects as { all: object }).all },
        },
      },
      historyA: [{ epoch: 1, loss: 0.7 }],
      historyB: [{ epoch: 1, loss: 0.8 }],
    });
    expect(sectionIds(html)).toEqual(['metrics', 'models', 'training']);
    expect(titles(html)).toEqual([
      'Paired difference B - A per metric, 95% bootstrap CI',
      'ndcg@10 of A, B and the baselines',
      'Training loss per epoch',
    ]);
    for (const svg of svgFragments(html)) expect(strictSvgProblems(svg)).toEqual([]);
    expect(html).not.toMatch(/LLM expansion|CFGAN|Training sets|Guard rails|Popularity</);
  });

  it('names the recommender of A and B, what each chose on validation, and the family choice', () => {
    const familyChoice = [
      { family: 'bpr', selectionNdcg10: 0.06, confirmationNdcg10: 0.0567 },
      { family: 'ials', skipped: 'not tried' },
      { family: 'ease', selectionNdcg10: 0.11, confirmationNdcg10: 0.1056 },
    ];
    const trainedA = {
      family: 'ease',
      chosen: { lambda: 104.2401, relativeLambda: 2, halfLife: 4 },
      familyChoice,
    };
    const trainedB = { family: 'ease', chosen: { lambda: 98.5 }, familyChoice };
    const d = buildReportData(reportParts({ trainedA, trainedB }));
    expect(d.trained).toEqual({
      A: {
        family: 'ease',
        chosen: { lambda: 104.2401, relativeLambda: 2, halfLife: 4 },
        familyChoice: { bpr: 0.0567, ease: 0.1056 },
      },
      B: { family: 'ease', chosen: { lambda: 98.5 }, familyChoice: { bpr: 0.0567, ease: 0.1056 } },
    });
    const html = renderReport(d);
    expect(html).toContain(
      'A: ease (lambda 104.2 = 2 x the mean train rows per item, history weighted by recency, half-life 4 rows); B: ease (lambda 98.5, plain history), settings chosen on validation. The family was chosen by model.family auto on validation (NDCG@10 on the confirmation half: bpr 0.0567, ease 0.1056).',
    );
    // A fixed family without settings chosen on validation: its name alone.
    const bpr = buildReportData(
      reportParts({ trainedA: { family: 'bpr' }, trainedB: { family: 'bpr' } }),
    );
    expect(renderReport(bpr)).toContain('A: bpr; B: bpr.');
    expect(() =>
      buildReportData(reportParts({ trainedA: { chosen: {} }, trainedB: { family: 'bpr' } })),
    ).toThrow(/retrainA manifest stats: .*family/);
  });

  it('names the teacher, every candidate figure and what it proposed', () => {
    // The teacher stage's stats as its manifest holds them.
    const stats = {
      teacher: 'rp3beta',
      teacherValidNdcg10: 0.3142,
      easeSkipped: "the catalog has 6000 items, above EASE's dense limit of 5000",
      rp3betaValidNdcg10: 0.3142,
      rp3betaBeta: 0.25,
      itemknnValidNdcg10: 0.2715,
      itemknnHalfLife: 4,
      rows: 312,
      users: 104,
      usersChosen: 108,
      excludedItems: 13,
      k: 3,
      seconds: 1.2,
    };
    const d = buildReportData(reportParts({ teacher: stats }));
    expect(d.teacher).toEqual({
      name: 'rp3beta',
      validNdcg10: 0.3142,
      candidates: { rp3beta: 0.3142, itemknn: 0.2715 },
      halfLives: { itemknn: 4 },
      skipped: { ease: stats.easeSkipped },
      rows: 312,
      users: 104,
      usersChosen: 108,
      excludedItems: 13,
      k: 3,
    });
    const html = renderReport(d);
    expect(sectionIds(html).at(-1)).toBe('teacher');
    expect(html).toContain('Teacher: <strong>RP3beta</strong>');
    expect(html).toContain(
      '<td>ItemKNN: validation NDCG@10</td><td>0.2715 (history weighted by recency, half-life 4 rows)</td>',
    );
    expect(html).toContain('<td>RP3beta: validation NDCG@10</td><td>0.3142</td>');
    expect(html).toContain(`<td>EASE: not tried</td><td>${esc(stats.easeSkipped)}</td>`);
    expect(html).toContain('<td>pseudo-positives</td><td>312</td>');
    expect(() => buildReportData(reportParts({ teacher: { teacher: 'ease' } }))).toThrow(
      'teacher manifest stats: missing field teacherValidNdcg10',
    );
    // Without a policy there is no A figure on validation to set the teacher against.
    expect(html).not.toContain('teacher-vs-a');
  });

  it("sets the teacher's validation figure against A's", () => {
    const teacher = { teacher: 'ease', teacherValidNdcg10: 0.104, easeValidNdcg10: 0.104 };
    const withA = (ndcg10: number) =>
      renderReport(
        buildReportData(
          reportParts({
            teacher: { ...teacher, rows: 10, users: 5, usersChosen: 5, excludedItems: 2, k: 2 },
            policy: {
              rankOn: 'all',
              a: { ndcg10, sparseNdcg10: 0.1, selection: {}, confirmation: {} },
              candidates: [],
              choice: { beatsA: false, reason: 'no augmentation source produced rows' },
            },
          }),
        ),
      );
    expect(withA(0.1041)).toContain(
      '<strong>The teacher is no stronger than A.</strong> On the validation split model A scores NDCG@10 0.1041, the teacher 0.1040: it proposes items A already ranks high, so its rows can add little to A.',
    );
    expect(withA(0.104)).toContain('The teacher is no stronger than A.');
    expect(withA(0.063)).toContain(
      'On the validation split the teacher scores NDCG@10 0.1040, model A 0.0630: it ranks better than A, so its proposals can teach A something.',
    );
  });

  it('names a blended teacher with its parts and the candidate it beat', () => {
    const stats = {
      teacher: 'ease',
      teacherValidNdcg10: 0.2667,
      teacherBlend: 'ease 1 + rp3beta 0.5 + itemknn 0.25',
      easeValidNdcg10: 0.2532,
      rp3betaValidNdcg10: 0.2472,
      itemknnValidNdcg10: 0.1868,
      rows: 10,
      users: 5,
      usersChosen: 5,
      excludedItems: 2,
      k: 2,
    };
    const d = buildReportData(reportParts({ teacher: stats }));
    expect(d.teacher!.blend).toBe(stats.teacherBlend);
    expect(renderReport(d)).toContain(
      "Teacher: a blend of candidates, <strong>EASE 1 + RP3beta 0.5 + ItemKNN 0.25</strong> (each part's per-user scores standardised and weighted), which beat the best candidate on the validation split (NDCG@10 0.2667 vs EASE's 0.2532)",
    );
  });

  it('lists the policy candidates with their validation figures and the choice', () => {
    // The policy stage's candidates.json, as lib/policy/search.ts returns it.
    const policy = {
      rankOn: 'all',
      a: {
        ndcg10: 0.1,
        sparseNdcg10: 0.05,
        selection: { ndcg10: 0.1, sparseNdcg10: 0.052 },
        confirmation: { ndcg10: 0.1, sparseNdcg10: 0.048 },
      },
      candidates: [
        {
          label: 'teacher k2 w0.5',
          sources: ['teacher'],
          overrides: {},
          valid: {
            ndcg10: 0.101,
            sparseNdcg10: 0.061,
            tailRecall10: 0.02,
            selection: { ndcg10: 0.1, sparseNdcg10: 0.07 },
            confirmation: { ndcg10: 0.1, sparseNdcg10: 0.052 },
          },
          syntheticRows: 40,
          seconds: 1,
        },
        {
          label: 'gan k2 w0.5',
          sources: ['gan'],
          overrides: {},
          syntheticRows: 0,
          skipped: 'no synthetic row left after the caps',
        },
      ],
      choice: {
        chosen: 'teacher k2 w0.5',
        beatsA: true,
        reason: 'teacher k2 w0.5 is best on sparse users',
      },
      seconds: 3,
    };
    const d = buildReportData(reportParts({ policy }));
    expect(d.policy).toEqual({
      rankOn: 'all',
      chosen: 'teacher k2 w0.5',
      beatsA: true,
      reason: 'teacher k2 w0.5 is best on sparse users',
      a: {
        ndcg10: 0.1,
        sparseNdcg10: 0.05,
        selectionSparseNdcg10: 0.052,
        confirmSparseNdcg10: 0.048,
      },
      candidates: [
        {
          label: 'teacher k2 w0.5',
          ndcg10: 0.101,
          sparseNdcg10: 0.061,
          tailRecall10: 0.02,
          selectionSparseNdcg10: 0.07,
          confirmSparseNdcg10: 0.052,
          syntheticRows: 40,
        },
        { label: 'gan k2 w0.5', syntheticRows: 0, skipped: 'no synthetic row left after the caps' },
      ],
    });
    const html = renderReport(d);
    expect(sectionIds(html).at(-1)).toBe('policy');
    expect(html).toContain('B uses <strong>teacher k2 w0.5</strong>');
    expect(html).toContain(
      '<tr class="up"><td>teacher k2 w0.5</td><td>40</td><td>0.1010</td><td>0.0610</td><td>0.0200</td><td>0.0700</td><td>0.0520</td></tr>',
    );
    expect(html).toContain('skipped: no synthetic row left after the caps');
    expect(html).toContain('ranked on every validation user');
    expect(html).not.toContain("fitted at A's lambda");
    // EASE candidates screened at A's lambda (lib/policy/validation.ts): the report says so.
    const screened = buildReportData(
      reportParts({ policy: { ...policy, screenedAt: { relativeLambda: 8 } } }),
    );
    expect(screened.policy?.screenedAtRelativeLambda).toBe(8);
    expect(renderReport(screened)).toContain(
      "EASE candidates were fitted at A's lambda (8 x the mean train rows per item), their history's half-life chosen each; B is fitted with the whole lambda grid.",
    );
    expect(renderReport(screened)).not.toContain('one step back');
    const back = buildReportData(reportParts({ policy: { ...policy, teacherOneStepBack: true } }));
    expect(back.policy?.teacherOneStepBack).toBe(true);
    expect(renderReport(back)).toContain(
      "The teacher's candidates were trained with its proposals made one step back, from each user's history without the latest train row",
    );
    expect(renderReport(back)).not.toContain("The LLM source's candidates");
    const llmBack = buildReportData(reportParts({ policy: { ...policy, llmOneStepBack: true } }));
    expect(llmBack.policy?.llmOneStepBack).toBe(true);
    expect(renderReport(llmBack)).toContain(
      "The LLM source's candidates were trained with its rows made one step back",
    );
    const both = buildReportData(
      reportParts({ policy: { ...policy, llmOneStepBack: true, ganOneStepBack: true } }),
    );
    expect(both.policy?.ganOneStepBack).toBe(true);
    expect(renderReport(both)).toContain(
      "The LLM source's and the GAN's candidates were trained with their rows made one step back",
    );
    const ganBack = buildReportData(reportParts({ policy: { ...policy, ganOneStepBack: true } }));
    expect(renderReport(ganBack)).toContain(
      "The GAN's candidates were trained with its rows made one step back",
    );
    expect(renderReport(ganBack)).not.toContain("The LLM source's candidates");
    const { rankOn: _rankOn, ...older } = policy;
    expect(renderReport(buildReportData(reportParts({ policy: older })))).toContain(
      'ranked on the selection half',
    );
    const none = buildReportData(
      reportParts({ policy: { ...policy, choice: { beatsA: false, reason: 'no source' } } }),
    );
    expect(renderReport(none)).toContain(
      'No candidate beats A on validation; B uses <strong>no synthetic rows</strong>',
    );
    expect(() => buildReportData(reportParts({ policy: { a: {} } }))).toThrow(
      'policy candidates.json: missing field choice',
    );
  });

  it('prints n/a, not a tiny p-value, when every paired delta is zero', () => {
    const html = renderReport(buildReportData(reportParts({}, { bEqualsA: true })));
    const row = /<tr><td>ndcg@10<\/td>.*?<\/tr>/.exec(html)![0];
    expect(row).toContain('<td>0.0000 .. 0.0000</td><td>n/a</td>');
    expect(html).not.toContain('&lt;0.0001');
    for (const svg of svgFragments(html)) expect(strictSvgProblems(svg)).toEqual([]);
  });
});
