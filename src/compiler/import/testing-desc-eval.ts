/**
 * Test support: a plain evaluator of an int8 ModelDescription with the file's own semantics, written from the
 * TFLite / ONNX operator definitions and independent of the import mapping: tensors are row-major in the file's
 * shape and layout (NHWC or NCHW), every op dequantizes its int8 operands, computes in float64 and quantizes its
 * output (round half away from zero, saturate), fused RELU / RELU6 clamp the real result. SAME padding puts the
 * odd pixel at the bottom / right; padding reads the input's zero point (real 0). It checks the mapping's layout
 * conversions and padding rules against the files' meaning; bit-exactness is the oracles' job (export branch).
 */
import type { ModelDescription, OpDesc, TensorDesc } from './types';
import { paddingOf } from './to-model-layers';

type Real = Float64Array;

const quantizeTo = (v: number, t: TensorDesc) => {
  const q = t.quant!;
  const r = v / q.scale[0];
  const n = (r >= 0 ? Math.floor(r + 0.5) : Math.ceil(r - 0.5)) + q.zeroPoint[0];
  return Math.max(-128, Math.min(127, n));
};

function act(v: number, a: string): number {
  if (a === 'relu') return Math.max(0, v);
  if (a === 'relu6') return Math.min(6, Math.max(0, v));
  return v;
}

/** [h, w, c] view of a 4-d activation in the file's layout: index(y, x, c). */
function view(t: TensorDesc, nchw: boolean) {
  const [, a, b, c] = t.shape;
  const [H, W, C] = nchw ? [b, c, a] : [a, b, c];
  const at = (y: number, x: number, ch: number) => (nchw ? (ch * H + y) * W + x : (y * W + x) * C + ch);
  return { H, W, C, at };
}

function conv(d: ModelDescription, op: Extract<OpDesc, { kind: 'conv2d' | 'depthwiseConv2d' }>, r: Map<number, Real>) {
  const nchw = d.layout === 'NCHW';
  const [xi, wi, bi] = op.inputs;
  const xt = d.tensors[xi!];
  const wt = d.tensors[wi!];
  const yt = d.tensors[op.outputs[0]];
  const X = view(xt, nchw);
  const Y = view(yt, nchw);
  const [kh, kw] = nchw ? wt.shape.slice(2) : wt.shape.slice(1, 3);
  const dw = op.kind === 'depthwiseConv2d' || (op.kind === 'conv2d' && op.options.group > 1);
  const [top, left] = paddingOf(op.options.padding, [X.H, X.W], [Y.H, Y.W], [kh, kw], op.options.stride);
  const [sh, sw] = op.options.stride;
  const x = r.get(xi!)!;
  const w = wt.data!;
  const ws = (o: number) => wt.quant!.scale[wt.quant!.scale.length === 1 ? 0 : o] ?? wt.quant!.scale[0];
  const bias = bi === null || bi === undefined ? null : d.tensors[bi];
  const out = new Float64Array(yt.shape.reduce((a, b) => a * b, 1));
  const M = Y.C / X.C;
  for (let o = 0; o < Y.C; o++)
    for (let y = 0; y < Y.H; y++)
      for (let xx = 0; xx < Y.W; xx++) {
        let acc = bias ? bias.data![o] * bias.quant!.scale[bias.quant!.scale.length === 1 ? 0 : o] : 0;
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++) {
            const iy = y * sh - top + ky;
            const ix = xx * sw - left + kx;
            if (iy < 0 || iy >= X.H || ix < 0 || ix >= X.W) continue;
            const chans = dw ? [Math.floor(o / M)] : Array.from({ length: X.C }, (_, i) => i);
            for (const i of chans) {
              const wIdx = dw
                ? nchw
                  ? (o * kh + ky) * kw + kx
                  : (ky * kw + kx) * Y.C + o
                : nchw
                  ? ((o * X.C + i) * kh + ky) * kw + kx
                  : ((o * kh + ky) * kw + kx) * X.C + i;
              acc += x[X.at(iy, ix, i)] * w[wIdx] * ws(o);
            }
          }
        out[Y.at(y, xx, o)] = act(acc, op.options.activation);
      }
  return out;
}

/** Average (in-bounds taps only) or max pool over the file's window. */
function pool(d: ModelDescription, op: Extract<OpDesc, { kind: 'averagePool2d' | 'maxPool2d' }>, x: Real): Real {
  const nchw = d.layout === 'NCHW';
  const X = view(d.tensors[op.inputs[0]!], nchw);
  const Y = view(d.tensors[op.outputs[0]], nchw);
  const { filter: k, stride: s } = op.options;
  const [top, left] = paddingOf(op.options.padding, [X.H, X.W], [Y.H, Y.W], k, s);
  const out = new Float64Array(Y.H * Y.W * Y.C);
  for (let c = 0; c < Y.C; c++)
    for (let y = 0; y < Y.H; y++)
      for (let xx = 0; xx < Y.W; xx++) {
        const taps: number[] = [];
        for (let ky = 0; ky < k[0]; ky++)
          for (let kx = 0; kx < k[1]; kx++) {
            const [iy, ix] = [y * s[0] - top + ky, xx * s[1] - left + kx];
            if (iy >= 0 && iy < X.H && ix >= 0 && ix < X.W) taps.push(x[X.at(iy, ix, c)]);
          }
        const v = op.kind === 'maxPool2d' ? Math.max(...taps) : taps.reduce((a, b) => a + b, 0) / taps.length;
        out[Y.at(y, xx, c)] = act(v, op.options.activation);
      }
  return out;
}

function step(d: ModelDescription, op: OpDesc, r: Map<number, Real>): Real {
  const x = r.get(op.inputs[0]!)!;
  const yt = d.tensors[op.outputs[0]];
  switch (op.kind) {
    case 'conv2d':
    case 'depthwiseConv2d':
      return conv(d, op, r);
    case 'fullyConnected': {
      const wt = d.tensors[op.inputs[1]!];
      const b = op.inputs[2] === null || op.inputs[2] === undefined ? null : d.tensors[op.inputs[2]];
      const [O, I] = wt.shape;
      const s = (o: number) => wt.quant!.scale[wt.quant!.scale.length === 1 ? 0 : o];
      return Float64Array.from({ length: O }, (_, o) => {
        let acc = b ? b.data![o] * b.quant!.scale[b.quant!.scale.length === 1 ? 0 : o] : 0;
        for (let i = 0; i < I; i++) acc += x[i] * wt.data![o * I + i] * s(o);
        return act(acc, op.options.activation);
      });
    }
    case 'add':
      return x.map((v, i) => act(v + r.get(op.inputs[1]!)![i], op.options.activation));
    case 'mean': {
      const X = view(d.tensors[op.inputs[0]!], d.layout === 'NCHW');
      return Float64Array.from({ length: X.C }, (_, c) => {
        let s = 0;
        for (let y = 0; y < X.H; y++) for (let xx = 0; xx < X.W; xx++) s += x[X.at(y, xx, c)];
        return s / (X.H * X.W);
      });
    }
    case 'pad': {
      const X = view(d.tensors[op.inputs[0]!], d.layout === 'NCHW');
      const Y = view(yt, d.layout === 'NCHW');
      const sp = d.layout === 'NCHW' ? [2, 3] : [1, 2];
      const [t, l] = [op.options.paddings[sp[0]][0], op.options.paddings[sp[1]][0]];
      const out = new Float64Array(Y.H * Y.W * Y.C);
      for (let y = 0; y < X.H; y++)
        for (let xx = 0; xx < X.W; xx++) for (let c = 0; c < X.C; c++) out[Y.at(y + t, xx + l, c)] = x[X.at(y, xx, c)];
      return out;
    }
    case 'averagePool2d':
    case 'maxPool2d':
      return pool(d, op, x);
    case 'relu':
    case 'relu6':
      return x.map((v) => act(v, op.kind));
    case 'reshape':
    case 'quantize':
    case 'dequantize':
    case 'softmax':
      return x;
  }
}

/** The int8 output of a description on an int8 input (the quantized model input). */
export function evalDescription(d: ModelDescription, input: Int8Array): Int8Array {
  const r = new Map<number, Real>();
  const first = d.ops[0].kind === 'quantize' ? d.ops[0].outputs[0] : d.inputs[0];
  const qin = d.tensors[first].quant!;
  r.set(
    first,
    Float64Array.from(input, (q) => (q - qin.zeroPoint[0]) * qin.scale[0]),
  );
  let last = first;
  for (const op of d.ops) {
    if (op.kind === 'quantize' && op.outputs[0] === first) continue;
    // a softmax at the output is not ours to compare (training uses its own softmax cross-entropy): the logits are
    if (op.kind === 'softmax') {
      r.set(op.outputs[0], r.get(op.inputs[0]!)!);
      continue;
    }
    const t = d.tensors[op.outputs[0]];
    let y = step(d, op, r);
    // an int8 output is stored quantized: round through its quantization
    if (t.dtype === 'int8' && t.quant) y = y.map((v) => (quantizeTo(v, t) - t.quant!.zeroPoint[0]) * t.quant!.scale[0]);
    r.set(op.outputs[0], y);
    if (t.dtype === 'int8') last = op.outputs[0];
  }
  const t = d.tensors[last];
  return Int8Array.from(r.get(last)!, (v) => quantizeTo(v, t));
}
