/**
 * compile(model, scheme, options) -> TrainingPlan: the whole compiler in one call, pure and synchronous.
 *   1. parse the scheme (text form) against the model;
 *   2. training graph: forward graph -> autodiff -> prune -> slice-saved -> reorder? -> fuse-frozen?;
 *   3. lower it to kernel calls and place its buffers (greedy planner);
 *   4. inference sub-plan: forward graph -> fuse-frozen? -> lower -> place (same consts, same arena);
 *   5. metrics, timeline and the per-layer table.
 */
import { buildForwardGraph } from './forward';
import type { Graph, Tensor } from './ir/graph';
import { emitAll } from './lower/emit';
import { ConstTable, Lowering } from './lower/lowering';
import { placeSubPlan } from './lower/place';
import { buildTimeline, planLayers, planMetrics } from './metrics';
import type { Model } from './models/model';
import { DEFAULT_OPTIONS, inferencePasses, runPasses, trainingPasses } from './pipeline';
import type { BufferCategory, PlanOptions, TrainingPlan } from './plan';
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

function lowerAndPlace(g: Graph, consts: ConstTable) {
  const L = new Lowering(g, consts, categorizer(g));
  emitAll(L);
  return placeSubPlan(L);
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
  const graph = runPasses(forward, trainingPasses(model, s, opts));
  const consts = new ConstTable();
  const train = lowerAndPlace(graph, consts);
  const inference = lowerAndPlace(runPasses(forward, inferencePasses(model, opts)), consts);
  const layers = planLayers(model, s, graph);
  const sram = consts.consts.reduce((a, c) => a + (c.storage === 'sram' ? c.data.byteLength : 0), 0);
  const timeline = buildTimeline(train, sram);
  const plan: TrainingPlan = {
    format: 'tinytrain-plan',
    version: 1,
    model: { name: model.name, resolution: model.resolution, inChannels: model.inChannels, classes: model.classes },
    scheme: printScheme(s, model),
    options: opts,
    ...train,
    arenaBytes: Math.max(train.arenaBytes, inference.arenaBytes),
    consts: consts.consts,
    inference,
    metrics: undefined as unknown as TrainingPlan['metrics'],
    timeline,
    layers,
  };
  plan.metrics = planMetrics({ model, graph, train, inference, consts: consts.consts, layers, timeline, compileMs: 0 });
  plan.metrics.compileMs = performance.now() - t0;
  return { plan, graph };
}

/** Compiles a training plan (see compileWithGraph). */
export function compile(model: Model, scheme: Scheme | string, options: Partial<PlanOptions> = {}): TrainingPlan {
  return compileWithGraph(model, scheme, options).plan;
}
