/**
 * The pass pipelines. Training: autodiff -> prune -> slice-saved -> reorder (optional) -> fuse-frozen
 * (optional) -> split-weights (optional). Inference: fuse-frozen on the forward graph (nothing is trained, so
 * every block fuses). compile() runs split-weights itself, one instance on both graphs (so they read the same
 * head and tail arrays), and keeps it only where it lowers the peak. `onPass` lets tests verify() the graph
 * after every pass.
 */
import { buildForwardGraph } from './forward';
import type { Graph } from './ir/graph';
import type { Model } from './models/model';
import { autodiff } from './passes/autodiff';
import { fuseFrozen } from './passes/fuse';
import type { Pass } from './passes/pass';
import { prune } from './passes/prune';
import { reorder } from './passes/reorder';
import { slice } from './passes/slice';
import { splitWeights } from './passes/split';
import type { PlanOptions } from './plan';
import type { Scheme } from './scheme/scheme';

export const DEFAULT_OPTIONS: PlanOptions = { reorder: true, fusion: true, split: true };

export function trainingPasses(m: Model, scheme: Scheme, o: PlanOptions): Pass[] {
  return [
    autodiff(m, scheme),
    prune,
    slice,
    ...(o.reorder ? [reorder] : []),
    ...(o.fusion ? [fuseFrozen(m)] : []),
    ...(o.split ? [splitWeights(m, scheme)] : []),
  ];
}

export function inferencePasses(m: Model, o: PlanOptions): Pass[] {
  return o.fusion ? [fuseFrozen(m)] : [];
}

export function runPasses(g: Graph, passes: Pass[], onPass?: (g: Graph, pass: Pass) => void): Graph {
  let cur = g;
  for (const p of passes) {
    cur = p.run(cur);
    onPass?.(cur, p);
  }
  return cur;
}

/** The training graph of a model under a scheme (and the forward graph it came from). */
export function trainingGraph(
  m: Model,
  scheme: Scheme,
  o: Partial<PlanOptions> = {},
  onPass?: (g: Graph, pass: Pass) => void,
) {
  const forward = buildForwardGraph(m);
  return { forward, training: runPasses(forward, trainingPasses(m, scheme, { ...DEFAULT_OPTIONS, ...o }), onPass) };
}
