/** What NeuMF's scoring thread shares with its owner (neumf-scorer.ts). */
import type { WasmMemory } from '../compute/wasm-writer.ts';

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

export interface ScoreWorkerData {
  memory: WasmMemory;
  /** The scoring module (compiled again in the worker against the same memory). */
  bytes: Uint8Array;
  ctl: Int32Array;
  users: Int32Array;
  /** Byte addresses and sizes the worker needs to find a user's rows and its own buffers. */
  userFirst: number;
  pg: number;
  h1: number;
  factors: number;
  nItems: number;
  scratch: number;
  out: number;
}
