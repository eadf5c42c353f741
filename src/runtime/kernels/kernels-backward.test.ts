/**
 * Every backward, update and fused kernel on every backend (WebAssembly SIMD, WebAssembly scalar, sanitized
 * and -O3 native C) against the TypeScript reference, bit for bit: float32 gradients, int8 / int32 weights and the rng
 * state, on seeded random shapes (kernels-backward.cases.ts). Inputs must come back unchanged too.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBackends, type CallResult, type KernelBackend, type TypedArray } from '../testing/kernel-harness';
import { poolGradientCases } from '../testing/kernels-pool.cases';
import {
  convGradientCases,
  depthwiseWideCases,
  elementwiseCases,
  fcGradientCases,
  fusedCases,
  seeded,
  updateCases,
  type Case,
} from '../testing/kernels-backward.cases';

const bytes = (t: TypedArray) => new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
const isTyped = (a: unknown): a is TypedArray => ArrayBuffer.isView(a);

/** The reference's outputs: copies of the typed-array arguments after the reference ran on them. */
function expected(c: Case): TypedArray[] {
  const typed = c.args.filter(isTyped);
  const copies = new Map<TypedArray, TypedArray>(typed.map((a) => [a, a.slice()]));
  c.ref(<T extends TypedArray>(a: T): T => {
    const copy = copies.get(a);
    if (!copy) throw new Error(`${c.name}: the reference used an array that is not an argument`);
    return copy as T;
  });
  return typed.map((a) => copies.get(a)!);
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
  const typed = c.args.filter(isTyped);
  want.forEach((w, j) => {
    if (c.ignore?.includes(typed[j])) return;
    const at = firstDiff(res.outs[j], w);
    expect(at, `${backend} ${c.name}: argument ${j} differs at ${at}: got ${res.outs[j][at]}, want ${w[at]}`).toBe(-1);
  });
}

const groups: [string, Case[]][] = [
  ['elementwise and bias', elementwiseCases(seeded(1))],
  ['conv-family gradients', convGradientCases(seeded(2))],
  ['fc gradients', fcGradientCases(seeded(5))],
  ['updates', updateCases(seeded(3))],
  ['fused gradient + update', fusedCases(seeded(4))],
  ['windowed pools and pad', poolGradientCases(seeded(6), 40)],
  ['depthwise wide rows (SIMD register tiles)', depthwiseWideCases(seeded(7))],
];

describe('backward kernels on every backend vs the TypeScript reference', () => {
  let backends: KernelBackend[] = [];
  beforeAll(async () => {
    backends = await loadBackends();
  }, 120_000);

  it('loads the four backends', () => {
    expect(backends.map((b) => b.name)).toEqual(['wasm-simd', 'wasm-scalar', 'native', 'native-O3']);
  });

  for (const [title, cases] of groups) {
    it(`${title}: ${cases.length} cases bit-exact`, () => {
      for (const b of backends) {
        const results = b.run(cases.map((c) => ({ fn: c.fn, args: c.args })));
        cases.forEach((c, j) => check(b.name, c, results[j]));
      }
    }, 60_000);
  }

  it('the random cases exercise what they claim: weights move and gradients are non-zero', () => {
    const fused = groups[4][1];
    const results = backends[0].run(fused.map((c) => ({ fn: c.fn, args: c.args })));
    let rangesMoved = 0;
    fused.forEach((c, j) => {
      const before = c.args.filter(isTyped);
      // The int8 arguments are the saved input (checked unchanged above) and the weights: one must move.
      const moved = results[j].outs.some((o, a) => o instanceof Int8Array && firstDiff(o, before[a]) !== -1);
      // a thread's channel range may hold one channel of two weights that rounding keeps: count those together
      if (c.fn.endsWith('_range')) rangesMoved += moved ? 1 : 0;
      else expect(moved, `${c.name}: no weight moved`).toBe(true);
    });
    expect(rangesMoved, 'channel-range updates that moved a weight').toBeGreaterThanOrEqual(4);
    for (const c of [...groups[1][1], ...groups[2][1]]) {
      const want = expected(c);
      const g = want[want.length - 1]; // g_in or g_w
      expect(
        g.some((v) => v !== 0),
        `${c.name}: all-zero gradient`,
      ).toBe(true);
    }
  });
});
