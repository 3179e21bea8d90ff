/**
 * How a stage's cost grows with the log: time and memory per row at each size, and the ratio
 * from one size to the next. A ratio near 1 means the stage scales linearly; above 1 it
 * grows faster than the log (e.g. a catalog-sized matrix per user), below 1 a fixed cost
 * (process start, the runtime's own memory) is being spread over more rows.
 */

/** One stage at one size: seconds inside the activity and the process's peak RSS. */
export interface StageCost {
  runSeconds: number;
  peakRssMB: number;
}

/** One size's run: its interactions (the log's rows) and each stage's cost. */
export interface SizeRun {
  rows: number;
  seconds: number;
  peakRssMB: number;
  stages: Record<string, StageCost>;
}

/** From one size to the next: per-row time and memory of the larger over the smaller. */
export interface Growth {
  from: string;
  to: string;
  /** rows(to) / rows(from). */
  rowsRatio: number;
  /** (seconds / row at `to`) / (seconds / row at `from`), the whole run. */
  timePerRow: number;
  /** (peak RSS / row at `to`) / (peak RSS / row at `from`), the whole run. */
  memoryPerRow: number;
  stages: Record<string, { timePerRow: number; memoryPerRow: number }>;
}

/** Rows per second inside the activity (0 for a stage that took no measurable time). */
export function rowsPerSecond(rows: number, seconds: number): number {
  return seconds > 0 ? Math.round(rows / seconds) : 0;
}

/**
 * The growth between consecutive sizes, smallest first. Stages present at both sizes only;
 * a ratio whose smaller-size figure is 0 is left out (nothing to compare with).
 */
export function growthBetween(runs: Record<string, SizeRun>): Growth[] {
  const sizes = Object.entries(runs).sort(([, a], [, b]) => a.rows - b.rows);
  const out: Growth[] = [];
  for (let i = 1; i < sizes.length; i++) {
    const [from, a] = sizes[i - 1]!;
    const [to, b] = sizes[i]!;
    const perRow = (x: number, y: number) => (x > 0 ? y / b.rows / (x / a.rows) : undefined);
    const stages: Growth['stages'] = {};
    for (const [stage, sa] of Object.entries(a.stages)) {
      const sb = b.stages[stage];
      const time = sb && perRow(sa.runSeconds, sb.runSeconds);
      const memory = sb && perRow(sa.peakRssMB, sb.peakRssMB);
      if (time !== undefined && memory !== undefined)
        stages[stage] = { timePerRow: round(time), memoryPerRow: round(memory) };
    }
    out.push({
      from,
      to,
      rowsRatio: round(b.rows / a.rows),
      timePerRow: round(perRow(a.seconds, b.seconds) ?? 0),
      memoryPerRow: round(perRow(a.peakRssMB, b.peakRssMB) ?? 0),
      stages,
    });
  }
  return out;
}

const round = (x: number) => +x.toFixed(3);
