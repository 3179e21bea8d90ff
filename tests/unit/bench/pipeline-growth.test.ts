import { describe, expect, it } from 'vitest';
import { growthBetween, rowsPerSecond } from '../../../bench/pipeline/growth.ts';

describe('pipeline bench growth between sizes', () => {
  it('compares time and memory per row of each size with the next smaller one', () => {
    const growth = growthBetween({
      '10m': {
        rows: 10_000_000,
        seconds: 1500,
        peakRssMB: 4000,
        stages: {
          trainGan: { runSeconds: 300, peakRssMB: 4000 },
          ingest: { runSeconds: 20, peakRssMB: 1000 },
        },
      },
      '1m': {
        rows: 1_000_000,
        seconds: 100,
        peakRssMB: 800,
        stages: {
          trainGan: { runSeconds: 60, peakRssMB: 800 },
          ingest: { runSeconds: 2, peakRssMB: 500 },
          // Not at the larger size: nothing to compare.
          teacher: { runSeconds: 5, peakRssMB: 600 },
        },
      },
    });
    expect(growth).toHaveLength(1);
    const [g] = growth;
    expect(g).toMatchObject({ from: '1m', to: '10m', rowsRatio: 10 });
    // 15x the time for 10x the rows: 1.5x per row; 5x the memory: 0.5x per row.
    expect(g!.timePerRow).toBe(1.5);
    expect(g!.memoryPerRow).toBe(0.5);
    expect(g!.stages).toEqual({
      trainGan: { timePerRow: 0.5, memoryPerRow: 0.5 },
      ingest: { timePerRow: 1, memoryPerRow: 0.2 },
    });
  });

  it('orders sizes by rows, and leaves out a stage that took no time at the smaller size', () => {
    const run = (rows: number, s: number) => ({
      rows,
      seconds: s,
      peakRssMB: 100,
      stages: {
        report: { runSeconds: 0, peakRssMB: 100 },
        resample: { runSeconds: s, peakRssMB: 100 },
      },
    });
    const growth = growthBetween({ c: run(300, 3), a: run(100, 1), b: run(200, 2) });
    expect(growth.map((g) => `${g.from}->${g.to}`)).toEqual(['a->b', 'b->c']);
    expect(Object.keys(growth[0]!.stages)).toEqual(['resample']);
    expect(growth[0]!.stages.resample!.timePerRow).toBe(1);
  });

  it('gives rows per second, 0 for a stage too short to time', () => {
    expect(rowsPerSecond(1_000_000, 4)).toBe(250_000);
    expect(rowsPerSecond(1_000_000, 0)).toBe(0);
  });
});
