/**
 * Every backward, update and fused kernel on every backend (WebAssembly SIMD, WebAssembly scalar, sanitized
 * native C) against the TypeScript reference, bit for bit: float32 gradients, int8 / int32 weights and the rng
 * state, on seeded random shapes (kernels-backward.cases.ts). Inputs must come back unchanged too.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBackends, type CallResult, type KernelBackend, type TypedArray } from './kernel-harness';
import { elementwiseCases, fusedCases, gradientCases, seeded, updateCases, type Case } from './kernels-backward.cases';

const bytes = (t: TypedArray) => new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
const isTyped = (a: unknown): a is TypedArray => ArrayBuffer.isView(a);

/** The reference's outputs: copies of the typed-array arguments after the reference ran on them. */
function expected(c: Case): TypedArray[] {
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

function check(backend: string, c: Case, res: CallResult): void {
  const want = expected(c);
  want.forEach((w, j) => {
    if (c.ignore?.includes(j)) return;
    const at = firstDiff(res.outs[j], w);
    expect(at, `${backend} ${c.name}: argument ${j} differs at ${at}: got ${res.outs[j][at]}, want ${w[at]}`).toBe(-1);
  });
}

const groups: [string, Case[]][] = [
  ['elementwise and bias', elementwiseCases(seeded(1))],
  ['input and weight gradients', gradientCases(seeded(2))],
  ['updates', updateCases(seeded(3))],
  ['fused gradient + update', fusedCases(seeded(4))],
];

describe('backward kernels on every backend vs the TypeScript reference', () => {
  let backends: KernelBackend[] = [];
  beforeAll(async () => {
    backends = await loadBackends();
  }, 120_000);

  it('loads the three backends', () => {
    expect(backends.map((b) => b.name)).toEqual(['wasm-simd', 'wasm-scalar', 'native']);
  });

  for (const [title, cases] of groups) {
    it(`${title}: ${cases.length} cases bit-exact`, () => {
      for (const b of backends) {
        const results = b.run(cases.map((c) => ({ fn: c.fn, args: c.args })));
        cases.forEach((c, j) => check(b.name, c, results[j]));
      }
    }, 60_000);
  }

  it('the random cases exercise what they claim: weights move, rng advances, gradients are non-zero', () => {
    for (const c of groups[3][1]) {
      const [res] = backends[0].run([{ fn: c.fn, args: c.args }]);
      const before = c.args.filter(isTyped);
      const wAt = c.fn === 'tt_fc_bwd_update_s8' ? 3 : 4; // typed arguments: [shape,] g_out, in, gscale, w, rng, scratch
      expect(firstDiff(res.outs[wAt], before[wAt]), `${c.name}: no weight moved`).not.toBe(-1);
    }
    for (const c of groups[1][1]) {
      const want = expected(c);
      const g = want[want.length - 1] as Float32Array; // g_in or g_w
      expect(
        g.some((v) => v !== 0),
        `${c.name}: all-zero gradient`,
      ).toBe(true);
    }
  });
});
