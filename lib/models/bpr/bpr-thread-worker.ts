/**
 * A BPR-MF thread (bpr-threads.ts): builds its users' sampler and the SIMD kernel over the
 * shared weights, then steps one stratum of its samples per job (bpr-strata.ts says which).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { WasmArena } from '../../compute/arena.ts';
import { serveJobs } from '../../compute/thread-pool.ts';
import { TrainingPairs } from '../training-pairs.ts';
import { BprSimd } from './bpr-simd.ts';
import { sgdSteps } from './bpr-sgd.ts';
import { StrataSampler } from './bpr-strata.ts';
import type { BprSamples } from './bpr-samples.ts';
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
    let drawn: { epoch: number; strata: BprSamples[] } | undefined;
    return (job) => {
      if (drawn?.epoch !== job.epoch)
        drawn = { epoch: job.epoch, strata: sampler.epoch(job.epoch).strata };
      const s = drawn.strata[(thread + job.round) % blocks]!;
      const acc = new Float64Array(2);
      sgdSteps(kernel, tables, s, 0, s.n, job.lr, job.l2, acc);
      return { reg: acc[0]!, logLik: acc[1]!, samples: s.n };
    };
  },
  parentPort!,
);
