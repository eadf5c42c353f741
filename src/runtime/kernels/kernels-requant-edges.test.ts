/**
 * The float requantization at its edges (kernels-requant-edges.cases.ts), on every backend against the TypeScript
 * reference, bit for bit: outputs, masks, and inputs unchanged.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Requant } from '../../compiler/kernel-abi';
import { loadBackends, type KernelBackend, type TypedArray } from '../testing/kernel-harness';
import { requantEdgeCases } from '../testing/kernels-requant-edges.cases';

const bytes = (t: TypedArray) => new Uint8Array(t.buffer, t.byteOffset, t.byteLength);

describe('float requantization edges vs the TypeScript reference', () => {
  let backends: KernelBackend[] = [];
  beforeAll(async () => {
    backends = await loadBackends();
  }, 120_000);

  for (const [mode, requant] of [
    ['float-half-away', Requant['float-half-away']],
    ['float-half-even', Requant['float-half-even']],
  ] as const) {
    it(`${mode}: pointwise, conv and fc bit-exact on every backend`, () => {
      const cs = requantEdgeCases(requant);
      expect(backends.length).toBeGreaterThanOrEqual(2);
      for (const b of backends) {
        const results = b.run(cs.map((c) => ({ fn: c.fn, args: c.args })));
        cs.forEach((c, j) => {
          const want = c.args.filter((a): a is TypedArray => ArrayBuffer.isView(a)).map((a) => a.slice());
          c.ref(want);
          want.forEach((wv, k) => {
            const [x, y] = [bytes(results[j].outs[k]), bytes(wv)];
            const at = x.findIndex((v, i) => v !== y[i]);
            expect(at, `${b.name} ${c.name}: argument ${k} differs at byte ${at}: got ${x[at]}, want ${y[at]}`).toBe(
              -1,
            );
          });
        });
      }
    }, 60_000);
  }
});
