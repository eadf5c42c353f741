/**
 * compile(model, scheme, options) -> TrainingPlan: the whole compiler in one call, pure and synchronous.
 *   1. parse the scheme (text form) against the model;
 *   2. training graph: forward graph -> autodiff -> prune -> slice-saved -> reorder? -> fuse-frozen?;
 *      inference graph: forward graph -> fuse-frozen?;
 *   3. split? (split-weights on both graphs), lower them to kernel calls and place their buffers (greedy
 *      planner; the sub-plans share the consts and the arena);
 *   4. split weights only where it pays (see `build`);
 *   5. metrics, timeline and the per-layer table.
 */
import { buildForwardGraph } from './forward';
import type { Graph, Tensor } from './ir/graph';
import { alignUp } from './memory/planner';
import { emitAll } from './lower/emit';
import { ConstTable, Lowering } from './lower/lowering';
import { placeSubPlan } from './lower/place';
import { buildTimeline, planLayers, planMetrics } from './metrics';
import { layerAt, type Model } from './models/model';
import { splitWeights, type SplitPass } from './passes/split';
import { DEFAULT_OPTIONS, inferencePasses, runPasses, trainingPasses } from './pipeline';
import type { BufferCategory, PlanConst, PlanOptions, SplitWeight, SubPlan, TrainingPlan } from './plan';
import { parseScheme, printScheme, validateScheme, type Scheme } from './scheme/scheme';

/** Buffer category of a tensor: forward tensors read by backward or update ops are saved. */
function categorizer(g: Graph): (t: Tensor) => BufferCategory {
  const saved = new Set<number>();
  for (const op of g.ops) if (op.phase !== 'forward') for (const t of op.inputs) saved.add(t);
  return (t) => {
    if (t.varType === 'input') return 'input';
    if (t.varType === 'mask') return 'mask';
    if (t.varType === 'gradient') return 'gradient';
    if (t.varType === 'scratch') return 'scratch';
    return saved.has(t.id) ? 'saved' : 'activation';
  };
}

function lowerAndPlace(model: Model, g: Graph, consts: ConstTable) {
  const L = new Lowering(g, consts, categorizer(g), (i) => layerAt(model, i).name);
  emitAll(L);
  return placeSubPlan(L);
}

/** The plan's record of the split weights: their head and tail const ids. */
function splitRecords(split: SplitPass, consts: PlanConst[]): SplitWeight[] {
  const id = new Map(consts.map((c) => [c.data, c.id]));
  return [...split.parts].map(([, p]) => ({
    name: `${p.layer.name}.weight`,
    layer: p.layer.index,
    rows: p.layer.outC,
    cols: p.layer.inC,
    k: p.k,
    head: id.get(p.head)!,
    tail: id.get(p.tail)!,
  }));
}

/** Training graph and both sub-plans, lowered and placed with one const table. */
interface Built {
  graph: Graph;
  train: SubPlan;
  inference: SubPlan;
  consts: PlanConst[];
  splitWeights: SplitWeight[];
  /** arena + trainable consts (the rng state left out: it is the same in every variant). */
  peak: number;
}

function lowerBoth(model: Model, graph: Graph, inferenceGraph: Graph, split?: SplitPass): Built {
  const table = new ConstTable();
  const train = lowerAndPlace(model, graph, table);
  const inference = lowerAndPlace(model, inferenceGraph, table);
  const consts = table.consts;
  const sram = consts.reduce((a, c) => a + (c.storage === 'sram' ? c.data.byteLength : 0), 0);
  const peak = Math.max(train.arenaBytes, inference.arenaBytes) + sram;
  return { graph, train, inference, consts, splitWeights: split ? splitRecords(split, consts) : [], peak };
}

/**
 * Most bytes (16-aligned, as placed) alive at one step, leaving out the assembled copies of split weights. The
 * same plan without split has exactly the other buffers, alive at the same steps (a concat step reads consts
 * only), so this is a lower bound of its arena.
 */
function arenaWithoutSplitAtLeast(p: SubPlan): number {
  const delta = new Float64Array(p.steps.length + 1);
  for (const b of p.buffers) {
    if (b.lastStep < b.firstStep || b.name.startsWith('assembled:')) continue;
    delta[b.firstStep] += alignUp(b.bytes);
    delta[b.lastStep + 1] -= alignUp(b.bytes);
  }
  let live = 0;
  let most = 0;
  for (let i = 0; i < p.steps.length; i++) most = Math.max(most, (live += delta[i]));
  return most;
}

/**
 * Lowers the graphs with split weights when options.split (and some weight qualifies) and keeps that only if it
 * lowers the peak: split saves the tails' bytes of SRAM but adds an assembled copy of the whole weight to the
 * arena while one kernel runs, which can cost more at small resolutions, where the arena is small. When the
 * split arena exceeds the lower bound of the whole-tensor arena by less than the tails, split is strictly
 * better without compiling the alternative (the usual case at 128x128); otherwise both are placed and the lower
 * peak wins (ties: whole tensors, fewer steps).
 */
function build(model: Model, s: Scheme, opts: PlanOptions, graph: Graph, inferenceGraph: Graph): Built {
  const split = opts.split ? splitWeights(model, s) : undefined;
  if (!split || split.parts.size === 0) return lowerBoth(model, graph, inferenceGraph);
  const withSplit = lowerBoth(model, split.run(graph), split.run(inferenceGraph), split);
  const tails = [...split.parts.values()].reduce((a, p) => a + p.tail.byteLength, 0);
  const arena = Math.max(withSplit.train.arenaBytes, withSplit.inference.arenaBytes);
  const atLeast = Math.max(arenaWithoutSplitAtLeast(withSplit.train), arenaWithoutSplitAtLeast(withSplit.inference));
  if (arena - atLeast < tails) return withSplit;
  const whole = lowerBoth(model, graph, inferenceGraph);
  return whole.peak <= withSplit.peak ? whole : withSplit;
}

export interface CompileResult {
  plan: TrainingPlan;
  /** The pruned, scheduled training graph the plan was lowered from. */
  graph: Graph;
}

/** Compiles a training plan and returns it with its training graph. Throws SchemeError for a bad scheme. */
export function compileWithGraph(
  model: Model,
  scheme: Scheme | string,
  options: Partial<PlanOptions> = {},
): CompileResult {
  const t0 = performance.now();
  const opts: PlanOptions = { ...DEFAULT_OPTIONS, ...options };
  const s = typeof scheme === 'string' ? parseScheme(scheme, model) : scheme;
  if (typeof scheme !== 'string') validateScheme(s, model);
  const forward = buildForwardGraph(model);
  const whole = { ...opts, split: false };
  const built = build(
    model,
    s,
    opts,
    runPasses(forward, trainingPasses(model, s, whole)),
    runPasses(forward, inferencePasses(model, whole)),
  );
  const { graph, train, inference, consts } = built;
  const layers = planLayers(model, s, graph);
  const sram = consts.reduce((a, c) => a + (c.storage === 'sram' ? c.data.byteLength : 0), 0);
  const timeline = buildTimeline(train, sram);
  const plan: TrainingPlan = {
    format: 'tinytrain-plan',
    version: 1,
    model: { name: model.name, resolution: model.resolution, inChannels: model.inChannels, classes: model.classes },
    scheme: printScheme(s, model),
    options: opts,
    ...train,
    arenaBytes: Math.max(train.arenaBytes, inference.arenaBytes),
    consts,
    splitWeights: built.splitWeights,
    inference,
    metrics: undefined as unknown as TrainingPlan['metrics'],
    timeline,
    layers,
  };
  plan.metrics = planMetrics({ model, graph, train, inference, consts, layers, timeline, compileMs: 0 });
  plan.metrics.compileMs = performance.now() - t0;
  return { plan, graph };
}

/** Compiles a training plan (see compileWithGraph). */
export function compile(model: Model, scheme: Scheme | string, options: Partial<PlanOptions> = {}): TrainingPlan {
  return compileWithGraph(model, scheme, options).plan;
}
