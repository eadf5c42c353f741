/**
 * The forward kernels in the tflite-fixed, float-half-even and tflite-xnnpack requantization modes on every backend (WebAssembly
 * SIMD and scalar, sanitized and -O3 native C) against the TypeScript reference, bit for bit: outputs, masks, and
 * inputs unchanged (kernels-requant.cases.ts). The default mode is covered by kernels-forward.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Requant } from '../../compiler/kernel-abi';
import { loadBackends, type CallResult, type KernelBackend, type TypedArray } from '../testing/kernel-harness';
import { seeded } from '../testing/kernels-backward.cases';
import type { FwdCase } from '../testing/kernels-forward.cases';
import { requantLayerCases, requantVectorCases, xnnpackAddCases } from '../testing/kernels-requant.cases';

const bytes = (t: TypedArray) => new Uint8Array(t.buffer, t.byteOffset, t.byteLength);

function check(backend: string, c: FwdCase, res: CallResult): void {
  const want = c.args.filter((a): a is TypedArray => ArrayBuffer.isView(a)).map((a) => a.slice());
  c.ref(want);
  want.forEach((w, j) => {
    const [x, y] = [bytes(res.outs[j]), bytes(w)];
    const at = x.findIndex((v, i) => v !== y[i]);
    expect(at, `${backend} ${c.name}: argument ${j} differs at byte ${at}: got ${x[at]}, want ${y[at]}`).toBe(-1);
  });
}

const groups: [string, FwdCase[]][] = [
  ['tflite-fixed layers', requantLayerCases(seeded(31), Requant['tflite-fixed'], 8)],
  ['tflite-fixed fc, add, mean', requantVectorCases(seeded(32), Requant['tflite-fixed'])],
  ['float-half-even layers', requantLayerCases(seeded(33), Requant['float-half-even'], 8)],
  ['float-half-even fc, add, mean', requantVectorCases(seeded(34), Requant['float-half-even'])],
  ['tflite-xnnpack add', xnnpackAddCases(seeded(35))],
];

describe('forward kernels in every requantization mode vs the TypeScript reference', () => {
  let backends: KernelBackend[] = [];
  beforeAll(async () => {
    backends = await loadBackends();
  }, 120_000);

  for (const [title, cases] of groups) {
    it(`${title}: ${cases.length} cases bit-exact on every backend`, () => {
      expect(backends.length).toBeGreaterThanOrEqual(2);
      for (const b of backends) {
        const results = b.run(cases.map((c) => ({ fn: c.fn, args: c.args })));
        cases.forEach((c, j) => check(b.name, c, results[j]));
      }
    }, 60_000);
  }
});
