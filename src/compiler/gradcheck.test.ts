/**
 * Gradients of compiled plans, run through the interpreter on the reference kernels, against central finite
 * differences of the linearized straight-through surrogate (testing/surrogate.ts) on the small CNN.
 */
import { describe, expect, it } from 'vitest';
import { compile } from './compile';
import { buildForwardGraph } from './forward';
import { buildModel } from './models/model';
import { parseScheme } from './scheme/scheme';
import { checkPlan } from './testing/check-plan';
import { captureGradients, randomImage } from './testing/gradients';
import { forwardSnapshot, realParams, surrogateLoss } from './testing/surrogate';

const m = buildModel({ model: 'tiny-cnn', classes: 4, resolution: 16, seed: 3 });
const fwd = buildForwardGraph(m);
const image = randomImage(16 * 16 * 3, 11);
const label = 2;
const snap = forwardSnapshot(fwd, image);
const base = realParams(fwd, m);
const paramId = new Map(
  fwd.tensors.filter((t) => t.data && (t.varType === 'weight' || t.varType === 'bias')).map((t) => [t.name, t.id]),
);

/** Element of the full param tensor behind gradient element e of a k-channel gradient (rows of k columns). */
function paramIndex(name: string, e: number, gradLength: number): number {
  const layer = name.replace(/\.(weight|bias)$/, '');
  const l = layer === 'classifier' ? m.classifier : m.convs.find((c) => c.name === layer)!;
  if (name.endsWith('.bias')) return e;
  const full = l.kind === 'depthwise' ? l.outC : l.inC;
  const rows = l.weight.length / full;
  const k = gradLength / rows;
  return Math.floor(e / k) * full + (e % k);
}

function finiteDifference(id: number, at: number, h: number): number {
  const p = base.get(id)!;
  const plus = p.slice();
  const minus = p.slice();
  plus[at] += h;
  minus[at] -= h;
  return (
    (surrogateLoss(fwd, snap, base, new Map([[id, plus]]), label) -
      surrogateLoss(fwd, snap, base, new Map([[id, minus]]), label)) /
    (2 * h)
  );
}

const SCHEMES = ['full', 'bias-only', 'last:3', 'w:0@1,4@1/4,7@1/2;bias=1,2,8', 'w:2@1/2,6@1/8;bias:5', 'classifier'];

describe('gradients of compiled plans match finite differences (tiny-cnn, 16x16)', () => {
  it('the surrogate reproduces the plan forward loss at the base point', () => {
    const plan = compile(m, 'full', { reorder: false });
    const { loss } = captureGradients(plan, image, label);
    expect(Math.abs(surrogateLoss(fwd, snap, base, new Map(), label) - loss)).toBeLessThan(1e-5 * Math.max(1, loss));
  });

  it.each(SCHEMES)('scheme %s', (text) => {
    const scheme = parseScheme(text, m);
    const plan = compile(m, scheme, { reorder: false });
    expect(checkPlan(plan)).toEqual([]);
    const { grads } = captureGradients(plan, image, label);
    const expected = 2 + scheme.bias.filter(Boolean).length + scheme.weight.filter((r) => r > 0).length;
    expect(grads.size).toBe(expected);
    let checked = 0;
    for (const [name, g] of grads) {
      const id = paramId.get(name)!;
      let top = 0;
      g.forEach((v, e) => Math.abs(v) > Math.abs(g[top]) && (top = e));
      const picks = new Set([top, 0, g.length - 1, Math.floor(g.length / 3), Math.floor((2 * g.length) / 3)]);
      const scale = Math.abs(g[top]);
      for (const e of picks) {
        const fd = finiteDifference(id, paramIndex(name, e, g.length), 1e-4);
        expect(Math.abs(fd - g[e]), `${name}[${e}]: plan ${g[e]}, finite difference ${fd}`).toBeLessThan(
          1e-4 * scale + 1e-3 * Math.abs(fd) + 1e-7,
        );
        checked++;
      }
      expect(scale, `${name} has a non-zero gradient`).toBeGreaterThan(0);
    }
    expect(checked).toBeGreaterThan(0);
  });
});

describe('a sparse plan computes exactly the full plan gradient entries it needs', () => {
  const full = captureGradients(compile(m, 'full', { reorder: false }), image, label).grads;
  it.each(['w:0@1,4@1/4,7@1/2;bias=1,2,8', 'w:2@1/2,6@1/8;bias:5', 'last:3', 'bias-only', 'w:3@1/8;bias=3'])(
    '%s',
    (text) => {
      const plan = compile(m, text, { reorder: false });
      expect(checkPlan(plan)).toEqual([]);
      const sparse = captureGradients(plan, image, label).grads;
      expect(sparse.size).toBeGreaterThan(2);
      for (const [name, g] of sparse) {
        const f = full.get(name)!;
        const expected = Float32Array.from(g, (_, e) => f[paramIndex(name, e, g.length)]);
        expect(Array.from(g), name).toEqual(Array.from(expected));
      }
    },
  );
});
