/**
 * An iALS thread (ials-threads.ts): the SIMD kernel over the shared tables, then per job
 * the conjugate-gradient solves of a range of rows, or their objective terms.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { WasmArena } from '../../compute/arena.ts';
import { serveJobs } from '../../compute/thread-pool.ts';
import { cgSolveRows, gramUpper } from './ials.ts';
import type { CgScratch, Observations } from './ials.ts';
import { IalsSimd, SimdRowProducts } from './ials-simd.ts';
import type { IalsJob, IalsThreadInit, ObservationPlaces } from './ials-threads.ts';

serveJobs<IalsThreadInit, IalsJob, void>(
  (workerData as { data: unknown }).data,
  (init) => {
    const arena = new WasmArena(init.bytes, init.memory);
    const { dim, steps, rowLoss, gramSum } = init;
    const kernel = new IalsSimd(arena, dim);
    const observations = (o: ObservationPlaces): Observations => ({
      ptr: o.ptr,
      other: arena.intsAt(o.other),
      extra: arena.floatsAt(o.extra),
      target: arena.floatsAt(o.target),
    });
    const users = arena.floatsAt(init.users);
    const items = arena.floatsAt(init.items);
    const gram = arena.floatsAt(init.gram);
    const vectors = init.vectors.map((v) => arena.floatsAt(v)) as CgScratch;
    const userSide = new SimdRowProducts(kernel, items, gram, observations(init.byUser), dim);
    const itemSide = new SimdRowProducts(kernel, users, gram, observations(init.byItem), dim);
    return ({ kind, from, to }) => {
      if (kind === 'users') cgSolveRows(userSide, users, dim, steps, from, to, vectors);
      else if (kind === 'items') cgSolveRows(itemSide, items, dim, steps, from, to, vectors);
      else if (kind === 'gram-users') gramUpper(users, dim, gramSum, from, to);
      else if (kind === 'gram-items') gramUpper(items, dim, gramSum, from, to);
      else
        for (let u = from; u < to; u++)
          rowLoss[u] = userSide.loss(u, users.subarray(u * dim, (u + 1) * dim));
    };
  },
  parentPort!,
);
