/**
 * NeuMF's batch loss and gradients on the WebAssembly SIMD kernel (neumf-simd.ts): the
 * buffers it works in, the per-sample scalar part in JS (sigmoid and softplus: wasm has no
 * exp) and the bookkeeping of which embedding rows a batch touched. The result is what the
 * tfjs path (neumfBatchGrads + sumRows) gives, to float32 rounding: per distinct embedding
 * row its summed gradient, and whole gradients of the dense tables.
 */
import type { Allocator, WasmArena } from '../../compute/arena.ts';
import { countAllocations } from '../../compute/arena.ts';
import { instantiate, wasmValidates } from '../../compute/wasm-writer.ts';
import type { NeuMfShape, NeuMfWeights } from './neumf-weights.ts';
import { ROW_BLOCK, assembleNeuMfSimd } from './neumf-simd.ts';

type Fn = (...args: number[]) => void;

/** True when this runtime compiles the kernel and the shape fits it (sizes divisible by 4). */
export function neumfSimdAvailable(factors: number, layers: number[]): boolean {
  return (
    [factors, ...layers].every((s) => s > 0 && s % 4 === 0) &&
    wasmValidates(() => assembleNeuMfSimd(4, [4]))
  );
}

/** The embedding tables' row sums of one batch: table -> (distinct rows, their sums). */
export interface RowSums {
  rows: Int32Array;
  count: number;
  sum: Float32Array;
}

/** The kernel's arrays (all in its arena), sized for batches of up to `maxBatch`. */
function buffers(a: Allocator, shape: NeuMfShape, maxBatch: number) {
  const { factors: f, layers } = shape;
  // A partial last block of ROW_BLOCK samples computes whole rows.
  const B = Math.ceil(maxBatch / ROW_BLOCK) * ROW_BLOCK;
  const sizes = [2 * f, ...layers];
  const dense: Record<string, Float32Array> = {};
  const wt: Float32Array[] = [];
  layers.forEach((s, l) => {
    wt.push(a.floats(s * sizes[l]!));
    dense[`w${l + 1}`] = a.floats(sizes[l]! * s);
    dense[`b${l + 1}`] = a.floats(s);
  });
  dense.h = a.floats(f + layers.at(-1)!);
  dense.h0 = a.floats(1);
  const userRows = a.ints(B);
  const itemRows = a.ints(B);
  const sums = (rows: Int32Array): RowSums => ({ rows, count: 0, sum: a.floats(B * f) });
  return {
    user: a.ints(B),
    item: a.ints(B),
    uSlot: a.ints(B),
    iSlot: a.ints(B),
    x: a.floats(B),
    sq: a.floats(B),
    dx: a.floats(B),
    /** z[0] = MLP input, z[l] = layer l's output; du[l] its masked gradient (du[0]: the input's). */
    z: sizes.map((s) => a.floats(B * s)),
    du: sizes.map((s) => a.floats(B * s)),
    /** W_l^T of the current batch. */
    wt,
    dense,
    rowSums: {
      userGmf: sums(userRows),
      itemGmf: sums(itemRows),
      userMlp: sums(userRows),
      itemMlp: sums(itemRows),
    },
  };
}

export class NeuMfSimdKernel {
  /** The batch's users and items: the trainer writes its samples here. */
  readonly user: Int32Array;
  readonly item: Int32Array;
  /** Gradients of the dense tables (w1.., b1.., h, h0), valid after `grads`. */
  readonly dense: Record<string, Float32Array>;
  /** Row sums of the embedding tables, valid after `grads`. */
  readonly rowSums: Record<'userGmf' | 'itemGmf' | 'userMlp' | 'itemMlp', RowSums>;
  private readonly b: ReturnType<typeof buffers>;
  private readonly fn: Record<string, Fn>;
  private readonly slotOfUser: Int32Array;
  private readonly slotOfItem: Int32Array;

  constructor(
    private readonly arena: WasmArena,
    readonly shape: NeuMfShape,
    readonly maxBatch: number,
  ) {
    this.b = buffers(arena, shape, maxBatch);
    ({ user: this.user, item: this.item, dense: this.dense, rowSums: this.rowSums } = this.b);
    this.slotOfUser = new Int32Array(shape.nUsers).fill(-1);
    this.slotOfItem = new Int32Array(shape.nItems).fill(-1);
    const bytes = assembleNeuMfSimd(shape.factors, shape.layers);
    this.fn = instantiate(bytes, arena.memory) as Record<string, Fn>;
  }

  /** Element counts of the arrays the kernel allocates (to size an arena). */
  static sizes(shape: NeuMfShape, maxBatch: number): number[] {
    return countAllocations((alloc) => buffers(alloc, shape, maxBatch));
  }

  /**
   * Loss and gradients of the batch whose first `n` samples are in `user`/`item` (this
   * kernel's arrays) with `target` and `weight`. loss = (sum w (softplus(x) - y x) + l2 |the
   * batch's embedding rows|^2) / n, as neumfBatchGrads.
   */
  grads(
    w: NeuMfWeights,
    n: number,
    target: Float32Array,
    weight: Float32Array,
    l2: number,
  ): number {
    const { fn } = this;
    const { z, du, dense, wt } = this.b;
    const f = w.factors;
    const L = w.layers.length;
    const t = w.tables;
    const at = (x: Float32Array | Int32Array) => this.arena.offsetOf(x);
    this.index(n, f);
    for (const g of Object.values(dense)) g.fill(0);
    const [user, item] = [at(this.user), at(this.item)];
    const [ug, ig, um, im] = [at(t.userGmf!), at(t.itemGmf!), at(t.userMlp!), at(t.itemMlp!)];
    // A partial last block of ROW_BLOCK rows computes whole rows: give them zero inputs
    // (they are never read back, but stay finite).
    const padded = Math.ceil(n / ROW_BLOCK) * ROW_BLOCK;
    z[0]!.fill(0, n * 2 * f, padded * 2 * f);
    du[L]!.fill(0, n * w.layers[L - 1]!, padded * w.layers[L - 1]!);

    fn.gather!(n, user, item, um, im, at(z[0]!));
    for (let l = 1; l <= L; l++)
      fn[`fwd${l}`]!(at(z[l - 1]!), at(t[`w${l}`]!), at(t[`b${l}`]!), 0, at(z[l]!), n);
    fn.head!(n, user, item, ug, ig, um, im, at(z[L]!), at(t.h!), at(this.b.x), at(this.b.sq));

    // The scalar part: d loss / d x = w (sigmoid(x) - y) / n.
    const h0 = t.h0![0]!;
    const { x, sq, dx } = this.b;
    let lossSum = 0;
    let reg = 0;
    let gh0 = 0;
    for (let k = 0; k < n; k++) {
      const xk = x[k]! + h0;
      const y = target[k]!;
      const wk = weight[k]!;
      // softplus(x) - y x, stable for large |x|.
      lossSum += wk * (Math.max(xk, 0) + Math.log1p(Math.exp(-Math.abs(xk))) - y * xk);
      reg += sq[k]!;
      const d = (wk * (1 / (1 + Math.exp(-xk)) - y)) / n;
      dx[k] = d;
      gh0 += Math.fround(d);
    }
    dense.h0![0] = gh0;

    const decay = (2 * l2) / n;
    const s = this.rowSums;
    fn.headBack!(
      n,
      user,
      item,
      at(this.b.uSlot),
      at(this.b.iSlot),
      ug,
      ig,
      at(z[L]!),
      at(t.h!),
      at(dx),
      at(s.userGmf.sum),
      at(s.itemGmf.sum),
      at(du[L]!),
      at(dense.h!),
      decay,
    );
    const sizes = [2 * f, ...w.layers];
    for (let l = L; l >= 1; l--) {
      fn[`gw${l}`]!(at(z[l - 1]!), at(du[l]!), at(dense[`w${l}`]!), n);
      fn[`gb${l}`]!(at(du[l]!), at(dense[`b${l}`]!), n);
      transpose(t[`w${l}`]!, sizes[l - 1]!, sizes[l]!, wt[l - 1]!);
      fn[`back${l}`]!(at(du[l]!), at(wt[l - 1]!), 0, at(z[l - 1]!), at(du[l - 1]!), n);
    }
    fn.embBack!(
      n,
      user,
      item,
      at(this.b.uSlot),
      at(this.b.iSlot),
      um,
      im,
      at(du[0]!),
      at(s.userMlp.sum),
      at(s.itemMlp.sum),
      decay,
    );
    return (lossSum + l2 * reg) / n;
  }

  /** Each sample's slot among the distinct users / items of the batch; zeroes their sums. */
  private index(n: number, f: number): void {
    const { user, item, uSlot, iSlot, rowSums: r } = this.b;
    const [userRows, itemRows] = [r.userGmf.rows, r.itemGmf.rows];
    const { slotOfUser, slotOfItem } = this;
    let nu = 0;
    let ni = 0;
    for (let k = 0; k < n; k++) {
      const u = user[k]!;
      let s = slotOfUser[u]!;
      if (s < 0) {
        slotOfUser[u] = s = nu++;
        userRows[s] = u;
      }
      uSlot[k] = s;
      const i = item[k]!;
      s = slotOfItem[i]!;
      if (s < 0) {
        slotOfItem[i] = s = ni++;
        itemRows[s] = i;
      }
      iSlot[k] = s;
    }
    for (let s = 0; s < nu; s++) slotOfUser[userRows[s]!] = -1;
    for (let s = 0; s < ni; s++) slotOfItem[itemRows[s]!] = -1;
    r.userGmf.count = r.userMlp.count = nu;
    r.itemGmf.count = r.itemMlp.count = ni;
    for (const t of [r.userGmf, r.userMlp]) t.sum.fill(0, 0, nu * f);
    for (const t of [r.itemGmf, r.itemMlp]) t.sum.fill(0, 0, ni * f);
  }
}

/** out (cols x rows) = a (rows x cols)^T. */
function transpose(a: Float32Array, rows: number, cols: number, out: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = a[o + c]!;
  }
}
