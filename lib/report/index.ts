/** The run report: data from the stages' outputs, rendered as one self-contained HTML file. */
export type * from './types.ts';
export { buildReportData } from './build.ts';
export type { ReportParts } from './build.ts';
export { renderReport } from './html.ts';
