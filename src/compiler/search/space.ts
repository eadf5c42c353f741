/**
 * The search space of sparse-update schemes (PAPER-FACTS section 3): the biases of the last k convs for k in
 * 0..maxBias (the paper's n_bias_update), and for each of the last `layers` convs a weight ratio from
 * {0, 1/8, 1/4, 1/2, 1} where ratio * (its ratio channels) is a whole number of channels of at least one
 * (scheme.ts updatedChannels, layer-kinds.ts). A point of the space is a Genome: the bias count and, per
 * searchable layer, an index into that layer's allowed ratios (index 0 is ratio 0). The classifier is always
 * updated and is not part of the space.
 */
import {
  RATIOS,
  emptyScheme,
  printScheme,
  updatedChannels,
  type Ratio,
  type Scheme,
  type SchemeTarget,
} from '../scheme/scheme';

export interface SpaceLayer {
  /** Conv index in forward order. */
  conv: number;
  /** The allowed ratios, ascending, starting with 0. */
  ratios: Ratio[];
}

export interface SearchSpace {
  target: SchemeTarget;
  /** Bias choices: the last k convs' biases, k = 0..maxBias. */
  maxBias: number;
  /** Layers whose weight may be updated, in forward order. */
  layers: SpaceLayer[];
}

export interface Genome {
  /** Number of trailing convs whose bias is updated. */
  bias: number;
  /** Per space layer: index into its `ratios`. */
  ratio: number[];
}

/** The ratios of a conv that touch a whole number (>= 1) of channels; always starts with 0. */
export function allowedRatios(conv: SchemeTarget['convs'][number]): Ratio[] {
  return RATIOS.filter((r) => {
    const k = updatedChannels(conv, r);
    return r === 0 || (Number.isInteger(k) && k >= 1);
  });
}

/** The space over the last `layers` convs (default all) of a model. */
export function searchSpace(target: SchemeTarget, layers = target.convs.length): SearchSpace {
  const n = target.convs.length;
  if (!Number.isInteger(layers) || layers < 0 || layers > n)
    throw new RangeError(`the search covers 0 to ${n} trailing convs of ${target.name}, not ${layers}`);
  const out: SpaceLayer[] = [];
  for (let i = n - layers; i < n; i++) out.push({ conv: i, ratios: allowedRatios(target.convs[i]) });
  return { target, maxBias: layers, layers: out };
}

/** Number of schemes in the space: (maxBias + 1) * prod(ratio choices). */
export function spaceSize(space: SearchSpace): number {
  return space.layers.reduce((a, l) => a * l.ratios.length, space.maxBias + 1);
}

/** The classifier-only genome. */
export const emptyGenome = (space: SearchSpace): Genome => ({ bias: 0, ratio: space.layers.map(() => 0) });

export function toScheme(space: SearchSpace, g: Genome): Scheme {
  const s = emptyScheme(space.target);
  const n = s.bias.length;
  for (let i = n - g.bias; i < n; i++) s.bias[i] = true;
  space.layers.forEach((l, j) => (s.weight[l.conv] = l.ratios[g.ratio[j]]));
  return s;
}

/**
 * The genome of a scheme, or null when the space cannot express it: its updated biases must be a trailing run
 * of at most maxBias convs, and every updated weight a layer of the space at one of its allowed ratios.
 */
export function fromScheme(space: SearchSpace, s: Scheme): Genome | null {
  const n = s.bias.length;
  let bias = 0;
  while (bias < n && s.bias[n - 1 - bias]) bias++;
  if (bias > space.maxBias || s.bias.slice(0, n - bias).some((b) => b)) return null;
  const at = new Map(space.layers.map((l, j) => [l.conv, j]));
  const ratio = space.layers.map(() => 0);
  for (let i = 0; i < s.weight.length; i++) {
    if (s.weight[i] === 0) continue;
    const j = at.get(i);
    const r = j === undefined ? -1 : space.layers[j].ratios.indexOf(s.weight[i]);
    if (j === undefined || r < 0) return null;
    ratio[j] = r;
  }
  return { bias, ratio };
}

/** last:k as a genome: the last k convs' biases and their weights whole (the largest allowed ratio, 1). */
export function lastKGenome(space: SearchSpace, k: number): Genome {
  const n = space.layers.length;
  return { bias: k, ratio: space.layers.map((l, j) => (j >= n - k ? l.ratios.length - 1 : 0)) };
}

/** The scheme text of a genome (printScheme's canonical form; the cache key of its cost). */
export const genomeText = (space: SearchSpace, g: Genome): string => printScheme(toScheme(space, g), space.target);

/** A short unique key of a genome within its space (cheaper than the scheme text). */
export const genomeKey = (g: Genome): string => `${g.bias}:${g.ratio.join('')}`;

/** Number of genes: the bias count first, then one per layer. */
export const geneCount = (space: SearchSpace): number => 1 + space.layers.length;

/** Number of values gene j takes. */
export const geneValues = (space: SearchSpace, j: number): number =>
  j === 0 ? space.maxBias + 1 : space.layers[j - 1].ratios.length;

export const getGene = (g: Genome, j: number): number => (j === 0 ? g.bias : g.ratio[j - 1]);

export function withGene(g: Genome, j: number, v: number): Genome {
  if (j === 0) return { bias: v, ratio: g.ratio };
  const ratio = g.ratio.slice();
  ratio[j - 1] = v;
  return { bias: g.bias, ratio };
}
