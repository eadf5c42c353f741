import { describe, expect, it } from 'vitest';
import { opsOf } from './ir/graph';
import { compile, compileWithGraph } from './compile';
import { graphToJson, dumpGraph } from './ir/dump';
import { verify } from './ir/verify';
import { createState, evaluate, trainedParams, trainStep } from './interpret';
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
  { reorder: true, fusion: true, split: true },
  { reorder: false, fusion: true, split: true },
  { reorder: true, fusion: false, split: true },
  { reorder: false, fusion: false, split: true },
  { reorder: true, fusion: true, split: false },
  { reorder: false, fusion: false, split: false },
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
      // every scheme named here is already in canonical form
      expect(plan.scheme).toBe(text);
      // and it updates what its name says, counted from the model rather than from the parsed scheme
      const inSram = plan.consts.filter((c) => c.storage === 'sram').length;
      const convs = m.convs.length;
      const expected = { full: 2 * convs + 2, 'bias-only': convs + 2, classifier: 2 } as Record<string, number>;
      if (text in expected) expect(inSram, `${text} trainable tensors`).toBe(expected[text]);
    }
  });

  it.each([true, false])('counts exactly the updated tensors as trainable SRAM (split %s)', (split) => {
    const m = backbones[0];
    const plan = compile(m, 'paper:99kb', { split });
    const s = parseScheme('paper:99kb', m);
    // paper:99kb updates conv 36 at 1/8 and conv 39 at 1/4 (pointwise): split, only those columns are in SRAM.
    const weightBytes = (i: number) =>
      split && s.weight[i] < 1 ? m.convs[i].outC * m.convs[i].inC * s.weight[i] : m.convs[i].weight.byteLength;
    const want = m.convs.reduce(
      (t, c, i) => t + (s.weight[i] > 0 ? weightBytes(i) : 0) + (s.bias[i] ? c.bias.byteLength : 0),
      0,
    );
    expect(plan.metrics.trainableSramBytes).toBe(
      want + m.classifier.weight.byteLength + m.classifier.bias.byteLength + 4,
    );
    expect(plan.consts.filter((c) => c.storage === 'sram').length).toBe(
      s.weight.filter((r) => r > 0).length + s.bias.filter(Boolean).length + 2,
    );
    expect(plan.splitWeights.map((w) => [w.layer, w.k, w.cols])).toEqual(
      split
        ? [
            [36, 12, 96],
            [39, 24, 96],
          ]
        : [],
    );
    const tails = plan.splitWeights.reduce((t, w) => t + plan.consts[w.tail].data.byteLength, 0);
    expect(tails).toBe(split ? 576 * (96 - 24) + 384 * (96 - 12) : 0);
    for (const l of plan.layers) {
      expect(l.split).toBe(split && (l.index === 36 || l.index === 39));
      expect(l.sramWeightBytes).toBe(l.weightRatio > 0 ? (l.index < 0 ? l.weightBytes : weightBytes(l.index)) : 0);
    }
  });

  it('split weights: the head is trainable, the tail frozen; the assembled copy lives for one kernel call', () => {
    const m = backbones[0];
    const { plan, graph } = compileWithGraph(m, 'paper:99kb');
    const w = plan.splitWeights.find((x) => x.layer === 39)!;
    expect([plan.consts[w.head].storage, plan.consts[w.tail].storage]).toEqual(['sram', 'flash']);
    expect(plan.consts.some((c) => c.data === m.convs[39].weight)).toBe(false);
    for (const sub of [plan, plan.inference]) {
      const joins = sub.steps.flatMap((s, i) =>
        s.kernel === 'tt_concat_channels_s8' && s.op === 'blocks.13.pw1' ? [i] : [],
      );
      expect(joins.length).toBe(sub === plan ? 2 : 1); // training: forward + input gradient; inference: forward
      for (const i of joins) {
        const out = sub.steps[i].args[5] as { buffer: number };
        const b = sub.buffers[out.buffer];
        expect([b.category, b.bytes]).toEqual(['scratch', 576 * 96]);
        // training: the concat and its one reader; inference: the fused block's bands that read it
        expect(b.firstStep).toBe(i);
        if (sub === plan) expect(b.lastStep).toBe(i + 1);
        else expect(b.lastStep).toBeGreaterThan(i);
      }
    }
    const upd = opsOf(graph, ['pointwise_bwd_update']).find((o) => o.layer === 39)!;
    expect(upd.attrs.shape.inC).toBe(24);
    expect(graph.tensors[upd.inputs[4]].name).toBe('blocks.13.pw1.weight.head');
  });

  it('keeps weights whole where the assembled copy would cost more arena than the tails save', () => {
    // mcunet-5fps at 64x64, paper:148kb: conv 39 (96 -> 576) at 1/2 saves 27 KB of SRAM split, but its 54 KB
    // assembled copy during the input gradient raises the small arena by 40 KB.
    const m = backbones[0];
    const auto = compile(m, 'paper:148kb');
    const whole = compile(m, 'paper:148kb', { split: false });
    expect(auto.splitWeights).toEqual([]);
    expect(auto.options.split).toBe(true);
    expect(auto.metrics.peakSramBytes).toBe(whole.metrics.peakSramBytes);
    expect(auto.steps.some((s) => s.kernel === 'tt_concat_channels_s8')).toBe(false);
    expect(auto.layers.every((l) => !l.split)).toBe(true);
    // at 128x128 the arena is larger than the copy: split saves 25 KB
    const big = buildModel({ model: 'mcunet-5fps', classes: 10, resolution: 128 });
    const [a, b] = [compile(big, 'paper:148kb'), compile(big, 'paper:148kb', { split: false })];
    expect(a.splitWeights.map((w) => w.layer)).toEqual([39]);
    expect(b.metrics.peakSramBytes - a.metrics.peakSramBytes).toBeGreaterThan(20 * 1024);
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
    return { plan, st, r, sram: trainedParams(plan, st) };
  };

  it.each(['full', 'w:5@1/2;bias:3', 'last:4', 'w:1@1/4,3@1/8;bias=0,4', 'w:3@1/8,5@1/4,6@1/2;bias:2'])(
    'reordering, fusion and split weights change memory, not results (%s)',
    (text) => {
      for (const rounding of [Rounding.truncate, Rounding.nearest, Rounding.stochastic]) {
        const a = run(text, { reorder: true, fusion: true, split: true }, rounding);
        expect(a.sram.size).toBeGreaterThan(0);
        for (const o of OPTIONS.slice(1)) {
          const b = run(text, o, rounding);
          expect(b.r.loss).toBe(a.r.loss);
          expect(Array.from(b.r.logits)).toEqual(Array.from(a.r.logits));
          expect(b.sram).toEqual(a.sram);
          expect(b.st.rng.state).toBe(a.st.rng.state);
        }
      }
    },
  );

  it('a split plan keeps training and evaluating like the whole-tensor plan over several steps', () => {
    const text = 'w:3@1/8,5@1/4,6@1/2;bias:2';
    const plans = [compile(tiny, text), compile(tiny, text, { split: false })];
    expect(plans[0].splitWeights.length).toBeGreaterThan(0);
    expect(plans[0].metrics.trainableSramBytes).toBeLessThan(plans[1].metrics.trainableSramBytes);
    const states = plans.map((p) => createState(p, 3));
    for (let step = 0; step < 4; step++) {
      const o = { lr: 0.05, rounding: Rounding.stochastic, qas: true, label: step % 4 };
      const [a, b] = plans.map((p, i) => trainStep(p, states[i], randomImage(32 * 32 * 3, step), o));
      expect(a.loss).toBe(b.loss);
      const [ea, eb] = plans.map((p, i) => evaluate(p, states[i], image, 2));
      expect(ea.loss).toBe(eb.loss);
    }
    expect(trainedParams(plans[0], states[0])).toEqual(trainedParams(plans[1], states[1]));
  });

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
