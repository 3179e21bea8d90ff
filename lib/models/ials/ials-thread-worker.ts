/**
 * An iALS thread (ials-threads.ts): the SIMD kernel over the shared tables, then per job
 * (an epoch) its four phases, taking chunks of each from the shared counters.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { WasmArena } from '../../compute/arena.ts';
import type { ArenaPlace } from '../../compute/arena.ts';
import { ThreadBarrier, serveJobs } from '../../compute/thread-pool.ts';
import { regularizedGram } from './ials.ts';
import type { Observations } from './ials.ts';
import { IalsSimd, SimdRowSolver } from './ials-simd.ts';
import { PHASE } from './ials-threads.ts';
import type { IalsJob, IalsThreadInit, ObservationPlaces } from './ials-threads.ts';

serveJobs<IalsThreadInit, IalsJob, void>(
  (workerData as { data: unknown }).data,
  (init) => {
    const arena = new WasmArena(init.bytes, init.memory);
    const { dim, steps, lambda, next, chunks } = init;
    const kernel = new IalsSimd(arena, dim);
    const observations = (o: ObservationPlaces): Observations => ({
      ptr: arena.intsAt(o.ptr),
      other: arena.intsAt(o.other),
      extra: arena.floatsAt(o.extra),
      target: arena.floatsAt(o.target),
    });
    const doubles = (p: ArenaPlace) => new Float64Array(init.memory.buffer, p.at, p.n / 2);
    const users = arena.floatsAt(init.users);
    const items = arena.floatsAt(init.items);
    const usersGram = doubles(init.usersGram);
    const itemsGram = doubles(init.itemsGram);
    const gramReg = arena.floatsAt(init.gram);
    const scratch = arena.floatsAt(init.scratch);
    const solveUsers = new SimdRowSolver(
      kernel,
      { solve: users, fixed: items, gramReg, obs: observations(init.byUser), scratch },
      steps,
    );
    const solveItems = new SimdRowSolver(
      kernel,
      {
        solve: items,
        fixed: users,
        gramReg,
        obs: observations(init.byItem),
        scratch,
        loss: doubles(init.itemLoss),
      },
      steps,
    );
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
        gramReg.set(regularizedGram(itemsGram, dim, lambda));
        take('users', (from, to) => solveUsers.solve(from, to));
        barrier.arrive();
        take('gramUsers', (a0, a1) => kernel.gram(users, usersGram, scratch, a0, a1));
        barrier.arrive();
        gramReg.set(regularizedGram(usersGram, dim, lambda));
        take('items', (from, to) => solveItems.solve(from, to));
        barrier.arrive();
        take('gramItems', (a0, a1) => kernel.gram(items, itemsGram, scratch, a0, a1));
      } catch (err) {
        barrier.break();
        throw err;
      }
    };
  },
  parentPort!,
);
