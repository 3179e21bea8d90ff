/**
 * A CFGAN training thread (train-threads.ts): its own instances of the dense products over
 * the shared wasm memory, then per job the steps of one round on its range of catalog rows.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { WasmArena } from '../compute/arena.ts';
import { instantiate, moduleBytes } from '../compute/wasm-writer.ts';
import { serveJobs } from '../compute/thread-pool.ts';
import { LazyAdam } from '../training/adam.ts';
import { adamDenseFunction } from '../training/adam-simd-f64.ts';
import type { AdamDense } from '../training/adam-simd-f64.ts';
import { ganGemms } from './dense-kernels.ts';
import type { GanGemms } from './dense-kernels.ts';
import { PARTIAL_CHUNK } from './thread-layout.ts';
import type { GanJob, GanStep, GanThreadInit } from './thread-layout.ts';

serveJobs<GanThreadInit, GanJob, void>(
  (workerData as { data: unknown }).data,
  (init) => {
    const arena = new WasmArena(init.bytes, init.memory);
    const f = Object.fromEntries(
      Object.entries(init.floats).map(([k, p]) => [k, arena.floatsAt(p)]),
    ) as Record<keyof GanThreadInit['floats'], Float32Array>;
    const shareRows = arena.intsAt(init.shareRows);
    const { width, hG, hGp, hDp, Bp, from, to } = init;
    /** Offset in the mask buffers of batch half `buf`, row `from`, with `np` columns. */
    const masked = (buf: number, np: number) => buf * width * Bp + from * np;
    const rows = to - from;
    const gemms = new Map<number, GanGemms>(
      init.batchWidths.map((np) => [np, ganGemms(arena, { np, hGp, hDp })]),
    );
    const adamRun = instantiate(moduleBytes([adamDenseFunction()], true), init.memory)
      .adamDense as AdamDense;
    const adam = new LazyAdam(1, init.beta1, init.beta2, init.eps);
    const at = (a: Float32Array, k = 0) => arena.offsetOf(a) + 4 * k;
    /** Adam on elements from .. to of one table (SIMD groups of 4, the rest as LazyAdam). */
    const adamRange = (
      name: 'w2T' | 'b2' | 'wx' | 'w1',
      grad: Float32Array,
      a: number,
      b: number,
      rate: number,
    ) => {
      const [p, m, v] = [f[name], f[`${name}M`], f[`${name}V`]];
      const groups = (b - a) >> 2;
      const { beta1: b1, beta2: b2, eps } = adam;
      adamRun(groups, at(p, a), at(m, a), at(v, a), at(grad, a), rate, b1, 1 - b1, b2, 1 - b2, eps);
      const k = a + 4 * groups;
      if (k < b) {
        const tail = { m: m.subarray(k, b), v: v.subarray(k, b) };
        adam.apply(tail, p.subarray(k, b), Int32Array.of(0), 1, grad.subarray(k, b), b - k, rate);
      }
    };
    /** grad rows += the shared scattered rows that fall in this thread's range. */
    const addShared = (grad: Float32Array, dim: number, count: number) => {
      for (let s = 0; s < count; s++) {
        const j = shareRows[s]!;
        if (j < from || j >= to) continue;
        for (let x = 0; x < dim; x++)
          grad[j * dim + x] = grad[j * dim + x]! + f.shareGrad[s * dim + x]!;
      }
    };
    /** Partial sums over this thread's rows: out[np x n] = A^T B, in chunks that stay in L2. */
    const partial = (
      first: GanGemms['hf0'],
      rest: GanGemms['hf'],
      a: Float32Array,
      aRow: number,
      b: Float32Array,
      bRow: number,
      out: Float32Array,
      np: number,
    ) => {
      if (rows === 0) out.fill(0);
      for (let j = from; j < to; j += PARTIAL_CHUNK) {
        const k = Math.min(PARTIAL_CHUNK, to - j);
        (j === from ? first : rest)(
          at(a, j * aRow),
          at(b, j * bRow),
          at(out),
          np,
          k,
          0,
          0,
          0,
          0,
          0,
        );
      }
    };

    const step = (s: GanStep) => {
      const g = gemms.get(s.np)!;
      const np = s.np;
      if (s.kind === 'forward') {
        const c = at(f.outT, from * np);
        g.fwd(
          at(f.w2T, from * hGp),
          at(f.hT),
          c,
          rows,
          hGp,
          at(f.b2, from),
          at(f.fakeT, from * np) - c,
          at(f.mask, masked(s.buf, np)) - c,
          0,
          0,
        );
        partial(g.hf0, g.hf, f.fakeT, np, f.wx, hDp, f.partialHf, np);
      } else if (s.kind === 'dBackward') {
        g.gwx(at(f.fakeT, from * np), at(f.daf), at(f.gWx, from * hDp), rows, np, 0, 0, 0, 0, 0);
        addShared(f.gWx, hDp, s.count);
        adamRange('wx', f.gWx, from * hDp, to * hDp, s.rate);
      } else if (s.kind === 'gBackward') {
        const c = at(f.doutT, from * np);
        g.dout(
          at(f.wx, from * hDp),
          at(f.dafT),
          c,
          rows,
          hDp,
          0,
          at(f.mask, masked(s.buf, np)) - c,
          at(f.zr, masked(s.buf, np)) - c,
          at(f.outT, from * np) - c,
          s.c,
        );
        const zr = s.buf * width * Bp;
        for (let j = from; j < to; j++) {
          let sum = 0;
          let loss = 0;
          for (let r = j * np, end = r + np; r < end; r++) {
            sum += f.doutT[r]!;
            loss += f.zr[zr + r]! * f.outT[r]! * f.outT[r]!;
          }
          f.gB2[j] = sum + s.reg * f.b2[j]!;
          f.rowLoss[j] = loss;
        }
        const gw = at(f.gW2T, from * hGp);
        g.gw2(
          at(f.doutT, from * np),
          at(f.h),
          gw,
          rows,
          np,
          0,
          at(f.w2T, from * hGp) - gw,
          0,
          0,
          s.reg,
        );
        // dh reads G's output layer before this step's update.
        partial(g.dh0, g.dh, f.doutT, np, f.w2T, hGp, f.partialDh, np);
        adamRange('w2T', f.gW2T, from * hGp, to * hGp, s.rate);
        adamRange('b2', f.gB2, from, to, s.rate);
      } else {
        for (let k = from * hG; k < to * hG; k++) f.gW1[k] = s.reg * f.w1[k]!;
        addShared(f.gW1, hG, s.count);
        adamRange('w1', f.gW1, from * hG, to * hG, s.rate);
      }
    };
    return ({ steps }) => {
      for (const s of steps) step(s);
    };
  },
  parentPort!,
);
