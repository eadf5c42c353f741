/**
 * Every forward kernel on every backend (WebAssembly SIMD, WebAssembly scalar, sanitized and -O3 native C)
 * against the TypeScript reference, bit for bit: int8 outputs, clamp masks (including the bits a band must leave
 * alone), the softmax loss and gradient, expf / logf; inputs must come back unchanged (kernels-forward.cases.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBackends, type CallResult, type KernelBackend, type TypedArray } from '../testing/kernel-harness';
import { seeded } from '../testing/kernels-backward.cases';
import { expf, logf } from '../../compiler/reference/math';
import {
  columnCases,
  layerCases,
  mathCases,
  mcuCases,
  smallReductionCases,
  vectorCases,
  type FwdCase,
} from '../testing/kernels-forward.cases';
import { poolForwardCases } from '../testing/kernels-pool.cases';

const bytes = (t: TypedArray) => new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
const isTyped = (a: unknown): a is TypedArray => ArrayBuffer.isView(a);
const f32bits = (x: number) => new Uint32Array(Float32Array.of(x).buffer)[0];

/** The reference's outputs: copies of the typed-array arguments after the reference ran on them. */
function expected(c: FwdCase): TypedArray[] {
  const copies = c.args.filter(isTyped).map((a) => a.slice());
  c.ref(copies);
  return copies;
}

/** First element where two typed arrays differ in bits, or -1. */
function firstDiff(a: TypedArray, b: TypedArray): number {
  const [x, y] = [bytes(a), bytes(b)];
  if (x.length !== y.length) return 0;
  for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return Math.floor(j / a.BYTES_PER_ELEMENT);
  return -1;
}

function check(backend: string, c: FwdCase, res: CallResult): void {
  expected(c).forEach((w, j) => {
    const at = firstDiff(res.outs[j], w);
    expect(at, `${backend} ${c.name}: argument ${j} differs at ${at}: got ${res.outs[j][at]}, want ${w[at]}`).toBe(-1);
  });
  if (c.ret !== undefined)
    expect(f32bits(res.ret), `${backend} ${c.name}: returned ${res.ret}, want ${c.ret}`).toBe(f32bits(c.ret));
}

const groups: [string, FwdCase[]][] = [
  ['pointwise', layerCases(seeded(11), 'pointwise', 14)],
  ['depthwise', layerCases(seeded(12), 'depthwise', 14)],
  ['general conv', layerCases(seeded(13), 'conv', 12)],
  ['general conv, output channels in the lanes', smallReductionCases(seeded(18), 30)],
  ['MCU-sized layers and portable fallbacks', mcuCases(seeded(14))],
  ['column ranges (tt_depthwise_s8_cols, tt_conv_s8_cols)', columnCases(seeded(19), 24)],
  ['fc, add, avgpool, slice, concat', vectorCases(seeded(15))],
  ['softmax cross-entropy, expf, logf', mathCases(seeded(16))],
  ['windowed pools and pad', poolForwardCases(seeded(17), 40)],
];

describe('forward kernels on every backend vs the TypeScript reference', () => {
  let backends: KernelBackend[] = [];
  beforeAll(async () => {
    backends = await loadBackends();
  }, 120_000);

  for (const [title, cases] of groups) {
    it(`${title}: ${cases.length} cases bit-exact`, () => {
      for (const b of backends) {
        const results = b.run(cases.map((c) => ({ fn: c.fn, args: c.args })));
        cases.forEach((c, j) => check(b.name, c, results[j]));
      }
    }, 60_000);
  }

  it('expf and logf match the reference on 40,000 floats spread over the whole float32 range', () => {
    const xs = Array.from({ length: 20000 }, (_, i) => new Float32Array(Uint32Array.of(i * 214743 + 12345).buffer)[0]);
    const same = (a: number, b: number) => (Number.isNaN(a) && Number.isNaN(b)) || f32bits(a) === f32bits(b);
    for (const b of backends) {
      for (const [fn, ref] of [
        ['tt_expf', expf],
        ['tt_logf', logf],
      ] as const) {
        const res = b.run(xs.map((x) => ({ fn, args: [{ f32: x }] })));
        const bad = xs.findIndex((x, j) => !same(res[j].ret, ref(x)));
        expect(bad, `${b.name} ${fn}(${xs[bad]}) = ${res[bad]?.ret}, want ${ref(xs[bad])}`).toBe(-1);
      }
    }
  }, 60_000);

  it('the cases exercise what they claim: the clamp both passes and clips, outputs spread over the range', () => {
    for (const [title, cases] of groups.slice(0, 4)) {
      let [pass, clip] = [0, 0];
      const distinct = new Set<number>();
      for (const c of cases.filter((x) => /^(whole|mcu)/.test(x.name))) {
        const want = expected(c);
        const [, , , outH, outW, outC] = c.args[0] as Int32Array;
        (want[6] as Int8Array).forEach((v) => distinct.add(v));
        const mask = want[7] as Uint8Array;
        for (let e = 0; e < outH * outW * outC; e++) (mask[e >> 3] >> (e & 7)) & 1 ? pass++ : clip++;
      }
      expect(pass, title).toBeGreaterThan(clip / 10);
      expect(clip, title).toBeGreaterThan(pass / 100);
      expect(distinct.size, title).toBeGreaterThan(150);
    }
  });
});
