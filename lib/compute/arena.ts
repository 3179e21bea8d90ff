/**
 * Where a kernel's typed arrays live. Plain JS heap arrays for JS loops; for a WebAssembly
 * kernel, views into one wasm memory (sized once, never grown, so views stay valid) that
 * the kernel addresses by byte offset. Code that only reads and writes the arrays cannot
 * tell the two apart.
 */
import { newMemory, newSharedMemory } from './wasm-writer.ts';
import type { WasmMemory } from './wasm-writer.ts';

export interface Allocator {
  floats(n: number): Float32Array;
  ints(n: number): Int32Array;
}

export const heapAllocator: Allocator = {
  floats: (n) => new Float32Array(n),
  ints: (n) => new Int32Array(n),
};

/** A copy of `a` allocated from `alloc`. */
export function allocCopy(alloc: Allocator, a: Float32Array): Float32Array {
  const out = alloc.floats(a.length);
  out.set(a);
  return out;
}

/**
 * The element counts `build` allocates, in order (it gets empty arrays): what an arena for
 * the same allocations needs, derived from the code that makes them.
 */
export function countAllocations(build: (alloc: Allocator) => void): number[] {
  const counts: number[] = [];
  build({
    floats: (n) => (counts.push(n), new Float32Array(0)),
    ints: (n) => (counts.push(n), new Int32Array(0)),
  });
  return counts;
}

const ALIGN = 16;
const aligned = (bytes: number) => Math.ceil(bytes / ALIGN) * ALIGN;

/** Bytes an arena needs for arrays of these element counts (4-byte elements). */
export function arenaBytes(counts: number[]): number {
  return counts.reduce((s, n) => s + aligned(4 * n), 0);
}

/**
 * A bump allocator over a fresh wasm memory of `bytes` (from {@link arenaBytes}), or over
 * `memory` (a shared arena of another thread, whose arrays {@link floatsAt} finds).
 */
export class WasmArena implements Allocator {
  private next = 0;

  constructor(
    readonly bytes: number,
    readonly memory: WasmMemory = newMemory(bytes),
  ) {}

  /** An arena worker threads can share (kernels on it must import their memory `shared`). */
  static shared(bytes: number): WasmArena {
    return new WasmArena(bytes, newSharedMemory(bytes));
  }

  /** True when the memory is shared between threads. */
  get shared(): boolean {
    return isShared(this.memory);
  }

  floats(n: number): Float32Array {
    return new Float32Array(this.memory.buffer, this.take(n), n);
  }

  ints(n: number): Int32Array {
    return new Int32Array(this.memory.buffer, this.take(n), n);
  }

  /** Byte offset of an array allocated here (what a kernel is passed); throws for others. */
  offsetOf(a: Float32Array | Int32Array): number {
    if (a.buffer !== this.memory.buffer)
      throw new Error('the array is not in this wasm arena (allocate it from the kernel)');
    return a.byteOffset;
  }

  /** Where `a` lies, for {@link floatsAt} / {@link intsAt} on a thread sharing this memory. */
  placeOf(a: Float32Array | Int32Array): ArenaPlace {
    return { at: this.offsetOf(a), n: a.length };
  }

  /** The Float32Array at `place` (from {@link placeOf} on the thread that allocated it). */
  floatsAt(place: ArenaPlace): Float32Array {
    return new Float32Array(this.memory.buffer, place.at, place.n);
  }

  intsAt(place: ArenaPlace): Int32Array {
    return new Int32Array(this.memory.buffer, place.at, place.n);
  }

  private take(n: number): number {
    const at = this.next;
    this.next += aligned(4 * n);
    if (this.next > this.bytes) throw new RangeError(`wasm arena of ${this.bytes} bytes is full`);
    return at;
  }
}

/** An array's place in an arena: its byte offset and length. */
export interface ArenaPlace {
  at: number;
  n: number;
}

export function isShared(memory: WasmMemory): boolean {
  return typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
}
