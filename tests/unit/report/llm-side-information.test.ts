import { describe, expect, it } from 'vitest';
import { buildReportData, renderReport } from '../../../lib/report/index.ts';
import { fallbackExpansion, llmExpansion, reportParts } from '../../helpers/report-data.ts';

const render = (llm: Record<string, unknown>) =>
  renderReport(buildReportData(reportParts({ llm })));

describe('the report on what the LLM source knows', () => {
  it('says plainly when the source has no information beyond the interactions', () => {
    const html = render({
      ...fallbackExpansion(),
      candidateModel: { name: 'EASE', validNdcg10: 0.0712 },
      sideInformation: {
        fields: 'none',
        note: 'The data has no item metadata (titles, genres, years, tags): this source has no information beyond the interactions.',
      },
    });
    expect(html).toContain(
      '<p class="note" id="llm-side-information"><strong>No side information.</strong> The data has no item metadata',
    );
    expect(html).toContain('no information beyond the interactions.</p>');
    expect(html).toMatch(/candidates proposed by<\/td><td>EASE \(validation NDCG@10 0\.0712\)</);
  });

  it('names the metadata the chooser used, and escapes it', () => {
    const html = render({
      ...llmExpansion(),
      sideInformation: { fields: 'genres, year', note: 'Item metadata (genres, year) <b>x</b>.' },
    });
    expect(html).toContain('id="llm-side-information">Item metadata (genres, year) &lt;b&gt;x');
    expect(html).not.toContain('No side information');
  });

  it('renders an expansion written without these fields', () => {
    const html = render(fallbackExpansion());
    expect(html).not.toContain('llm-side-information');
    expect(html).not.toContain('candidates proposed by');
  });
});
