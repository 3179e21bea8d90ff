/** What NeuMF's scoring thread shares with its owner (neumf-scorer.ts). */
import type { WasmMemory } from '../../compute/wasm-writer.ts';

/** Slots of the shared control array. */
export const CTL = {
  /** Jobs posted so far; the worker waits on it (a job is `count` users of `users`). */
  seq: 0,
  /** The last job the worker finished; the owner waits on it. */
  done: 1,
  count: 2,
  /** 1 once the worker has compiled the kernel and waits for jobs. */
  ready: 3,
  quit: 4,
  /** 1 when a job threw. */
  error: 5,
  /** Users scored so far: the owner's sign that the worker is alive while it waits. */
  progress: 6,
  size: 8,
} as const;

/** The kernel's entry: one user's scores of every item (byte addresses). */
export type ScoreUser = (uf: number, pg: number, out: number, scratch: number) => void;

/** Where a user's rows are in the shared memory (byte addresses) and the sizes to step them. */
export interface UserRowsLayout {
  userFirst: number;
  pg: number;
  h1: number;
  factors: number;
  nItems: number;
}

export interface ScoreWorkerData extends UserRowsLayout {
  memory: WasmMemory;
  /** The scoring module (compiled again in the worker against the same memory). */
  bytes: Uint8Array;
  ctl: Int32Array;
  users: Int32Array;
  /** The worker's own scratch and score rows. */
  scratch: number;
  out: number;
}

/**
 * Scores users[0..n) into consecutive score rows from `out`, the same code on either thread
 * (so a user's scores are the same bits wherever they are computed); `scored` after each.
 */
export function scoreUserRows(
  score: ScoreUser,
  l: UserRowsLayout,
  users: Int32Array,
  n: number,
  out: number,
  scratch: number,
  scored?: () => void,
): void {
  for (let r = 0; r < n; r++) {
    const u = users[r]!;
    score(l.userFirst + 4 * u * l.h1, l.pg + 4 * u * l.factors, out + 4 * r * l.nItems, scratch);
    scored?.();
  }
}
