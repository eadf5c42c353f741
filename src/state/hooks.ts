/** Derived views of the store, memoized per compiled plan. */
import type { TrainingPlan } from '../compiler/plan';
import { describeModel } from './compile';
import { buildGraphView } from './graph-view';
import type { GraphView } from './graph-view';
import { usePlayground } from './playground';

const graphCache = new WeakMap<TrainingPlan, GraphView>();

export function useGraphView(): GraphView | null {
  const plan = usePlayground((s) => s.compiled.plan);
  const model = usePlayground((s) => s.experiment.model);
  if (!plan) return null;
  let g = graphCache.get(plan);
  if (!g) {
    g = buildGraphView(plan, describeModel(model));
    graphCache.set(plan, g);
  }
  return g;
}
