/** A named, pure graph transformation. Pipelines list passes in order; tests verify() after each one. */
import type { Graph } from '../ir/graph';

export interface Pass {
  name: string;
  run(g: Graph): Graph;
}
