/**
 * Oracles for gradient checks (tests only). forwardSnapshot runs the forward graph op by op on the reference
 * kernels (training variants: every clamp writes its mask) and keeps every tensor. surrogateLoss is a float64
 * function of the real weights and biases whose exact derivative at the snapshot's parameters is the
 * straight-through gradient the compiled plan computes: every layer is linearized around the int8 forward,
 *   y(theta) = y0 + mask * (pre(x(theta), theta) - pre(x0, theta0))     (conv-like, real units)
 *   y(theta) = y0 + mask * ((a - a0) + (b - b0))                         (residual add)
 *   y(theta) = y0 + mean(x - x0)                                         (average pool)
 *   y(theta) = y0 + mask * window mean / first max of x0's window of (x - x0)  (windowed pools)
 *   y(theta) = y0 + pad(x - x0, 0)                                       (pad)
 * with y0 the int8 forward's values and the loss softmax cross-entropy of the real logits. At theta0 every
 * tensor equals the int8 forward's, so central differences of surrogateLoss check every gradient rule, scale,
 * transpose, stride, padding, accumulation and residual path of the plan (rounding and clamps are frozen, as
 * the straight-through estimator assumes).
 */
import type { ConvShape } from '../kernel-abi';
import type { ConvKind, ForwardKind, Graph, Op, Tensor } from '../ir/graph';
import { CONV_KINDS, elements, FORWARD_KINDS, isKind } from '../ir/graph';
import { layerKind } from '../layer-kinds';
import type { Model } from '../models/model';
import * as ref from '../reference/forward';
import * as pool from '../reference/pool';

export interface Snapshot {
  values: Map<number, Int8Array>;
  masks: Map<number, Uint8Array>;
}

type IntEval<K extends ForwardKind = ForwardKind> = (
  op: Op<K>,
  get: (t: number) => Int8Array,
  data: (t: number) => Tensor['data'],
  out: Int8Array,
  mask: Uint8Array,
) => void;
const convInt =
  (kernel: typeof ref.convS8): IntEval<'conv' | 'pointwise' | 'depthwise'> =>
  (op, get, data, out, mask) => {
    const [x, w, b, m] = op.inputs;
    kernel(
      op.attrs.shape,
      op.attrs.quant,
      get(x),
      data(w) as Int8Array,
      data(b) as Int32Array,
      data(m) as Float32Array,
      out,
      mask,
      0,
      op.attrs.shape.outH,
    );
  };

/** The int8 forward of each forward op kind, on the reference kernels. */
const INT_EVAL: { [K in ForwardKind]: IntEval<K> | null } = {
  conv: convInt(ref.convS8),
  pointwise: convInt(ref.pointwiseS8),
  depthwise: convInt(ref.depthwiseS8),
  fc: (op, get, data, out, mask) => {
    const [x, w, b, m] = op.inputs;
    const s = op.attrs.shape;
    ref.fcS8(
      s.inC,
      s.outC,
      op.attrs.quant,
      get(x),
      data(w) as Int8Array,
      data(b) as Int32Array,
      data(m) as Float32Array,
      out,
      mask,
    );
  },
  add: (op, get, _d, out, mask) => {
    const a = op.attrs;
    ref.addS8(out.length, a.quant, a.bZp, a.ma, a.mb, get(op.inputs[0]), get(op.inputs[1]), out, mask);
  },
  avgpool: (op, get, _d, out) => {
    const a = op.attrs;
    ref.avgpoolS8(a.h, a.w, a.c, a.inZp, a.outZp, a.m, get(op.inputs[0]), out);
  },
  softmax_xent: null,
  avgpool2d: (op, get, data, out, mask) => {
    const table = op.attrs.rule === 'requant' ? (data(op.inputs[1]) as Float32Array) : null;
    pool.avgpool2dS8(op.attrs.shape, op.attrs.quant, table, get(op.inputs[0]), out, mask);
  },
  maxpool2d: (op, get, _d, out, mask) => pool.maxpool2dS8(op.attrs.shape, op.attrs.quant, get(op.inputs[0]), out, mask),
  pad: (op, get, _d, out) => pool.padS8(op.attrs.shape, op.attrs.zp, get(op.inputs[0]), out),
};

type DropFirst<T extends unknown[]> = T extends [unknown, ...infer R] ? R : never;

function evalInt<K extends ForwardKind>(op: Op<K>, ...rest: DropFirst<Parameters<IntEval>>): void {
  const ev: IntEval<K> | null = INT_EVAL[op.kind];
  ev?.(op, ...rest);
}

/** Runs the forward graph on an image, keeping every activation and clamp mask. */
export function forwardSnapshot(g: Graph, image: Int8Array): Snapshot {
  const values = new Map<number, Int8Array>([[g.io.input, image]]);
  const masks = new Map<number, Uint8Array>();
  for (const op of g.ops) {
    if (!isKind(op, FORWARD_KINDS) || !INT_EVAL[op.kind]) continue;
    const y = op.outputs[0];
    const out = new Int8Array(elements(g.tensors[y].shape));
    const mask = new Uint8Array(Math.ceil(out.length / 8));
    evalInt(
      op,
      (t) => values.get(t)!,
      (t) => g.tensors[t].data,
      out,
      mask,
    );
    values.set(y, out);
    masks.set(y, mask);
  }
  return { values, masks };
}

/** Real weights and biases of every conv-like op (by param tensor id): W = s_W * w_q, b = s_W * s_x * b_q. */
export function realParams(g: Graph, m: Model): Map<number, Float64Array> {
  const p = new Map<number, Float64Array>();
  for (const op of g.ops) {
    if (op.layer === undefined || !isKind(op, CONV_KINDS)) continue;
    const l = op.layer < 0 ? m.classifier : m.convs[op.layer];
    const [, w, b] = op.inputs;
    const chan = layerKind(l).channelOf(l);
    p.set(
      w,
      Float64Array.from(l.weight, (v, e) => v * l.weightScale[chan(e)]),
    );
    p.set(
      b,
      Float64Array.from(l.bias, (v, c) => v * l.weightScale[c] * l.input.scale),
    );
  }
  return p;
}

/** Real-valued conv-like layer (float64, HWC); padding contributes 0 in real units. */
export function convReal(kind: string, s: ConvShape, x: Float64Array, W: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(s.outH * s.outW * s.outC);
  const [K, KW] = [s.kernel, s.kernelW];
  for (let y = 0; y < s.outH; y++)
    for (let xo = 0; xo < s.outW; xo++)
      for (let o = 0; o < s.outC; o++) {
        let acc = b[o];
        for (let ky = 0; ky < K; ky++)
          for (let kx = 0; kx < KW; kx++) {
            const iy = y * s.stride - s.pad + ky;
            const ix = xo * s.strideW - s.padLeft + kx;
            if (iy < 0 || iy >= s.inH || ix < 0 || ix >= s.inW) continue;
            const px = (iy * s.inW + ix) * s.inC;
            if (kind === 'depthwise') acc += x[px + o] * W[(ky * K + kx) * s.outC + o];
            else for (let i = 0; i < s.inC; i++) acc += x[px + i] * W[((o * K + ky) * KW + kx) * s.inC + i];
          }
        out[(y * s.outW + xo) * s.outC + o] = acc;
      }
  return out;
}

const real = (q: Int8Array, t: Tensor) => Float64Array.from(q, (v) => t.quant!.scale * (v - t.quant!.zeroPoint));
const bit = (m: Uint8Array, e: number) => (m[e >> 3] >> (e & 7)) & 1;

type LinEval<K extends ForwardKind = ForwardKind> = (
  op: Op<K>,
  x: (t: number) => Float64Array,
  x0: (t: number) => Float64Array,
  p: (t: number) => Float64Array,
  p0: (t: number) => Float64Array,
) => Float64Array | number;
const linConv: LinEval<ConvKind> = (op, x, x0, p, p0) => {
  const [xi, w, b] = op.inputs;
  const kind = op.kind === 'fc' ? 'pointwise' : op.kind;
  const pre = convReal(kind, op.attrs.shape, x(xi), p(w), p(b));
  const pre0 = convReal(kind, op.attrs.shape, x0(xi), p0(w), p0(b));
  return pre.map((v, e) => v - pre0[e]);
};
const linAdd: LinEval = (op, x, x0) => {
  const [a, b] = op.inputs.map((t) => [x(t), x0(t)]);
  return a[0].map((v, e) => v - a[1][e] + b[0][e] - b[1][e]);
};
const linPool: LinEval<'avgpool'> = (op, x, x0) => {
  const { h, w, c } = op.attrs;
  const d = new Float64Array(c);
  const xv = x(op.inputs[0]);
  const xb = x0(op.inputs[0]);
  for (let p = 0; p < h * w; p++) for (let j = 0; j < c; j++) d[j] += (xv[p * c + j] - xb[p * c + j]) / (h * w);
  return d;
};
const linSoftmax: LinEval = () => NaN;
/** Windowed pools, linearized: the change of each window's mean, or of its first max at x0. */
const linWindow: LinEval<'avgpool2d' | 'maxpool2d'> = (op, x, x0) => {
  const s = op.attrs.shape;
  const [xv, xb] = [x(op.inputs[0]), x0(op.inputs[0])];
  const d = new Float64Array(s.outH * s.outW * s.outC);
  for (let y = 0; y < s.outH; y++)
    for (let xo = 0; xo < s.outW; xo++) {
      const w = pool.windowOf(s, y, xo);
      for (let c = 0; c < s.outC; c++) {
        let [sum, n, best, at] = [0, 0, -Infinity, -1];
        for (let iy = w.r0; iy < w.r1; iy++)
          for (let ix = w.c0; ix < w.c1; ix++) {
            const e = (iy * s.inW + ix) * s.inC + c;
            [sum, n] = [sum + xv[e] - xb[e], n + 1];
            if (xb[e] > best) [best, at] = [xb[e], e];
          }
        d[(y * s.outW + xo) * s.outC + c] = op.kind === 'avgpool2d' ? sum / n : xv[at] - xb[at];
      }
    }
  return d;
};
const linPad: LinEval<'pad'> = (op, x, x0) => {
  const s = op.attrs.shape;
  const [xv, xb] = [x(op.inputs[0]), x0(op.inputs[0])];
  const d = new Float64Array(s.outH * s.outW * s.outC);
  for (let iy = 0; iy < s.inH; iy++)
    for (let ix = 0; ix < s.inW; ix++)
      for (let c = 0; c < s.inC; c++) {
        const e = (iy * s.inW + ix) * s.inC + c;
        d[((iy + s.pad) * s.outW + ix + s.padLeft) * s.outC + c] = xv[e] - xb[e];
      }
  return d;
};

/** Linearized forward rules (returning the change of the output, masked later), one per forward op kind. */
const LIN: { [K in ForwardKind]: LinEval<K> } = {
  conv: linConv,
  pointwise: linConv,
  depthwise: linConv,
  fc: linConv,
  add: linAdd,
  avgpool: linPool,
  softmax_xent: linSoftmax,
  avgpool2d: linWindow,
  maxpool2d: linWindow,
  pad: linPad,
};

function evalLin<K extends ForwardKind>(op: Op<K>, ...rest: DropFirst<Parameters<LinEval>>) {
  const lin: LinEval<K> = LIN[op.kind];
  return lin(op, ...rest);
}

/** The surrogate loss at real params `p` (params not in `p` keep their base values). */
export function surrogateLoss(
  g: Graph,
  snap: Snapshot,
  base: Map<number, Float64Array>,
  p: Map<number, Float64Array>,
  label: number,
): number {
  const x0 = (t: number) => real(snap.values.get(t)!, g.tensors[t]);
  const cur = new Map<number, Float64Array>([[g.io.input, x0(g.io.input)]]);
  for (const op of g.ops) {
    if (op.kind === 'softmax_xent') {
      const z = cur.get(op.inputs[0])!;
      const mx = Math.max(...z);
      const lse = Math.log(z.reduce((s, v) => s + Math.exp(v - mx), 0));
      return lse - (z[label] - mx);
    }
    if (!isKind(op, FORWARD_KINDS)) continue;
    const d = evalLin(
      op,
      (t) => cur.get(t)!,
      x0,
      (t) => p.get(t) ?? base.get(t)!,
      (t) => base.get(t)!,
    ) as Float64Array;
    const y = op.outputs[0];
    const mask = snap.masks.get(y)!;
    const y0 = x0(y);
    cur.set(
      y,
      y0.map((v, e) => (op.kind === 'avgpool' || op.kind === 'pad' || bit(mask, e) ? v + d[e] : v)),
    );
  }
  throw new Error('graph has no loss');
}
