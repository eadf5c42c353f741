import { describe, expect, it } from 'vitest';
import { buildForwardGraph } from '../forward';
import { buildModel, type Model } from '../models/model';
import { trainingPasses, DEFAULT_OPTIONS } from '../pipeline';
import { parseScheme } from '../scheme/scheme';
import { GraphBuilder, opsOf, type Graph } from './graph';
import { verify } from './verify';
import { addAvgPool2d, addMaxPool2d, addPad, tfliteWindow, windowShape } from './window-ops';

describe('TFLite window geometry', () => {
  it("micro_speech's first conv: 49x40 input, 10x8 kernel, stride 2x2, SAME", () => {
    const w = tfliteWindow('same', 49, 40, [10, 8], [2, 2]);
    expect(w.padding).toEqual({ top: 4, bottom: 5, left: 3, right: 3 });
    const s = windowShape([49, 40, 1], w, 8);
    expect(s).toMatchObject({ outH: 25, outW: 20, kernel: 10, kernelW: 8, stride: 2, strideW: 2, pad: 4, padLeft: 3 });
  });

  it('SAME at stride 2 on an even size pads the bottom / right only; VALID pads nothing', () => {
    expect(tfliteWindow('same', 8, 8, [2, 2], [2, 2]).padding).toEqual({ top: 0, bottom: 0, left: 0, right: 0 });
    expect(tfliteWindow('same', 8, 8, [3, 3], [2, 2]).padding).toEqual({ top: 0, bottom: 1, left: 0, right: 1 });
    expect(windowShape([7, 9, 4], tfliteWindow('valid', 7, 9, [3, 2], [2, 3]))).toMatchObject({ outH: 3, outW: 3 });
  });
});

describe('window-op builders', () => {
  const b = new GraphBuilder();
  const x = b.tensor({
    name: 'x',
    shape: [6, 6, 4],
    dtype: 'int8',
    varType: 'activation',
    quant: { scale: 0.05, zeroPoint: -3 },
  });

  it('average pool: same quantization takes the TFLite rule, another adds the count-multiplier table', () => {
    const window = tfliteWindow('same', 6, 6, [3, 3], [2, 2]);
    const same = addAvgPool2d(b, x, { name: 'ap', window, output: { scale: 0.05, zeroPoint: -3 } });
    const other = addAvgPool2d(b, x, { name: 'ap2', window, output: { scale: 0.1, zeroPoint: 7 } });
    const [a, c] = opsOf({ ops: b.ops }, ['avgpool2d']);
    expect(b.tensors[same].shape).toEqual([3, 3, 4]);
    expect([a.attrs.rule, c.attrs.rule, c.inputs.length]).toEqual(['tflite', 'requant', 2]);
    const table = b.tensors[c.inputs[1]].data as Float32Array;
    expect(table[0]).toBe(Math.fround(0.5));
    expect(table[8]).toBe(Math.fround(0.5 / 9));
    expect(b.tensors[other].quant).toEqual({ scale: 0.1, zeroPoint: 7 });
  });

  it('max pool keeps the input quantization; pad grows the shape and pads with the zero point', () => {
    const m = addMaxPool2d(b, x, { name: 'mp', window: tfliteWindow('valid', 6, 6, [2, 2], [2, 2]) });
    const p = addPad(b, x, { name: 'pad', padding: { top: 1, bottom: 2, left: 0, right: 3 } });
    expect([b.tensors[m].shape, b.tensors[p].shape]).toEqual([
      [3, 3, 4],
      [9, 9, 4],
    ]);
    expect(opsOf({ ops: b.ops }, ['pad'])[0].attrs.zp).toBe(-3);
    expect(() => addPad(b, x, { name: 'crop', padding: { top: -1, bottom: 0, left: 0, right: 0 } })).toThrow(/crop/);
  });
});

/** tiny-cnn with pad -> max pool 3x3 -> average pool 3x3 SAME spliced after its first conv (shapes kept). */
function withWindowOps(): { graph: Graph; model: Model } {
  const m = buildModel({ model: 'tiny-cnn', classes: 3, resolution: 16 });
  const fwd = buildForwardGraph(m);
  const first = fwd.ops[0];
  const y = first.outputs[0];
  const b = new GraphBuilder(fwd); // starts with no ops, fresh ids after the forward's;
  b.op(first);
  const [h, w] = b.tensors[y].shape;
  const p = addPad(b, y, { name: 'pad', padding: { top: 1, bottom: 1, left: 1, right: 1 } });
  const mp = addMaxPool2d(b, p, {
    name: 'maxpool',
    window: { kernel: [3, 3], stride: [1, 1], padding: { top: 0, bottom: 0, left: 0, right: 0 } },
  });
  const ap = addAvgPool2d(b, mp, {
    name: 'avgpool',
    window: tfliteWindow('same', h, w, [3, 3], [1, 1]),
    output: b.tensors[y].quant!,
  });
  for (const op of fwd.ops.slice(1)) b.op({ ...op, inputs: op.inputs.map((t) => (t === y ? ap : t)) });
  return { graph: b.build(fwd.io), model: m };
}

describe('autodiff through the window ops', () => {
  it('every pass keeps the graph valid; the first conv gets its gradient through pool, pool and pad', () => {
    const { graph, model } = withWindowOps();
    verify(graph);
    let g = graph;
    for (const pass of trainingPasses(model, parseScheme('full', model), DEFAULT_OPTIONS)) verify((g = pass.run(g)));
    const kinds = g.ops.map((o) => o.kind);
    for (const k of ['avgpool2d_bwd_input', 'maxpool2d_bwd_input', 'pad_bwd_input'] as const)
      expect(kinds).toContain(k);
    // the pools' clamps are differentiated; the first conv's weight is still updated (gradient reached it)
    expect(opsOf(g, ['clamp_bwd']).filter((o) => o.name === 'maxpool' || o.name === 'avgpool')).toHaveLength(2);
    expect(g.ops.some((o) => o.layer === 0 && o.phase === 'update')).toBe(true);
  });
});
