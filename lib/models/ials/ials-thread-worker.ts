/**
 * An iALS thread (ials-threads.ts): the SIMD kernel over the shared tables, then per job
 * (an epoch) its four phases, taking chunks of each from the shared counters.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { WasmArena } from '../../compute/arena.ts';
import { ThreadBarrier, serveJobs } from '../../compute/thread-pool.ts';
import { cgSolveRows, regularizedGram } from './ials.ts';
import type { CgScratch, Observations } from './ials.ts';
import { IalsSimd, SimdRowProducts } from './ials-simd.ts';
import { PHASE } from './ials-threads.ts';
import type { IalsJob, IalsThreadInit, ObservationPlaces } from './ials-threads.ts';

serveJobs<IalsThreadInit, IalsJob, void>(
  (workerData as { data: unknown }).data,
  (init) => {
    const arena = new WasmArena(init.bytes, init.memory);
    const { dim, steps, lambda, itemLoss, next, chunks } = init;
    const kernel = new IalsSimd(arena, dim);
    const observations = (o: ObservationPlaces): Observations => ({
      ptr: o.ptr,
      other: arena.intsAt(o.other),
      extra: arena.floatsAt(o.extra),
      target: arena.floatsAt(o.target),
    });
    const doubles = (p: { at: number; n: number }) =>
      new Float64Array(init.memory.buffer, p.at, p.n / 2);
    const users = arena.floatsAt(init.users);
    const items = arena.floatsAt(init.items);
    const usersGram = doubles(init.usersGram);
    const itemsGram = doubles(init.itemsGram);
    const gram = arena.floatsAt(init.gram);
    const vectors = init.vectors.map((v) => arena.floatsAt(v)) as CgScratch;
    const userSide = new SimdRowProducts(kernel, items, gram, observations(init.byUser), dim);
    const itemSide = new SimdRowProducts(kernel, users, gram, observations(init.byItem), dim);
    const barrier = new ThreadBarrier(init.barrier);

    /** Runs `work` on the bounds of each chunk of `phase` this thread takes, until none is left. */
    const take = (phase: keyof typeof PHASE, work: (from: number, to: number) => void) => {
      const bounds = chunks[phase];
      for (let c = Atomics.add(next, PHASE[phase], 1); c + 1 < bounds.length;) {
        work(bounds[c]!, bounds[c + 1]!);
        c = Atomics.add(next, PHASE[phase], 1);
      }
    };

    return () => {
      try {
        gram.set(regularizedGram(itemsGram, dim, lambda));
        take('users', (from, to) => cgSolveRows(userSide, users, dim, steps, from, to, vectors));
        barrier.arrive();
        take('gramUsers', (a0, a1) => kernel.gram(users, usersGram, a0, a1));
        barrier.arrive();
        gram.set(regularizedGram(usersGram, dim, lambda));
        take('items', (from, to) => {
          cgSolveRows(itemSide, items, dim, steps, from, to, vectors);
          for (let i = from; i < to; i++)
            itemLoss[i] = itemSide.loss(i, items.subarray(i * dim, (i + 1) * dim));
        });
        barrier.arrive();
        take('gramItems', (a0, a1) => kernel.gram(items, itemsGram, a0, a1));
      } catch (err) {
        barrier.break();
        throw err;
      }
    };
  },
  parentPort!,
);
