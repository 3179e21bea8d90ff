/**
 * Dated data sources for nightly runs: `s3://logs/{date}/` becomes the run's UTC date,
 * `{yesterday}` the day before (a nightly run usually reads the finished day). Pure, so
 * workflow code can call it with the workflow's own (deterministic) start time.
 */
export function expandDatedSource(source: string, at: Date): string {
  const day = (d: Date) => d.toISOString().slice(0, 10);
  return source
    .replaceAll('{date}', day(at))
    .replaceAll('{yesterday}', day(new Date(at.getTime() - 24 * 3600 * 1000)));
}
