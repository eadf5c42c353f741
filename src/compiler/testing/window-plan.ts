/**
 * Test fixture: tiny-cnn with pad -> max pool 3x3 -> average pool 3x3 SAME (requantized to a coarser scale) ->
 * a 1x1 average pool requantizing back, spliced after its first conv, and a training plan of it (no reorder,
 * fusion or split), lowered and placed like compile() does. Until imported models bring these ops, this is how
 * tests exercise them inside a whole plan.
 */
import { compile } from '../compile';
import { buildForwardGraph } from '../forward';
import { GraphBuilder, type Graph, type Tensor } from '../ir/graph';
import { addAvgPool2d, addMaxPool2d, addPad, tfliteWindow } from '../ir/window-ops';
import { ConstTable, Lowering } from '../lower/lowering';
import { emitAll } from '../lower/emit';
import { placeSubPlan } from '../lower/place';
import { buildModel, layerAt } from '../models/model';
import { parseScheme } from '../scheme/scheme';
import { DEFAULT_OPTIONS, runPasses, trainingPasses } from '../pipeline';
import type { BufferCategory, TrainingPlan } from '../plan';

export const m = buildModel({ model: 'tiny-cnn', classes: 4, resolution: 16, seed: 3 });

/** The forward graph with the window ops after conv 0; the average pool requantizes to a coarser scale. */
export function forwardWithWindows(): Graph {
  const fwd = buildForwardGraph(m);
  const y = fwd.ops[0].outputs[0];
  const b = new GraphBuilder(fwd);
  b.op(fwd.ops[0]);
  const [h, w] = b.tensors[y].shape;
  const q = b.tensors[y].quant!;
  const p = addPad(b, y, { name: 'pad', padding: { top: 1, bottom: 1, left: 1, right: 1 } });
  const none = { top: 0, bottom: 0, left: 0, right: 0 };
  const mp = addMaxPool2d(b, p, { name: 'maxpool', window: { kernel: [3, 3], stride: [1, 1], padding: none } });
  const window = tfliteWindow('same', h, w, [3, 3], [1, 1]);
  const ap = addAvgPool2d(b, mp, {
    name: 'avgpool',
    window,
    output: { scale: q.scale * 1.25, zeroPoint: q.zeroPoint + 2 },
  });
  // the next layer reads the pooled tensor; its zero point is the one it was built for, so requantize back
  const back = addAvgPool2d(b, ap, { name: 'requant', window: tfliteWindow('valid', h, w, [1, 1], [1, 1]), output: q });
  for (const op of fwd.ops.slice(1)) b.op({ ...op, inputs: op.inputs.map((t) => (t === y ? back : t)) });
  return b.build(fwd.io);
}

function categorize(g: Graph): (t: Tensor) => BufferCategory {
  const saved = new Set(g.ops.filter((o) => o.phase !== 'forward').flatMap((o) => o.inputs));
  return (t) =>
    t.varType === 'input' || t.varType === 'mask' || t.varType === 'gradient' || t.varType === 'scratch'
      ? t.varType
      : saved.has(t.id)
        ? 'saved'
        : 'activation';
}

/** A plan of the spliced graph: the tiny model's plan with its steps, buffers and consts replaced. */
export function planWithWindows(fwd: Graph): TrainingPlan {
  const opts = { ...DEFAULT_OPTIONS, reorder: false, fusion: false, split: false };
  const template = compile(m, 'full', opts);
  const training = runPasses(fwd, trainingPasses(m, parseScheme('full', m), opts));
  const table = new ConstTable();
  const lower = (g: Graph) => {
    const L = new Lowering(g, table, categorize(g), (i) => layerAt(m, i).name);
    emitAll(L);
    return placeSubPlan(L);
  };
  const train = lower(training);
  const inference = lower(fwd);
  return {
    ...template,
    ...train,
    arenaBytes: Math.max(train.arenaBytes, inference.arenaBytes),
    consts: table.consts,
    inference,
  };
}
