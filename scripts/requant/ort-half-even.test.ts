/**
 * onnxruntime-web (1.30, wasm, in Node) against our float-half-even requantization on QLinearConv
 * (qlinearconv_ties.onnx, made by make_ties_fixture.py): on 100 seeded int8 inputs ORT's int8 outputs equal the
 * reference conv and the WebAssembly kernel in the half-even mode bit for bit, with multipliers computed as ORT does
 * (f32(f32(s_x s_W) / s_y), onnxMultipliers). The tie layer's exact power-of-two multipliers put many accumulators
 * on .5: ORT rounds them to even, and the default half-away mode disagrees there, which the test counts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CONV_SHAPE_FIELDS,
  QUANT_FIELDS,
  Requant,
  structWords,
  type ConvShape,
  type Quant,
} from '../../src/compiler/kernel-abi';
import { mulberry32 } from '../../src/compiler/models/init';
import { onnxMultipliers } from '../../src/compiler/quant';
import { convS8 } from '../../src/compiler/reference/forward';
import { loadWasm, paths, wasmBackend, type KernelBackend } from '../../src/runtime/testing/kernel-harness';

ort.env.wasm.numThreads = 1;
const dir = join(paths.root, 'scripts', 'requant');
const facts = JSON.parse(readFileSync(join(dir, 'qlinearconv_ties.json'), 'utf8')) as Record<string, number[]>;
const [C, H, W] = [3, 6, 6];

/** One QLinearConv of the fixture as our kernel's arguments: HWC shape, [o][ky][kx][i] weights, half-even quant. */
function layer(w: string, b: string, y: string, outC: number) {
  const shape: ConvShape = {
    inH: H,
    inW: W,
    inC: C,
    outH: H,
    outW: W,
    outC,
    kernel: 3,
    stride: 1,
    pad: 1,
    kernelW: 3,
    strideW: 1,
    padLeft: 1,
    inRing: H,
    outRing: H,
  };
  const src = facts[w];
  const weight = new Int8Array(outC * 9 * C);
  for (let o = 0; o < outC; o++)
    for (let i = 0; i < C; i++) for (let k = 0; k < 9; k++) weight[(o * 9 + k) * C + i] = src[(o * C + i) * 9 + k];
  const q: Quant = {
    inZp: facts.x_z[0],
    outZp: facts[`${y}_z`][0],
    actMin: -128,
    actMax: 127,
    requant: Requant['float-half-even'],
  };
  const mult = onnxMultipliers(facts.x_s[0], facts[`${w}_s`], facts[`${y}_s`][0]);
  return { shape, weight, bias: Int32Array.from(facts[b]), q, mult };
}
const LAYERS = { y_ties: layer('wt', 'bt', 'yt', 5), y_any: layer('wa', 'ba', 'ya', 4) };

const toHwc = (x: Int8Array, c: number) =>
  Int8Array.from({ length: x.length }, (_, e) => x[(e % c) * H * W + Math.floor(e / c)]);

describe('onnxruntime-web QLinearConv vs the float-half-even mode', () => {
  let session: ort.InferenceSession;
  let wasm: KernelBackend;
  beforeAll(async () => {
    session = await ort.InferenceSession.create(readFileSync(join(dir, 'qlinearconv_ties.onnx')), {
      executionProviders: ['wasm'],
    });
    wasm = wasmBackend('wasm-simd', await loadWasm(paths.wasmSimd));
  }, 60_000);

  it('agrees bit for bit on 100 inputs; ties exist and ORT rounds them to even', async () => {
    const rand = mulberry32(11);
    let compared = 0;
    let halfAwayDiffers = 0;
    for (let n = 0; n < 100; n++) {
      const range = n % 2 ? 127 : 12; // small inputs keep the tie layer off the clamp
      const nchw = Int8Array.from({ length: C * H * W }, () => Math.round((rand() * 2 - 1) * range));
      const out = await session.run({ x: new ort.Tensor('int8', nchw, [1, C, H, W]) });
      const x = toHwc(nchw, C);
      for (const [name, l] of Object.entries(LAYERS)) {
        const want = toHwc(out[name].data as Int8Array, l.shape.outC);
        const ours = new Int8Array(want.length);
        convS8(l.shape, l.q, x, l.weight, l.bias, l.mult, ours, null, 0, H);
        expect(Array.from(ours), `${name} input ${n}`).toEqual(Array.from(want));
        const [res] = wasm.run([
          {
            fn: 'tt_conv_s8',
            args: [
              structWords(CONV_SHAPE_FIELDS, l.shape),
              structWords(QUANT_FIELDS, l.q),
              x,
              l.weight,
              l.bias,
              l.mult,
              new Int8Array(want.length),
              null,
              { i32: 0 },
              { i32: H },
            ],
          },
        ]);
        expect(Array.from(res.outs[6]), `wasm ${name} input ${n}`).toEqual(Array.from(want));
        const away = new Int8Array(want.length);
        convS8(l.shape, { ...l.q, requant: Requant['float-half-away'] }, x, l.weight, l.bias, l.mult, away, null, 0, H);
        halfAwayDiffers += away.filter((v, e) => v !== want[e]).length;
        compared += want.length;
      }
    }
    expect(compared).toBe(100 * (5 + 4) * H * W);
    expect(halfAwayDiffers).toBeGreaterThan(100); // ties decided differently by half away from zero
  }, 60_000);
});
