import { describe, expect, it } from 'vitest';
import { buildForwardGraph } from '../forward';
import { verify } from '../ir/verify';
import { buildModel } from '../models/model';
import { parseScheme, SchemeError } from '../scheme/scheme';
import { autodiff } from './autodiff';

const m = buildModel({ model: 'tiny-cnn', classes: 3 });

describe('autodiff', () => {
  it('differentiates every layer and leaves pruning to prune: one gradient op set per conv', () => {
    const g = verify(autodiff(m, parseScheme('classifier', m)).run(buildForwardGraph(m)));
    for (const c of m.convs) {
      expect(g.ops.filter((o) => o.layer === c.index && o.kind === `${c.kind}_bwd_weight`).length).toBe(1);
      expect(g.ops.filter((o) => o.layer === c.index && o.kind === `${c.kind}_bwd_input`).length).toBe(1);
    }
    expect(g.ops.filter((o) => o.phase === 'update').map((o) => o.kind)).toEqual(['update_s8', 'update_s32']);
  });

  it('accumulates the two gradient contributions of a residual block input in place', () => {
    const g = verify(autodiff(m, parseScheme('full', m)).run(buildForwardGraph(m)));
    const blockIn = g.tensors.findIndex((t) => t.name === 'blocks.1.pw2:out');
    const writers = g.ops.filter((o) => o.outputs.some((t) => g.tensors[t].name.startsWith('g:blocks.1.pw2:out')));
    expect(writers.map((o) => [o.kind, 'accumulate' in o.attrs && o.attrs.accumulate === true])).toEqual([
      ['add_bwd', false],
      ['pointwise_bwd_input', true],
    ]);
    expect(blockIn).toBeGreaterThan(0);
  });

  it('rejects updating a layer whose output never reaches the loss, naming the layer', () => {
    const fwd = buildForwardGraph(m);
    const pool = fwd.ops.find((o) => o.kind === 'avgpool')!;
    const block1 = fwd.tensors.findIndex((t) => t.name === 'blocks.1.pw2:out');
    const cut = { ...fwd, ops: fwd.ops.map((o) => (o === pool ? { ...o, inputs: [block1] } : o)) };
    expect(() => autodiff(m, parseScheme('w:8@1', m)).run(cut)).toThrow(SchemeError);
    expect(() => autodiff(m, parseScheme('w:8@1', m)).run(cut)).toThrow(
      /conv 8 \(blocks\.2\.pw2\): its output gradient is never computed/,
    );
    expect(() => autodiff(m, parseScheme('w:5@1', m)).run(cut)).not.toThrow();
  });
});
