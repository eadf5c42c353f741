import { describe, expect, it } from 'vitest';
import { compile, compileWithGraph } from './compile';
import { graphToJson, dumpGraph } from './ir/dump';
import { verify } from './ir/verify';
import { createState, evaluate, trainStep } from './interpret';
import { Rounding } from './kernel-abi';
import { buildModel, type Model } from './models/model';
import { trainingGraph } from './pipeline';
import { paperBudgets } from './scheme/paper';
import { parseScheme, SchemeError } from './scheme/scheme';
import { checkPlan } from './testing/check-plan';
import { randomImage } from './testing/gradients';

const backbones = ['mcunet-5fps', 'mbv2-w0.35', 'proxyless-w0.3'].map((model) =>
  buildModel({ model, classes: 10, resolution: 64 }),
);
const tiny = buildModel({ model: 'tiny-cnn', classes: 4 });
const OPTIONS = [
  { reorder: true, fusion: true },
  { reorder: false, fusion: true },
  { reorder: true, fusion: false },
  { reorder: false, fusion: false },
];

function schemesOf(m: Model): string[] {
  return ['full', 'bias-only', 'classifier', 'last:5', ...paperBudgets(m.name).map((b) => `paper:${b}`)];
}

describe('compile: every backbone, scheme and option', () => {
  const cases = backbones.flatMap((m) => schemesOf(m).map((s) => [m.name, s, m] as const));
  it.each(cases)('%s %s: graphs verify after every pass, plans are sound', (_n, text, m) => {
    for (const o of OPTIONS) {
      trainingGraph(m, parseScheme(text, m), o, (g, pass) => {
        expect(() => verify(g), `after ${pass.name}`).not.toThrow();
      });
      const plan = compile(m, text, o);
      expect(checkPlan(plan)).toEqual([]);
      const mt = plan.metrics;
      expect(mt.peakSramBytes).toBe(mt.arenaBytes + mt.trainableSramBytes);
      const constBytes = plan.consts.reduce((s, c) => s + c.data.byteLength, 0);
      expect(mt.flashBytes + mt.trainableSramBytes - 4).toBe(constBytes);
      expect(Math.max(...plan.timeline.map((t) => t.total))).toBeLessThanOrEqual(mt.peakSramBytes);
      expect(plan.scheme).toBe(text === 'last:5' || text.startsWith('paper') ? text : plan.scheme);
    }
  });

  it('counts exactly the updated tensors as trainable SRAM', () => {
    const m = backbones[0];
    const plan = compile(m, 'paper:99kb');
    const s = parseScheme('paper:99kb', m);
    const want = m.convs.reduce(
      (t, c, i) => t + (s.weight[i] > 0 ? c.weight.byteLength : 0) + (s.bias[i] ? c.bias.byteLength : 0),
      0,
    );
    expect(plan.metrics.trainableSramBytes).toBe(
      want + m.classifier.weight.byteLength + m.classifier.bias.byteLength + 4,
    );
    expect(plan.consts.filter((c) => c.storage === 'sram').length).toBe(
      s.weight.filter((r) => r > 0).length + s.bias.filter(Boolean).length + 2,
    );
  });

  it('fuses the frozen prefix: the expanded tensor of mcunet block 1 never exists in the arena', () => {
    const m = buildModel({ model: 'mcunet-5fps', classes: 10, resolution: 128 });
    const fused = compile(m, 'paper:49kb');
    const plain = compile(m, 'paper:49kb', { fusion: false });
    const expanded = 64 * 64 * 32;
    expect(plain.buffers.some((b) => b.bytes === expanded)).toBe(true);
    expect(fused.buffers.some((b) => b.bytes >= expanded)).toBe(false);
    expect(fused.metrics.fusedBlocks).toBeGreaterThan(5);
    expect(fused.metrics.arenaBytes).toBeLessThan(plain.metrics.arenaBytes);
    expect(checkPlan(fused)).toEqual([]);
  });

  it('rejects impossible schemes with the layer named', () => {
    expect(() => compile(backbones[0], 'w:0@1/8')).toThrow(SchemeError);
    expect(() => compile(backbones[0], 'w:0@1/8')).toThrow(/conv 0 \(first_conv\)/);
  });

  it('exports the pruned training graph as JSON and text', () => {
    const { graph } = compileWithGraph(tiny, 'w:5@1/2;bias:3');
    const json = JSON.parse(JSON.stringify(graphToJson(graph)));
    expect(json.ops.length).toBe(graph.ops.length);
    const upd = json.ops.find((o: { type: string }) => o.type === 'pointwise_bwd_update');
    expect(upd.inputs.map((i: { var_type: string }) => i.var_type)).toEqual([
      'gradient',
      'activation',
      'const',
      'const',
      'trainable_weight',
    ]);
    expect(upd.inputs[1].shape).toEqual([8, 8, 16]);
    expect(dumpGraph(graph).split('\n').length).toBe(graph.ops.length + 1);
  });
});

describe('compiled plans run on the reference kernels', () => {
  const image = randomImage(32 * 32 * 3, 9);
  const run = (text: string, o: object, rounding: 0 | 1 | 2 = Rounding.nearest, qas = true) => {
    const plan = compile(tiny, text, o);
    expect(checkPlan(plan)).toEqual([]);
    const st = createState(plan, 7);
    const r = trainStep(plan, st, image, { lr: 0.02, rounding, qas, label: 1 });
    return {
      plan,
      st,
      r,
      sram: plan.consts.flatMap((c, i) => (c.storage === 'sram' ? [Array.from(st.consts[i])] : [])),
    };
  };

  it.each(['full', 'w:5@1/2;bias:3', 'last:4', 'w:1@1/4,3@1/8;bias=0,4'])(
    'reordering and fusion change memory, not results (%s)',
    (text) => {
      for (const rounding of [Rounding.truncate, Rounding.nearest]) {
        const a = run(text, { reorder: true, fusion: true }, rounding);
        for (const o of OPTIONS.slice(1)) {
          const b = run(text, o, rounding);
          expect(b.r.loss).toBe(a.r.loss);
          expect(Array.from(b.r.logits)).toEqual(Array.from(a.r.logits));
          expect(b.sram).toEqual(a.sram);
        }
      }
    },
  );

  it('the inference sub-plan gives the training forward logits and loss', () => {
    const { plan, r } = run('full', {});
    const ev = evaluate(plan, createState(plan), image, 1);
    expect(Array.from(ev.logits)).toEqual(Array.from(r.logits));
    expect(ev.loss).toBe(r.loss);
  });

  it('training steps lower the loss of an example; QAS off takes a different step', () => {
    const plan = compile(tiny, 'full');
    const st = createState(plan);
    const losses = [0, 1, 2, 3, 4].map(
      () => trainStep(plan, st, image, { lr: 0.01, rounding: Rounding.nearest, qas: true, label: 3 }).loss,
    );
    expect(losses[4]).toBeLessThan(losses[0] * 0.8);
    const a = run('full', {}, Rounding.nearest, true);
    const b = run('full', {}, Rounding.nearest, false);
    expect(b.sram).not.toEqual(a.sram);
  });
});

describe('fused band execution on the backbones (k3/k5/k7 depthwise, stride 2, odd sizes, residual adds)', () => {
  it.each(['mcunet-5fps', 'mbv2-w0.35', 'proxyless-w0.3'])(
    '%s at 40x40: fused and plain inference give the same logits',
    (name) => {
      const m = buildModel({ model: name, classes: 6, resolution: 40 });
      const image = randomImage(40 * 40 * 3, 4);
      const fused = compile(m, 'paper:49kb');
      const plain = compile(m, 'paper:49kb', { fusion: false });
      expect(fused.metrics.fusedBlocks).toBeGreaterThan(3);
      expect(checkPlan(fused)).toEqual([]);
      const a = evaluate(fused, createState(fused), image, 2);
      const b = evaluate(plain, createState(plain), image, 2);
      expect(Array.from(a.logits)).toEqual(Array.from(b.logits));
      expect(a.loss).toBe(b.loss);
    },
  );
});
