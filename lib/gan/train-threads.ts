/**
 * CFGAN training on T threads (`gan.threads`). The catalog-wide layers dominate an epoch:
 * G's output layer and D's input layer over the generated vector are catalog x hidden
 * matrices. Their rows are split into T contiguous ranges, one per thread; in each round a
 * thread computes its rows of G's output (and the masked fake vector), their share of D's
 * hidden pre-activation and of G's hidden gradient (partial sums), its rows' weight
 * gradients and their Adam updates, all in place in one shared wasm memory with SIMD
 * products (dense-kernels.ts). This thread adds the T partial sums in thread order and does
 * the batch-sized rest (masks, the sparse first layers, D's small layers), as train.ts does.
 *
 * Per discriminator batch one round (its backward step and the next batch's forward pass
 * together); per generator batch two (forward, backward), three with regG > 0 (the dense
 * update of the first layer). The masks and noise are drawn in the same order as on one
 * thread, every sum runs in a fixed order, so a run is repeated exactly for a given thread
 * count; between thread counts (and against the one-thread tfjs path) the floats differ
 * by rounding, since the partial sums split the catalog differently.
 */
import type { ArenaPlace, WasmArena } from '../compute/arena.ts';
import { ThreadPool, resolveThreads } from '../compute/thread-pool.ts';
import type { Csr } from '../eval/types.ts';
import type { LazyAdam, Moments } from '../training/adam.ts';
import { NORMAL_TABLE } from '../training/random.ts';
import type { Rng } from '../training/random.ts';
import { shuffled } from '../training/training-loop.ts';
import type { EventLoopYielder } from '../training/training-loop.ts';
import { RowKernels } from './kernels.ts';
import { MaskSampler } from './mask-kernel.ts';
import { InputDropout, reconstructionWeights, shiftOwnEntries } from './masks.ts';
import type { GeneratorInput } from './masks.ts';
import { dimsOf, pad4, padRows, transposeInto, unpadRows } from './thread-layout.ts';
import type { Dims, GanJob, GanStep, GanThreadInit, ThreadBuffers } from './thread-layout.ts';
import type { CfganConfig, DiscriminatorWeights, GeneratorWeights } from './types.ts';

/** Catalog entries x vectors per epoch pass from which `threads: 0` uses every core. */
export const GAN_AUTO_THREADS_MIN_CELLS = 1_000_000;

/** The threads a run uses: `config.threads`, or with 0 / absent one per core for large data. */
export function ganThreads(config: CfganConfig, width: number, vectors: number): number {
  return resolveThreads(config.threads, width * vectors, GAN_AUTO_THREADS_MIN_CELLS);
}

type GTable = 'w1' | 'wz' | 'b1' | 'w2' | 'b2';
type DTable = 'wc' | 'wx' | 'b1' | 'w2' | 'b2';

/** What the threaded trainer reads and updates: train.ts's state. */
export interface GanTables {
  g: GeneratorWeights;
  d: DiscriminatorWeights;
  gm: Record<GTable, Moments>;
  dm: Record<DTable, Moments>;
  gAdam: LazyAdam;
  dAdam: LazyAdam;
}

/** Loss and D(x) sums of one epoch (train.ts). */
export interface GanSums {
  d: number;
  g: number;
  real: number;
  fake: number;
  dBatches: number;
  gBatches: number;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
/** log(sigmoid(x)), without overflow. */
const logSigmoid = (x: number) =>
  x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));

export class GanThreads {
  private readonly dims: Dims;
  private readonly kernels = new Map<number, RowKernels>();
  private readonly slot: Int32Array;
  private readonly zrT: number;
  private readonly pmT: number;
  private readonly masks: MaskSampler;
  private readonly dropT: number;
  /** Per buffer half: the dropout's state and the generator inputs it left for that batch. */
  private readonly dropouts: InputDropout[];
  private readonly inputs: (GeneratorInput | undefined)[] = [undefined, undefined];

  private constructor(
    private readonly pool: ThreadPool<GanJob, void>,
    private readonly arena: WasmArena,
    private readonly s: GanTables,
    private readonly b: ThreadBuffers,
    private readonly rowsCsr: Csr,
    private readonly c: CfganConfig,
    private readonly signal?: AbortSignal,
  ) {
    this.dims = dimsOf(s.d.width, c);
    for (const dim of new Set([this.dims.hG, this.dims.hD, this.dims.hDp]))
      this.kernels.set(dim, new RowKernels(arena, dim, b.main.pairs));
    this.slot = new Int32Array(this.dims.width).fill(-1);
    this.zrT = Math.round(c.zrRatio * 65536);
    this.pmT = Math.round(c.pmRatio * 65536);
    this.masks = new MaskSampler(arena, b.main.rngState);
    this.dropT = Math.round(c.inputDropout * 65536);
    const B = Math.max(c.batchSize, c.discriminatorBatchSize);
    this.dropouts = [new InputDropout(B), new InputDropout(B)];
  }

  /**
   * Starts `threads` threads on `arena` (shared), where `s`'s tables and `b` were allocated;
   * G's output layer and D's input layer are copied into their padded, catalog-major
   * thread layouts.
   */
  static async start(
    arena: WasmArena,
    s: GanTables,
    b: ThreadBuffers,
    rows: Csr,
    c: CfganConfig,
    threads: number,
    signal?: AbortSignal,
  ): Promise<GanThreads> {
    const dims = dimsOf(s.d.width, c);
    const { width, hGp, hDp } = dims;
    const bounds = Array.from({ length: threads + 1 }, (_, t) =>
      t === threads ? width : 2 * Math.round((width * t) / threads / 2),
    );
    const sh = b.shared;
    const place = (a: Float32Array) => arena.placeOf(a);
    const sharedPlaces = Object.fromEntries(
      Object.entries(sh).map(([k, a]) => [k, place(a)]),
    ) as Record<keyof ThreadBuffers['shared'], ArenaPlace>;
    const inits = Array.from({ length: threads }, (_, t): GanThreadInit => ({
      memory: arena.memory,
      bytes: arena.bytes,
      width,
      hG: dims.hG,
      hGp,
      hDp,
      from: bounds[t]!,
      to: bounds[t + 1]!,
      batchWidths: [...new Set([pad4(c.batchSize), pad4(c.discriminatorBatchSize)])],
      Bp: dims.Bp,
      beta1: s.gAdam.beta1,
      beta2: s.gAdam.beta2,
      eps: s.gAdam.eps,
      floats: {
        ...sharedPlaces,
        b2: place(s.g.b2),
        b2M: place(s.gm.b2.m),
        b2V: place(s.gm.b2.v),
        w1: place(s.g.w1),
        w1M: place(s.gm.w1.m),
        w1V: place(s.gm.w1.v),
        partialHf: place(b.main.partialHf[t]!),
        partialDh: place(b.main.partialDh[t]!),
      },
      shareRows: arena.placeOf(b.main.shareRows),
    }));
    const t = new GanThreads(
      await ThreadPool.start<GanJob, void>(
        'CFGAN',
        new URL('./thread-worker.ts', import.meta.url),
        inits,
        signal,
      ),
      arena,
      s,
      b,
      rows,
      c,
      signal,
    );
    t.load();
    return t;
  }

  get threads(): number {
    return this.pool.size;
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  /** The thread layouts from train.ts's tables (G's w2 and D's wx and their moments). */
  private load(): void {
    const { width, hG, hGp, hD, hDp } = this.dims;
    const { g, d, gm, dm } = this.s;
    const sh = this.b.shared;
    transposeInto(g.w2, hG, width, sh.w2T, hGp);
    transposeInto(gm.w2.m, hG, width, sh.w2TM, hGp);
    transposeInto(gm.w2.v, hG, width, sh.w2TV, hGp);
    padRows(d.wx, width, hD, sh.wx, hDp);
    padRows(dm.wx.m, width, hD, sh.wxM, hDp);
    padRows(dm.wx.v, width, hD, sh.wxV, hDp);
  }

  /** Writes the thread layouts back into train.ts's tables (before scoring or saving). */
  sync(): void {
    const { width, hG, hGp, hD, hDp } = this.dims;
    const { g, d, gm, dm } = this.s;
    const sh = this.b.shared;
    transposeInto(sh.w2T, width, hGp, g.w2, width, hG);
    transposeInto(sh.w2TM, width, hGp, gm.w2.m, width, hG);
    transposeInto(sh.w2TV, width, hGp, gm.w2.v, width, hG);
    unpadRows(sh.wx, width, hDp, d.wx, hD);
    unpadRows(sh.wxM, width, hDp, dm.wx.m, hD);
    unpadRows(sh.wxV, width, hDp, dm.wx.v, hD);
  }

  private k(dim: number): RowKernels {
    return this.kernels.get(dim)!;
  }

  private run(steps: GanStep[]): Promise<void[]> {
    return this.pool.run(
      Array.from({ length: this.pool.size }, () => ({ steps })),
      this.signal,
    );
  }

  /** Half `buf` of a per-batch buffer of two. */
  private half(a: Float32Array, buf: number): Float32Array {
    const size = a.length / 2;
    return a.subarray(buf * size, (buf + 1) * size);
  }

  /** The batch's masks and noise into half `buf`, drawn in the one-thread order. */
  private draw(users: Int32Array, np: number, rng: Rng, buf: number): void {
    const { width, nz } = this.dims;
    const { shared: sh, main: m } = this.b;
    const { zrT, pmT } = this;
    const n = users.length;
    const [mask, zr, z] = [this.half(sh.mask, buf), this.half(sh.zr, buf), this.half(m.z, buf)];
    this.masks.sample(this.rowsCsr, users, n, width, rng, zrT, pmT, mask, zr, np);
    const { zrCoefficient, reconstructionCoefficient } = this.c;
    reconstructionWeights(
      this.rowsCsr,
      users,
      n,
      width,
      zr,
      zrCoefficient,
      reconstructionCoefficient,
      np,
    );
    for (let k = 0; k < n * nz; k++) z[k] = NORMAL_TABLE[rng.u32() & 4095]!;
    // G's input: the whole vectors, or what the dropout left of them.
    this.inputs[buf] =
      this.dropT > 0
        ? this.dropouts[buf]!.draw(this.rowsCsr, users, n, rng, this.dropT)
        : { csr: this.rowsCsr, users };
  }

  /** G's hidden layer h of the batch, batch-major and transposed with `np` columns. */
  private hidden(users: Int32Array, np: number, buf: number): void {
    const { hG, hGp, nz } = this.dims;
    const { g } = this.s;
    const { shared: sh, main: m } = this.b;
    const z = this.half(m.z, buf);
    const n = users.length;
    const input = this.inputs[buf]!;
    this.k(hG).gather(g.w1, input.csr.indptr, input.csr.indices, input.users, n, m.preG, g.b1);
    sh.h.fill(0);
    sh.hT.fill(0);
    for (let r = 0; r < n; r++)
      for (let k = 0; k < hG; k++) {
        let pre = m.preG[r * hG + k]!;
        for (let q = 0; q < nz; q++) pre += z[r * nz + q]! * g.wz[q * hG + k]!;
        const h = sigmoid(Math.fround(pre));
        sh.h[r * hGp + k] = h;
        sh.hT[k * np + r] = h;
      }
  }

  /** D's hidden pre-activation of the fake vectors: the threads' partial sums in order. */
  private hiddenFake(r: number, i: number): number {
    const { hDp } = this.dims;
    let x = 0;
    for (const p of this.b.main.partialHf) x += p[r * hDp + i]!;
    return x;
  }

  /** `passes` discriminator passes over `active` in batches of `size`. */
  async discriminatorPasses(
    passes: number,
    active: Int32Array,
    size: number,
    rng: Rng,
    sums: GanSums,
    yielder: EventLoopYielder,
  ): Promise<void> {
    const np = pad4(size);
    for (let pass = 0; pass < passes; pass++) {
      const order = shuffled(active, rng);
      const count = Math.ceil(order.length / size);
      const batch = (i: number) => order.subarray(i * size, Math.min((i + 1) * size, order.length));
      // Batch i's masks are in half i % 2; the next batch's are drawn during each round. G
      // does not change in these passes, so its hidden layer is computed just before.
      this.draw(batch(0), np, rng, 0);
      this.hidden(batch(0), np, 0);
      const first = this.run([{ kind: 'forward', np, buf: 0 }]);
      if (count > 1) this.draw(batch(1), np, rng, 1);
      await first;
      for (let i = 0; i < count; i++) {
        this.signal?.throwIfAborted();
        const { rate, shared } = this.discriminatorHead(batch(i), sums);
        const steps: GanStep[] = [{ kind: 'dBackward', np, rate, count: shared }];
        if (i + 1 < count) {
          this.hidden(batch(i + 1), np, (i + 1) % 2);
          steps.push({ kind: 'forward', np, buf: (i + 1) % 2 });
        }
        const round = this.run(steps);
        if (i + 2 < count) this.draw(batch(i + 2), np, rng, i % 2);
        await round;
        await yielder.maybeYield();
      }
    }
  }

  /**
   * D's update on the batch of `users` after its forward round, except the wx rows the
   * threads update: returns the Adam rate and how many real-vector gradient rows of wx it
   * left for them.
   */
  private discriminatorHead(users: Int32Array, sums: GanSums) {
    const n = users.length;
    const { hD, hDp } = this.dims;
    const { d, dm, dAdam } = this.s;
    const { shared: sh, main: m } = this.b;
    const { indptr, indices } = this.rowsCsr;
    this.k(hD).gather(d.wc, indptr, indices, users, n, m.cond, d.b1);
    this.k(hDp).gather(sh.wx, indptr, indices, users, n, m.realX);
    const b2 = d.b2[0]!;
    let loss = 0;
    let real = 0;
    let fake = 0;
    let gB2 = 0;
    sh.daf.fill(0);
    m.dar.fill(0);
    m.dW2.fill(0);
    const hr = new Float64Array(hD);
    const hf = new Float64Array(hD);
    for (let r = 0; r < n; r++) {
      let or = b2;
      let of = b2;
      for (let i = 0; i < hD; i++) {
        const c = m.cond[r * hD + i]!;
        hr[i] = sigmoid(Math.fround(c + m.realX[r * hDp + i]!));
        hf[i] = sigmoid(Math.fround(c + this.hiddenFake(r, i)));
        or += hr[i]! * d.w2[i]!;
        of += hf[i]! * d.w2[i]!;
      }
      loss -= logSigmoid(or) + logSigmoid(-of);
      const pr = sigmoid(or);
      const pf = sigmoid(of);
      real += pr;
      fake += pf;
      // d loss / d logit: (D(real) - 1) / n and D(fake) / n.
      const dor = (pr - 1) / n;
      const dof = pf / n;
      gB2 += dor + dof;
      for (let i = 0; i < hD; i++) {
        const dr = dor * d.w2[i]! * hr[i]! * (1 - hr[i]!);
        const df = dof * d.w2[i]! * hf[i]! * (1 - hf[i]!);
        m.dar[r * hDp + i] = dr;
        sh.daf[r * hDp + i] = df;
        m.daSum[r * hD + i] = Math.fround(dr) + Math.fround(df);
        m.dW2[i] = m.dW2[i]! + hr[i]! * dor + hf[i]! * dof;
      }
    }
    sums.d += loss / n;
    sums.real += real / n;
    sums.fake += fake / n;
    sums.dBatches++;
    const rate = dAdam.begin();
    // wx's real-vector rows go to the threads with its dense part.
    const shared = this.k(hDp).scatter(
      indptr,
      indices,
      users,
      n,
      m.dar,
      this.slot,
      m.shareRows,
      sh.shareGrad,
    );
    const cc = this.k(hD).scatter(indptr, indices, users, n, m.daSum, this.slot, m.rows, m.rowGrad);
    this.k(hD).adamRows(dAdam, dm.wc, d.wc, m.rows, cc, m.rowGrad, rate);
    m.dB1.fill(0);
    for (let r = 0; r < n; r++)
      for (let i = 0; i < hD; i++) m.dB1[i] = m.dB1[i]! + m.daSum[r * hD + i]!;
    m.dB2[0] = gB2;
    dAdam.apply(dm.b1, d.b1, ONE, 1, m.dB1, hD, rate);
    dAdam.apply(dm.w2, d.w2, ONE, 1, m.dW2, hD, rate);
    dAdam.apply(dm.b2, d.b2, ONE, 1, m.dB2, 1, rate);
    return { rate, shared };
  }

  /** `passes` generator passes over `active` in batches of `size`. */
  async generatorPasses(
    passes: number,
    active: Int32Array,
    size: number,
    rng: Rng,
    sums: GanSums,
    yielder: EventLoopYielder,
  ): Promise<void> {
    const np = pad4(size);
    const { hG, hGp, hD, nz, width } = this.dims;
    const { g, d, gm, gAdam } = this.s;
    const { shared: sh, main: m } = this.b;
    const { indptr, indices } = this.rowsCsr;
    const reg = this.c.regG;
    const own = this.c.reconstructionCoefficient > 0;
    for (let pass = 0; pass < passes; pass++) {
      const order = shuffled(active, rng);
      const count = Math.ceil(order.length / size);
      const batch = (i: number) => order.subarray(i * size, Math.min((i + 1) * size, order.length));
      this.draw(batch(0), np, rng, 0);
      for (let i = 0; i < count; i++) {
        this.signal?.throwIfAborted();
        const users = batch(i);
        const n = users.length;
        const buf = i % 2;
        // h needs G's first layer after the previous batch's update; the next batch's masks
        // are drawn meanwhile.
        this.hidden(users, np, buf);
        const forward = this.run([{ kind: 'forward', np, buf }]);
        if (i + 1 < count) this.draw(batch(i + 1), np, rng, 1 - buf);
        await forward;
        // G's error against the target 1 at own entries, where zr holds their weight (the
        // fake vector was taken from the output before).
        if (own) shiftOwnEntries(this.rowsCsr, users, n, sh.outT, -1, np);
        this.k(hD).gather(d.wc, indptr, indices, users, n, m.cond, d.b1);
        let loss = 0;
        sh.dafT.fill(0);
        const b2 = d.b2[0]!;
        const hf = new Float64Array(hD);
        for (let r = 0; r < n; r++) {
          let of = b2;
          for (let i = 0; i < hD; i++) {
            hf[i] = sigmoid(Math.fround(m.cond[r * hD + i]! + this.hiddenFake(r, i)));
            of += hf[i]! * d.w2[i]!;
          }
          // -log D(fake), the non-saturating loss of the authors' code.
          loss -= logSigmoid(of);
          const dof = (sigmoid(of) - 1) / n;
          for (let i = 0; i < hD; i++) sh.dafT[i * np + r] = dof * d.w2[i]! * hf[i]! * (1 - hf[i]!);
        }
        const rate = gAdam.begin();
        await this.run([{ kind: 'gBackward', np, buf, rate, c: 2 / n, reg }]);
        let squaredLoss = 0;
        for (let j = 0; j < width; j++) squaredLoss += sh.rowLoss[j]!;
        sums.g += (loss + squaredLoss) / n;
        sums.gBatches++;
        // dh: the threads' partial sums in order, then through the sigmoid.
        for (let r = 0; r < n; r++)
          for (let k = 0; k < hG; k++) {
            let dh = 0;
            for (const p of m.partialDh) dh += p[r * hGp + k]!;
            const h = sh.h[r * hGp + k]!;
            m.dpre[r * hG + k] = dh * h * (1 - h);
          }
        // w1's rows: those of the inputs G was shown.
        const input = this.inputs[buf]!;
        if (reg > 0) {
          const count = this.k(hG).scatter(
            input.csr.indptr,
            input.csr.indices,
            input.users,
            n,
            m.dpre,
            this.slot,
            m.shareRows,
            sh.shareGrad,
          );
          await this.run([{ kind: 'w1', np, rate, reg, count }]);
        } else {
          const gc = this.k(hG).scatter(
            input.csr.indptr,
            input.csr.indices,
            input.users,
            n,
            m.dpre,
            this.slot,
            m.rows,
            m.rowGrad,
          );
          this.k(hG).adamRows(gAdam, gm.w1, g.w1, m.rows, gc, m.rowGrad, rate);
        }
        m.gB1.fill(0);
        for (let r = 0; r < n; r++)
          for (let k = 0; k < hG; k++) m.gB1[k] = m.gB1[k]! + m.dpre[r * hG + k]!;
        for (let k = 0; k < hG; k++) m.gB1[k] = m.gB1[k]! + reg * g.b1[k]!;
        gAdam.apply(gm.b1, g.b1, ONE, 1, m.gB1, hG, rate);
        if (nz > 0) {
          const z = this.half(m.z, buf);
          for (let q = 0; q < nz; q++)
            for (let k = 0; k < hG; k++) {
              let s = reg * g.wz[q * hG + k]!;
              for (let r = 0; r < n; r++) s += z[r * nz + q]! * m.dpre[r * hG + k]!;
              m.gWz[q * hG + k] = s;
            }
          gAdam.apply(gm.wz, g.wz, ONE, 1, m.gWz, nz * hG, rate);
        }
        await yielder.maybeYield();
      }
    }
  }
}

const ONE = Int32Array.of(0);
