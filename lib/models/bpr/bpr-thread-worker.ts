/**
 * A BPR-MF thread (bpr-threads.ts): builds its users' sampler and the SIMD kernel over the
 * shared weights, then per job (an epoch) draws its strata and steps them, one per step,
 * meeting the other threads at the barrier between steps (bpr-strata.ts says which).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { WasmArena } from '../../compute/arena.ts';
import { ThreadBarrier, serveJobs } from '../../compute/thread-pool.ts';
import { TrainingPairs } from '../training-pairs.ts';
import { BprSimd } from './bpr-simd.ts';
import { sgdSteps } from './bpr-sgd.ts';
import { StrataSampler } from './bpr-strata.ts';
import type { BprJob, BprJobResult, BprThreadInit } from './bpr-threads.ts';

serveJobs<BprThreadInit, BprJob, BprJobResult>(
  (workerData as { data: unknown }).data,
  (init) => {
    const arena = new WasmArena(init.bytes, init.memory);
    const kernel = new BprSimd(arena, init.dim);
    const pairs = new TrainingPairs(init.rows);
    const { blocks, thread } = init;
    const sampler = new StrataSampler(
      pairs,
      init.itemOrder,
      blocks,
      init.negatives,
      init.seed,
      thread,
    );
    const tables = {
      users: init.users,
      items: init.items,
      sqAt: init.sq.at,
      sq: arena.floatsAt(init.sq),
      bias: arena.floatsAt(init.bias),
      dim: init.dim,
    };
    const barrier = new ThreadBarrier(init.barrier);
    return (job) => {
      try {
        const { strata } = sampler.epoch(job.epoch);
        const acc = new Float64Array(2);
        let samples = 0;
        for (let step = 0; step < blocks; step++) {
          // Every thread is done with the previous step's strata (sampling touches no weights).
          if (step > 0) barrier.arrive();
          const s = strata[(thread + step) % blocks]!;
          sgdSteps(kernel, tables, s, 0, s.n, job.lr, job.l2, acc);
          samples += s.n;
        }
        return { reg: acc[0]!, logLik: acc[1]!, samples };
      } catch (err) {
        barrier.break();
        throw err;
      }
    };
  },
  parentPort!,
);
