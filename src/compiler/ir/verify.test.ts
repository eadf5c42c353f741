import { describe, expect, it } from 'vitest';
import { buildForwardGraph } from '../forward';
import { buildModel } from '../models/model';
import { trainingGraph } from '../pipeline';
import { parseScheme } from '../scheme/scheme';
import { dumpGraph } from './dump';
import type { Graph } from './graph';
import { verify, VerifyError } from './verify';

const m = buildModel({ model: 'tiny-cnn', classes: 3 });
const { training } = trainingGraph(m, parseScheme('last:3', m), { reorder: true, fusion: true });

function broken(edit: (g: Graph) => Graph): string {
  try {
    verify(edit(training));
  } catch (e) {
    expect(e).toBeInstanceOf(VerifyError);
    return (e as VerifyError).message;
  }
  return 'no error';
}

describe('verify', () => {
  it('accepts the forward and training graphs', () => {
    expect(verify(buildForwardGraph(m))).toBeDefined();
    expect(verify(training)).toBe(training);
  });

  it('catches a wrong shape, a use before definition, a read after an in-place overwrite and a frozen update', () => {
    const swap = (g: Graph, i: number, j: number) => {
      const ops = g.ops.slice();
      [ops[i], ops[j]] = [ops[j], ops[i]];
      return { ...g, ops };
    };
    expect(
      broken((g) => ({
        ...g,
        ops: g.ops.map((o, i) => (i === 1 ? { ...o, inputs: [g.io.input, ...o.inputs.slice(1)] } : o)),
      })),
    ).toMatch(/inputs 0 \(input\) is int8\[32,32,3\], expected int8\[16,16,16\]/);
    expect(broken((g) => swap(g, 0, 1))).toMatch(/reads .* before it is written/);
    const clamp = training.ops.findIndex((o) => o.kind === 'clamp_bwd');
    const reread = (g: Graph) => ({
      ...g,
      ops: [...g.ops, { ...g.ops[clamp], id: 9999, inputs: g.ops[clamp].inputs, outputs: [g.tensors.length - 1] }],
    });
    expect(broken(reread)).toMatch(/after op .* overwrote it in place/);
    const upd = training.ops.find((o) => o.kind === 'update_s32')!;
    const frozen = (g: Graph) => ({
      ...g,
      tensors: g.tensors.map((t) => (t.id === upd.inputs[3] ? { ...t, trainable: false } : t)),
    });
    expect(broken(frozen)).toMatch(/updates the frozen param/);
  });

  it('dumps one line per op', () => {
    const text = dumpGraph(training);
    expect(text.split('\n')[0]).toBe(`graph: ${training.ops.length} ops, ${training.tensors.length} tensors`);
    expect(text).toMatch(/update\s+pointwise_bwd_update\s+blocks\.2\.pw2/);
  });
});
