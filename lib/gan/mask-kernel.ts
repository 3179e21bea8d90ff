/**
 * sampleMasks (masks.ts) with its draws in WebAssembly: the same xoshiro128** stream (the
 * generator's state is handed over and back), the same masks, several times faster than
 * the JS loop; the threaded trainer draws each batch's masks with it while the threads wait.
 */
import type { WasmArena } from '../compute/arena.ts';
import { Code, I32, instantiate, moduleBytes, namedLocals, op } from '../compute/wasm-writer.ts';
import type { WasmFunction } from '../compute/wasm-writer.ts';
import type { Csr } from '../eval/types.ts';
import type { Rng } from '../training/random.ts';

const I32_AND = 0x71;
const I32_XOR = 0x73;
const I32_SHL = 0x74;
const I32_SHR_U = 0x76;
const I32_ROTL = 0x77;
const I32_STORE = 0x36;
const F32_EQ = 0x5b;
const F32_CONST = 0x43;
const F32_CONVERT_I32_U = 0xb3;
const IF = 0x04;
const ELSE = 0x05;

const f32Bytes = (x: number) => [...new Uint8Array(Float32Array.of(x).buffer)];

/**
 * `draws(mask, zr, strideBytes, width, zrT, pmT, state)`: one vector's entries j < width at
 * mask + j * strideBytes (zr likewise): an entry marked 2 (interacted) becomes mask 1, zr 0;
 * every other one takes one draw x: zr = (x & 0xffff) < zrT, mask = (x >>> 16) < pmT.
 * `state` holds the generator's four words, read first and written back last.
 */
function drawsFunction(): WasmFunction {
  const f = namedLocals(
    { mask: I32, zr: I32, stride: I32, width: I32, zrT: I32, pmT: I32, state: I32 },
    { j: I32, a: I32, b: I32, c: I32, d: I32, x: I32, t: I32 },
  );
  const l = f.index;
  const c = new Code();
  const words = [l.a, l.b, l.c, l.d];
  words.forEach((w, k) =>
    c
      .get(l.state)
      .push(op.i32Load, 2, 4 * k)
      .set(w),
  );
  c.i32(0).set(l.j);
  c.loopUntil(l.j, l.width, () => {
    c.get(l.mask).push(op.f32Load).mem(2, 0);
    c.push(F32_CONST, ...f32Bytes(2)).push(F32_EQ, IF, 0x40);
    c.get(l.mask)
      .push(F32_CONST, ...f32Bytes(1), op.f32Store)
      .mem(2, 0);
    c.get(l.zr)
      .push(F32_CONST, ...f32Bytes(0), op.f32Store)
      .mem(2, 0);
    c.push(ELSE);
    // x = rotl(b * 5, 7) * 9; then the state steps as Rng.u32 does.
    c.get(l.b).i32(5).push(op.i32Mul).i32(7).push(I32_ROTL).i32(9).push(op.i32Mul).set(l.x);
    c.get(l.b).i32(9).push(I32_SHL).set(l.t);
    c.get(l.c).get(l.a).push(I32_XOR).set(l.c);
    c.get(l.d).get(l.b).push(I32_XOR).set(l.d);
    c.get(l.b).get(l.c).push(I32_XOR).set(l.b);
    c.get(l.a).get(l.d).push(I32_XOR).set(l.a);
    c.get(l.c).get(l.t).push(I32_XOR).set(l.c);
    c.get(l.d).i32(11).push(I32_ROTL).set(l.d);
    const below = (value: () => void, threshold: number) => {
      value();
      c.get(threshold).push(op.i32Sub).i32(31).push(I32_SHR_U, F32_CONVERT_I32_U);
    };
    c.get(l.zr);
    below(() => c.get(l.x).i32(0xffff).push(I32_AND), l.zrT);
    c.push(op.f32Store).mem(2, 0);
    c.get(l.mask);
    below(() => c.get(l.x).i32(16).push(I32_SHR_U), l.pmT);
    c.push(op.f32Store).mem(2, 0);
    c.push(op.end);
    c.get(l.mask).get(l.stride).push(op.i32Add).set(l.mask);
    c.get(l.zr).get(l.stride).push(op.i32Add).set(l.zr);
    c.addTo(l.j, 1);
  });
  words.forEach((w, k) =>
    c
      .get(l.state)
      .get(w)
      .push(I32_STORE, 2, 4 * k),
  );
  return { name: 'draws', params: f.params, locals: f.locals, code: c };
}

type Draws = (
  mask: number,
  zr: number,
  stride: number,
  width: number,
  zrT: number,
  pmT: number,
  state: number,
) => void;

export class MaskSampler {
  private readonly draws: Draws;

  /** `state`: four ints in `arena`, where the generator's state is handed over. */
  constructor(
    private readonly arena: WasmArena,
    private readonly state: Int32Array,
  ) {
    this.draws = instantiate(moduleBytes([drawsFunction()], arena.shared), arena.memory)
      .draws as Draws;
  }

  /** sampleMasks (masks.ts) for `mask` and `zr` in the arena, with stride >= n. */
  sample(
    train: Csr,
    users: Int32Array,
    n: number,
    width: number,
    rng: Rng,
    zrT: number,
    pmT: number,
    mask: Float32Array,
    zr: Float32Array,
    stride: number,
  ): void {
    const { indptr, indices } = train;
    mask.fill(0, 0, width * stride);
    zr.fill(0, 0, width * stride);
    rng.saveState(this.state);
    const m0 = this.arena.offsetOf(mask);
    const z0 = this.arena.offsetOf(zr);
    const state = this.arena.offsetOf(this.state);
    for (let r = 0; r < n; r++) {
      const u = users[r]!;
      for (let p = indptr[u]!; p < indptr[u + 1]!; p++) mask[indices[p]! * stride + r] = 2;
      this.draws(m0 + 4 * r, z0 + 4 * r, 4 * stride, width, zrT, pmT, state);
    }
    rng.loadState(this.state);
  }
}
