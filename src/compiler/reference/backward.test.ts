/**
 * The reference backward kernels against central finite differences of the fp32 layer math in real units:
 * y = conv(x, W) + b with x = s_x * (x_q - z_x) and W = s_W * w_q, loss L = sum(y * G). Every gradient
 * the kernels return (input, weight on the first k channels, bias) must equal (L(v+h) - L(v-h)) / 2h.
 */
import { describe, expect, it } from 'vitest';
import { convShape, type ConvShape } from '../kernel-abi';
import {
  addF32BwdInput,
  avgpoolF32BwdInput,
  biasF32Bwd,
  clampF32Bwd,
  convF32BwdInput,
  convF32BwdWeight,
  depthwiseF32BwdInput,
  depthwiseF32BwdWeight,
  fcF32BwdInput,
  fcF32BwdWeight,
  pointwiseF32BwdInput,
  pointwiseF32BwdWeight,
} from './backward';

type Kind = 'conv' | 'depthwise' | 'pointwise';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

interface Layer {
  kind: Kind;
  shape: ConvShape;
  wq: Int8Array;
  ws: Float32Array;
  xq: Int8Array;
  zp: number;
  sx: number;
  g: Float32Array;
}

function makeLayer(kind: Kind, rand: () => number, h: number, c: number, oc: number, kernel: number, stride: number) {
  const pad = Math.floor(kernel / 2);
  const outH = Math.floor((h + 2 * pad - kernel) / stride) + 1;
  const outC = kind === 'depthwise' ? c : oc;
  const shape = convShape({ inH: h, inW: h, inC: c, outH, outW: outH, outC, kernel, stride, pad });
  const wLen = kind === 'depthwise' ? kernel * kernel * c : outC * kernel * kernel * c;
  const int8 = (n: number) => Int8Array.from({ length: n }, () => Math.floor(rand() * 255) - 127);
  const ws = Float32Array.from({ length: outC }, () => 0.005 + 0.02 * rand());
  const g = Float32Array.from({ length: outH * outH * outC }, () => rand() * 2 - 1);
  return { kind, shape, wq: int8(wLen), ws, xq: int8(h * h * c), zp: Math.floor(rand() * 21) - 10, sx: 0.03, g };
}

/** The fp32 forward in real units (float64 here), HWC, weights in the kernel layouts. */
function forward(l: Layer, x: Float64Array, w: Float64Array, b: Float64Array): Float64Array {
  const { inH, inW, inC, outH, outW, outC, kernel: K, stride, pad } = l.shape;
  const y = new Float64Array(outH * outW * outC);
  for (let oy = 0; oy < outH; oy++)
    for (let ox = 0; ox < outW; ox++)
      for (let o = 0; o < outC; o++) {
        let acc = b[o];
        for (let ky = 0; ky < K; ky++)
          for (let kx = 0; kx < K; kx++) {
            const iy = oy * stride - pad + ky;
            const ix = ox * stride - pad + kx;
            if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) continue;
            const px = (iy * inW + ix) * inC;
            if (l.kind === 'depthwise') acc += x[px + o] * w[(ky * K + kx) * inC + o];
            else for (let i = 0; i < inC; i++) acc += x[px + i] * w[((o * K + ky) * K + kx) * inC + i];
          }
        y[(oy * outW + ox) * outC + o] = acc;
      }
  return y;
}

/** Central differences of L = sum(y * G) with respect to every element of `v` (v is restored). */
function numericGrad(v: Float64Array, loss: () => number, h = 1e-3): Float64Array {
  const out = new Float64Array(v.length);
  for (let j = 0; j < v.length; j++) {
    const keep = v[j];
    v[j] = keep + h;
    const up = loss();
    v[j] = keep - h;
    out[j] = (up - loss()) / (2 * h);
    v[j] = keep;
  }
  return out;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>): void {
  expect(got.length).toBe(want.length);
  const scale = 1 + Math.max(...Array.from(want, Math.abs));
  for (let j = 0; j < want.length; j++) expect(Math.abs(got[j] - want[j]), `element ${j}`).toBeLessThan(2e-5 * scale);
}

function checkLayer(l: Layer, k: number, inStride: number): void {
  const { shape } = l;
  const x = Float64Array.from(l.xq, (q) => l.sx * (q - l.zp));
  const perOut = l.kind === 'depthwise' ? 1 : shape.kernel * shape.kernel * shape.inC;
  const w = Float64Array.from(
    l.wq,
    (q, j) => l.ws[l.kind === 'depthwise' ? j % shape.inC : Math.floor(j / perOut)] * q,
  );
  const b = Float64Array.from({ length: shape.outC }, (_, j) => 0.1 * j);
  const loss = () => forward(l, x, w, b).reduce((s, yv, j) => s + yv * l.g[j], 0);

  const gIn = new Float32Array(x.length);
  const bwdIn = { conv: convF32BwdInput, depthwise: depthwiseF32BwdInput, pointwise: pointwiseF32BwdInput }[l.kind];
  bwdIn(shape, l.g, l.wq, l.ws, gIn, false);
  expectClose(gIn, numericGrad(x, loss));

  // The saved input holds the first k channels of each pixel at `inStride` bytes per pixel.
  const pixels = shape.inH * shape.inW;
  const saved = new Int8Array(pixels * inStride).fill(99);
  for (let p = 0; p < pixels; p++) saved.set(l.xq.subarray(p * shape.inC, p * shape.inC + k), p * inStride);
  const taps = shape.kernel * shape.kernel;
  const gW = new Float32Array((l.kind === 'depthwise' ? taps : shape.outC * taps) * k);
  const bwdW = { conv: convF32BwdWeight, depthwise: depthwiseF32BwdWeight, pointwise: pointwiseF32BwdWeight }[l.kind];
  bwdW(shape, l.g, saved, inStride, l.zp, l.sx, k, gW);
  // Compare with the numeric gradient of the real weights, keeping only input channels < k.
  const numW = numericGrad(w, loss).filter((_, j) => j % shape.inC < k);
  expectClose(gW, numW);

  const gB = new Float32Array(shape.outC);
  biasF32Bwd(shape.outH * shape.outW, shape.outC, l.g, gB);
  expectClose(gB, numericGrad(b, loss));
}

describe('conv-family gradients vs central finite differences', () => {
  const rand = seeded(7);
  for (const kernel of [3, 5, 7])
    for (const stride of [1, 2]) {
      it(`conv k${kernel} s${stride}, full and partial k`, () => {
        const l = makeLayer('conv', rand, 6 + stride, 3, 4, kernel, stride);
        checkLayer(l, 3, 3);
        checkLayer(l, 2, 3);
        checkLayer(l, 1, 1);
      });
      it(`depthwise k${kernel} s${stride}, full and partial k`, () => {
        const l = makeLayer('depthwise', rand, 7 + stride, 5, 0, kernel, stride);
        checkLayer(l, 5, 5);
        checkLayer(l, 3, 5);
        checkLayer(l, 2, 2);
      });
    }
  it('pointwise, full and partial k', () => {
    const l = makeLayer('pointwise', rand, 3, 7, 5, 1, 1);
    checkLayer(l, 7, 7);
    checkLayer(l, 4, 7);
    checkLayer(l, 3, 3);
  });
  it('fc equals a 1x1 pointwise layer on one pixel', () => {
    const l = makeLayer('pointwise', rand, 1, 9, 6, 1, 1);
    checkLayer(l, 5, 9);
    const gIn = new Float32Array(9);
    const ref = new Float32Array(9);
    fcF32BwdInput(9, 6, l.g, l.wq, l.ws, gIn, 0);
    pointwiseF32BwdInput(l.shape, l.g, l.wq, l.ws, ref, 0);
    expect(gIn).toEqual(ref);
    const gW = new Float32Array(6 * 5);
    const refW = new Float32Array(6 * 5);
    fcF32BwdWeight(9, 6, l.g, l.xq, l.zp, l.sx, 5, gW);
    pointwiseF32BwdWeight(l.shape, l.g, l.xq, 9, l.zp, l.sx, 5, refW);
    expect(gW).toEqual(refW);
  });
});

describe('elementwise gradients', () => {
  it('clamp passes gradient exactly where the forward clamp let the value through', () => {
    const v = [-3, -0.5, 0.2, 0.9, 1.5, 0.4, -1.2, 0.0, 2];
    const clamp = (t: number) => Math.min(1, Math.max(-1, t));
    const mask = new Uint8Array(2);
    v.forEach((t, e) => (mask[e >> 3] |= t >= -1 && t <= 1 ? 1 << (e & 7) : 0));
    const g = Float32Array.from(v, (_, e) => e + 1);
    clampF32Bwd(v.length, g, mask);
    const h = 1e-4;
    v.forEach((t, e) => expect(g[e]).toBeCloseTo(((clamp(t + h) - clamp(t - h)) / (2 * h)) * (e + 1), 6));
  });
  it('residual add: each branch gets the masked output gradient, accumulated or stored', () => {
    const gOut = Float32Array.from([0.5, -1, 2, 3]);
    const mask = Uint8Array.from([0b1011]);
    const gIn = Float32Array.from([1, 1, 1, 1]);
    addF32BwdInput(4, gOut, mask, gIn, true);
    expect(Array.from(gIn)).toEqual([1.5, 0, 1, 4]);
    addF32BwdInput(4, gOut, mask, gIn, false);
    expect(Array.from(gIn)).toEqual([0.5, -1, 0, 3]);
  });
  it('average pool: d mean / d x = 1 / (h*w), and accumulate adds', () => {
    const h = 3;
    const w = 2;
    const c = 2;
    const gOut = Float32Array.from([0.6, -1.2]);
    const gIn = new Float32Array(h * w * c).fill(0.25);
    avgpoolF32BwdInput(h, w, c, gOut, gIn, 1);
    for (let p = 0; p < h * w; p++) {
      expect(gIn[p * c]).toBeCloseTo(0.25 + 0.6 / 6, 6);
      expect(gIn[p * c + 1]).toBeCloseTo(0.25 - 1.2 / 6, 6);
    }
  });
});

describe('typed-array views of one arena', () => {
  it('depthwise input gradient on subarray views equals the result on standalone arrays', () => {
    const l = makeLayer('depthwise', seeded(3), 5, 3, 0, 3, 2);
    const arena = new ArrayBuffer(4096);
    const g = new Float32Array(arena, 64, l.g.length);
    g.set(l.g);
    const ws = new Float32Array(arena, 1024, l.ws.length);
    ws.set(l.ws);
    const w = new Int8Array(arena, 1100, l.wq.length);
    w.set(l.wq);
    const gIn = new Float32Array(arena, 2048, 75);
    depthwiseF32BwdInput(l.shape, g, w, ws, gIn, 0);
    const ref = new Float32Array(75);
    depthwiseF32BwdInput(l.shape, l.g, l.wq, l.ws, ref, 0);
    expect(gIn).toEqual(ref);
  });
});
