/**
 * Property test of pruning over random schemes, against an independent characterization of what an update
 * needs (PAPER-FACTS section 4), with e = the earliest conv whose weight or bias is updated:
 *   - conv L's output gradient (its clamp mask and clamp_bwd) exists iff e <= L;
 *   - conv L's input gradient (*_bwd_input) exists iff e < L (backprop stops at the earliest updated layer);
 *   - conv L's weight gradient exists iff its weight is updated, with k = ratio * channels; its bias gradient
 *     iff its bias is updated; the classifier always has both;
 *   - saved activations are exactly the inputs of weight-updated convs (sliced to k channels when partial);
 *   - a residual add passes gradient iff e is at or before its block's last conv;
 * and nothing else survives.
 */
import { describe, expect, it } from 'vitest';
import { layerKind } from '../layer-kinds';
import { mulberry32 } from '../models/init';
import { ARCHS, archShapes, type ModelName } from '../models/arch';
import { buildModel, type Model } from '../models/model';
import { trainingGraph } from '../pipeline';
import { emptyScheme, RATIOS, updatedChannels, type Ratio, type Scheme } from '../scheme/scheme';
import { verify } from '../ir/verify';
import { opsOf, SAVED_INPUT_KINDS, type Graph } from '../ir/graph';

function randomScheme(m: Model, seed: number): Scheme {
  const r = mulberry32(seed);
  const s = emptyScheme(m);
  const density = r();
  m.convs.forEach((c, i) => {
    s.bias[i] = r() < density * 0.6;
    const ratio = RATIOS[Math.floor(r() * RATIOS.length)] as Ratio;
    if (r() < density * 0.4 && Number.isInteger(updatedChannels(c, ratio))) s.weight[i] = ratio;
  });
  return s;
}

function checkPruned(m: Model, s: Scheme, g: Graph): void {
  const updated = m.convs.map((_, i) => s.bias[i] || s.weight[i] > 0);
  const e = updated.indexOf(true) < 0 ? m.convs.length : updated.indexOf(true);
  const count = (kind: string, layer: number) => g.ops.filter((o) => o.kind === kind && o.layer === layer).length;
  const seen = new Set<number>();
  const mark = (kinds: string[], layer: number | undefined, expected: boolean) => {
    const ops = g.ops.filter((o) => kinds.includes(o.kind) && o.layer === layer);
    expect(ops.length > 0, `${kinds[0]} of layer ${layer}`).toBe(expected);
    ops.forEach((o) => seen.add(o.id));
  };
  m.convs.forEach((c, L) => {
    const fwd = g.ops.find((o) => o.layer === L && o.kind === c.kind)!;
    expect(fwd.outputs.length > 1, `mask of conv ${L}`).toBe(e <= L);
    seen.add(fwd.id);
    mark(['clamp_bwd'], L, e <= L);
    expect(count('clamp_bwd', L)).toBe(e <= L ? 1 : 0);
    mark([`${c.kind}_bwd_input`], L, e < L);
    mark([`${c.kind}_bwd_weight`, `${c.kind}_bwd_update`, 'update_s8'], L, s.weight[L] > 0);
    mark(['bias_bwd', 'update_s32'], L, s.bias[L]);
    const wg = opsOf(g, SAVED_INPUT_KINDS).find((o) => o.layer === L);
    if (wg) {
      expect(wg.attrs.k).toBe(updatedChannels(c, s.weight[L]));
      expect(g.tensors[wg.inputs[1]].shape.at(-1)).toBe(wg.attrs.k);
    }
  });
  const { blocks } = archShapes(ARCHS[m.name as ModelName], m.resolution, m.inChannels, m.classes);
  for (const b of blocks.filter((x) => x.residual)) {
    const add = g.ops.find((o) => o.kind === 'add' && o.name === `${b.name}.add`)!;
    expect(add.outputs.length > 1, `mask of ${b.name}.add`).toBe(e <= b.pw2);
    seen.add(add.id);
    g.ops.filter((o) => o.kind === 'add_bwd' && o.name === add.name).forEach((o) => seen.add(o.id));
    expect(g.ops.filter((o) => o.kind === 'add_bwd' && o.name === add.name).length).toBe(
      e <= b.pw2 ? (e < (b.pw1 >= 0 ? b.pw1 : b.dw) ? 2 : 1) : 0,
    );
  }
  const saved = g.ops.filter((o) => o.kind === 'slice_channels');
  expect(saved.length).toBe(
    m.convs.filter(
      (c, i) => s.weight[i] > 0 && s.weight[i] < 1 && updatedChannels(c, s.weight[i]) < layerKind(c).ratioChannels(c),
    ).length,
  );
  saved.forEach((o) => seen.add(o.id));
  for (const o of g.ops)
    if (
      ['avgpool', 'fc', 'softmax_xent', 'avgpool_bwd_input', 'fc_bwd_input', 'fc_bwd_update', 'fc_bwd_weight'].includes(
        o.kind,
      ) ||
      o.layer === -1
    )
      seen.add(o.id);
  expect(g.ops.filter((o) => !seen.has(o.id)).map((o) => `${o.kind} ${o.name}`)).toEqual([]);
}

describe('prune removes every op no update needs (random schemes)', () => {
  const models = [
    buildModel({ model: 'tiny-cnn', classes: 5 }),
    buildModel({ model: 'mcunet-5fps', classes: 10, resolution: 48 }),
    buildModel({ model: 'proxyless-w0.3', classes: 3, resolution: 40 }),
  ];
  it.each(models.map((m) => [m.name, m] as const))('%s: 40 random schemes', (_n, m) => {
    for (let seed = 1; seed <= 40; seed++) {
      const s = randomScheme(m, seed * 7919 + m.convs.length);
      for (const reorder of [false, true]) {
        const { training } = trainingGraph(m, s, { reorder, fusion: false, split: false }, (g) => verify(g));
        checkPruned(m, s, training);
      }
    }
  });
});
