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
import { sgdSteps, sgdSums } from './bpr-sgd.ts';
import { StrataSampler } from './bpr-strata.ts';
import type { BprJob, BprJobResult, BprThreadInit } from './bpr-threads.ts';

serveJobs<BprThreadInit, BprJob, BprJobResult>(
  (workerData as { data: unknown }).data,
  (init) => {
    const arena = new WasmArena(init.bytes, init.memory);
    const kernel = new BprSimd(arena, init.dim);
    const pairs = new TrainingPairs(init.rows);
    const { blocks, thread, arrays } = init;
    const columns = {
      user: arena.intsAt(arrays.user),
      pos: arena.intsAt(arrays.pos),
      neg: arena.intsAt(arrays.neg),
      weight: arena.floatsAt(arrays.weight),
    };
    const sampler = new StrataSampler(
      pairs,
      init.itemOrder,
      blocks,
      init.negatives,
      init.seed,
      thread,
      columns,
    );
    const tables = { users: init.users, items: init.items, bias: init.bias, sums: arrays.sums.at };
    const sums = sgdSums(arena, tables);
    const barrier = new ThreadBarrier(init.barrier);
    return (job) => {
      try {
        const { strata } = sampler.epoch(job.epoch);
        sums.fill(0);
        let samples = 0;
        for (let step = 0; step < blocks; step++) {
          // Every thread is done with the previous step's strata (sampling touches no weights).
          if (step > 0) barrier.arrive();
          const s = strata[(thread + step) % blocks]!;
          sgdSteps(kernel, arena, tables, s, 0, s.n, job.lr, job.l2);
          samples += s.n;
        }
        return { reg: sums[0]!, logLik: sums[1]!, samples };
      } catch (err) {
        barrier.break();
        throw err;
      }
    };
  },
  parentPort!,
);
