import { describe, expect, it } from 'vitest';
import { WasmArena, arenaBytes } from '../../../lib/compute/arena.ts';
import { csrFromCoo } from '../../../lib/eval/index.ts';
import { RowKernels, TransposeKernel, ganSimdAvailable } from '../../../lib/gan/kernels.ts';
import { gatherSum, scatterRows } from '../../../lib/gan/sparse-rows.ts';
import { Rng } from '../../../lib/training/random.ts';
import { LazyAdam } from '../../../lib/training/adam.ts';

/** Bit-for-bit equality (Object.is tells -0 from 0). */
function same(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (!Object.is(a[k], b[k])) return false;
  return true;
}

const simd = ganSimdAvailable();

describe.skipIf(!simd)('CFGAN SIMD kernels', () => {
  // Row widths: the paper's two, odd ones (scalar tails) and one float.
  for (const dim of [400, 125, 7, 1]) {
    it(`match the JS loops bit for bit (rows of ${dim})`, () => {
      const nRows = 61; // odd: tables whose length is not a multiple of 4
      const rng = new Rng(dim);
      const size = nRows * dim;
      const arena = new WasmArena(arenaBytes([...Array<number>(9).fill(size), dim, 64, 40, 64]));
      const [p, m, v, g, out, acc, table, rowGrad, sum] = Array.from({ length: 9 }, () =>
        arena.floats(size),
      );
      const bias = arena.floats(dim);
      const users = arena.ints(64);
      // A tiny pairs buffer, so the kernels' calls are split (flushed) many times.
      const k = new RowKernels(arena, dim, arena.ints(40));
      const rows = arena.ints(64);
      for (const a of [p!, g!, table!, bias])
        for (let i = 0; i < a.length; i++) a[i] = rng.normal();
      for (let i = 0; i < size; i++) {
        m![i] = 0.01 * rng.normal();
        v![i] = 1e-4 * rng.next();
      }
      // 20 users with 9 distinct items each (shared items among users).
      const us: number[] = [];
      const is: number[] = [];
      for (let u = 0; u < 20; u++)
        for (let j = 0; j < 9; j++) {
          us.push(u);
          is.push((u * 7 + j * 5) % nRows);
        }
      const csr = csrFromCoo(Int32Array.from(us), Int32Array.from(is), 20, nRows);
      const batch = Int32Array.of(3, 1, 4, 1, 5, 9, 2, 6, 19);
      users.set(batch);
      const n = batch.length;

      const outJs = new Float32Array(size);
      gatherSum(table!, dim, csr, batch, n, outJs, bias);
      k.gather(table!, csr.indptr, csr.indices, users, n, out!, bias);
      expect(same(out!, outJs)).toBe(true);
      gatherSum(table!, dim, csr, batch, n, outJs);
      k.gather(table!, csr.indptr, csr.indices, users, n, out!);
      expect(same(out!, outJs)).toBe(true);

      const slot = new Int32Array(nRows).fill(-1);
      const rowsJs = new Int32Array(nRows);
      const sumJs = new Float32Array(size);
      const countJs = scatterRows(csr, batch, n, out!, dim, slot, rowsJs, sumJs);
      const count = k.scatter(csr.indptr, csr.indices, users, n, out!, slot, rows, sum!);
      expect(count).toBe(countJs);
      expect(same(rows.subarray(0, count), rowsJs.subarray(0, count))).toBe(true);
      expect(same(sum!.subarray(0, count * dim), sumJs.subarray(0, count * dim))).toBe(true);
      expect([...slot].every((s) => s === -1)).toBe(true);

      acc!.set(table!);
      const accJs = table!.slice();
      k.addInto(acc!, rows, count, sum!);
      for (let r = 0; r < count; r++)
        for (let f = 0; f < dim; f++)
          accJs[rows[r]! * dim + f] = accJs[rows[r]! * dim + f]! + sum![r * dim + f]!;
      expect(same(acc!, accJs)).toBe(true);

      const adam = new LazyAdam(0.01);
      for (let step = 0; step < 3; step++) {
        const rate = adam.begin();
        const pJs = p!.slice();
        const moJs = { m: m!.slice(), v: v!.slice() };
        rowGrad!.set(g!);
        adam.apply(moJs, pJs, rows, count, rowGrad!, dim, rate);
        k.adamRows(adam, { m: m!, v: v! }, p!, rows, count, rowGrad!, rate);
        expect(same(p!, pJs) && same(m!, moJs.m) && same(v!, moJs.v)).toBe(true);
        adam.apply(moJs, pJs, Int32Array.of(0), 1, g!, size, rate);
        k.adamDense(adam, { m: m!, v: v! }, p!, g!, rate);
        expect(same(p!, pJs) && same(m!, moJs.m) && same(v!, moJs.v)).toBe(true);
      }
    });
  }

  it('transposes any shape', () => {
    for (const [rows, cols] of [
      [400, 37],
      [37, 400],
      [16, 16],
      [5, 3],
      [1, 9],
      [33, 19],
    ] as const) {
      const arena = new WasmArena(arenaBytes([rows * cols, rows * cols]));
      const a = arena.floats(rows * cols);
      const out = arena.floats(rows * cols);
      for (let i = 0; i < a.length; i++) a[i] = i;
      new TransposeKernel(arena, rows, cols).apply(a, out);
      const want = new Float32Array(rows * cols);
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++) want[c * rows + r] = a[r * cols + c]!;
      expect(same(out, want)).toBe(true);
    }
  });
});
