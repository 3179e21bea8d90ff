/** The shape of a bench/results/<name>.json file (written by results.ts). */

export interface BenchMachine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
}

export interface BenchResult {
  bench: string;
  date: string;
  command: string;
  machine: BenchMachine;
  /** 1, 5 and 15-minute load averages when the bench started and when it wrote its result. */
  loadAverage: { start: number[]; end: number[] };
  figures: Record<string, unknown>;
}
