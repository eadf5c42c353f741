import { describe, expect, it } from 'vitest';
import { BWD_UPDATE_KINDS, isKind, opsOf } from '../ir/graph';
import { compile } from '../compile';
import { createState, evaluate, trainedParams, trainStep } from '../interpret';
import { verify } from '../ir/verify';
import { Rounding } from '../kernel-abi';
import { mulberry32 } from '../models/init';
import { buildModel } from '../models/model';
import { buildForwardGraph } from '../forward';
import { DEFAULT_OPTIONS, inferencePasses, runPasses, trainingGraph } from '../pipeline';
import { concatChannelsS8 } from '../reference/forward';
import { emptyScheme, parseScheme, RATIOS, updatedChannels } from '../scheme/scheme';
import { checkPlan } from '../testing/check-plan';
import { randomImage } from '../testing/gradients';
import { splitChannels, splitWeights } from './split';

const m = buildModel({ model: 'tiny-cnn', classes: 4 });
const TEXT = 'w:2@1,3@1/8,4@1/2,5@1/4;bias:2';

describe('split-weights', () => {
  it('splits partially updated pointwise weights only', () => {
    const k = (i: number, r: number) => splitChannels(m.convs[i], r);
    expect([k(3, 1 / 8), k(5, 1 / 4), k(5, 1 / 2)]).toEqual([2, 8, 16]);
    expect([k(3, 1), k(3, 0), k(4, 1 / 2), k(0, 1)]).toEqual([0, 0, 0, 0]); // whole, frozen, depthwise, conv
  });

  it('head and tail join back into the model weight', () => {
    const pass = splitWeights(m, parseScheme(TEXT, m));
    expect([...pass.parts.values()].map((p) => p.layer.index)).toEqual([3, 5]);
    for (const p of pass.parts.values()) {
      const { outC, inC } = p.layer;
      expect([p.head.length, p.tail.length]).toEqual([outC * p.k, outC * (inC - p.k)]);
      const joined = new Int8Array(outC * inC);
      concatChannelsS8(outC, p.k, inC - p.k, p.head, p.tail, joined);
      expect(joined).toEqual(p.layer.weight);
    }
  });

  it.each([true, false])('reorder %s: only concat ops read the halves, updates write the head', (reorder) => {
    const { training: g } = trainingGraph(m, parseScheme(TEXT, m), { reorder }, (x) => verify(x));
    const names = (ids: number[]) => ids.map((t) => g.tensors[t].name);
    for (const i of [3, 5]) {
      const w = m.convs[i].weight;
      expect(g.ops.some((o) => o.inputs.some((t) => g.tensors[t].data === w))).toBe(false);
      const joins = g.ops.filter((o) => o.kind === 'concat_channels' && o.layer === i);
      expect(joins.map((o) => o.phase)).toEqual(['forward', 'backward']);
      const name = `${m.convs[i].name}.weight`;
      for (const o of joins) expect(names(o.inputs)).toEqual([`${name}.head`, `${name}.tail`]);
      const readers = g.ops.filter((o) => o.inputs.some((t) => g.tensors[t].name.startsWith(`${name}.`)));
      const upd = readers.filter((o) => o.phase === 'update');
      expect(readers.length).toBe(joins.length + 1);
      expect(upd.length).toBe(1);
      const k = m.convs[i].inC * (i === 3 ? 1 / 8 : 1 / 4);
      const u = upd[0];
      if (reorder) expect(isKind(u, BWD_UPDATE_KINDS) && u.attrs.shape.inC).toBe(k);
      else expect(u.kind === 'update_s8' && u.attrs.update.rowStride).toBe(k);
    }
  });

  it('inference graph: a fused block reads its split weight from the assembled copy', () => {
    const split = splitWeights(m, parseScheme(TEXT, m));
    const g = verify(split.run(runPasses(buildForwardGraph(m), inferencePasses(m, DEFAULT_OPTIONS))));
    const chain = opsOf(g, ['fused_chain']).find((o) => o.attrs.stages.some((st) => st.layer === 3))!;
    const stage = chain.attrs.stages.find((st) => st.layer === 3)!;
    expect(g.tensors[stage.w].name).toBe('assembled:blocks.1.pw1.weight');
    expect(chain.inputs).toContain(stage.w);
    // blocks.1 holds both split weights (pw1 = conv 3, pw2 = conv 5): both are assembled right before the chain
    const at = g.ops.indexOf(chain);
    expect(g.ops.slice(at - 2, at).map((o) => [o.kind, o.phase, o.layer])).toEqual([
      ['concat_channels', 'forward', 3],
      ['concat_channels', 'forward', 5],
    ]);
    expect(g.ops[at - 2].outputs).toEqual([stage.w]);
  });

  it('random schemes: split and whole-tensor plans train to the same bits', () => {
    let splitSeen = 0;
    for (let seed = 1; seed <= 24; seed++) {
      const r = mulberry32(seed * 977);
      const s = emptyScheme(m);
      m.convs.forEach((c, i) => {
        s.bias[i] = r() < 0.3;
        const ratio = RATIOS[Math.floor(r() * RATIOS.length)];
        if (r() < 0.5 && Number.isInteger(updatedChannels(c, ratio))) s.weight[i] = ratio;
      });
      const o = { reorder: seed % 2 === 0, fusion: seed % 3 !== 0 };
      const plans = [compile(m, s, { ...o, split: true }), compile(m, s, { ...o, split: false })];
      splitSeen += plans[0].splitWeights.length;
      const states = plans.map((p) => {
        expect(checkPlan(p)).toEqual([]);
        return createState(p, seed);
      });
      for (let step = 0; step < 2; step++) {
        const image = randomImage(32 * 32 * 3, seed * 10 + step);
        const run = { lr: 0.05, rounding: Rounding.stochastic, qas: true, label: (seed + step) % 4 };
        const [a, b] = plans.map((p, i) => trainStep(p, states[i], image, run));
        expect(a.loss).toBe(b.loss);
        const [ea, eb] = plans.map((p, i) => evaluate(p, states[i], image, 1));
        expect(Array.from(ea.logits)).toEqual(Array.from(eb.logits));
      }
      expect(trainedParams(plans[0], states[0])).toEqual(trainedParams(plans[1], states[1]));
      expect(states[0].rng.state).toBe(states[1].rng.state);
    }
    expect(splitSeen).toBeGreaterThan(10);
  });
});
