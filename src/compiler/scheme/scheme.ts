/**
 * Sparse-update schemes: for every conv (forward order, classifier not counted and always updated) update the
 * bias or not, and the weight for a ratio 0, 1/8, 1/4, 1/2 or 1 of its input channels (depthwise: of its
 * channels; the first k channels, as in the paper's compiled path). One compact text form serves the CLI and
 * the URL; parse and print round-trip (print gives the canonical form):
 *
 *   full | classifier | bias-only | last:K | paper:<budget>          presets (paper budgets per backbone)
 *   bias:N                biases of the last N convs (the paper's n_bias_update)
 *   bias=3,5,10-12        biases of exactly these convs
 *   w:21@1,24@1/2,36@1/8  weights: conv index @ ratio (1, 1/2, 1/4, 1/8, 0; decimals accepted)
 *   clauses join with ';' and add up, e.g. 'bias:22;w:21@1,24@1,27@1,30@1,36@1/8,39@1/4'
 *
 * Errors (SchemeError) name the clause or the layer: 'conv 21 (blocks.7.pw1): weight ratio 0.3 is not allowed'.
 */
import { PAPER_SCHEMES, paperBudgets } from './paper';
import type { ConvKind } from '../ir/graph';
import { layerKind } from '../layer-kinds';

export const RATIOS = [0, 0.125, 0.25, 0.5, 1] as const;
export type Ratio = (typeof RATIOS)[number];
const RATIO_TEXT: Record<Ratio, string> = { 0: '0', 0.125: '1/8', 0.25: '1/4', 0.5: '1/2', 1: '1' };

/** What a scheme needs to know about the model: its name and its convs in forward order. */
export interface SchemeTarget {
  name: string;
  convs: readonly { name: string; kind: ConvKind; inC: number; outC: number }[];
}

export interface Scheme {
  model: string;
  /** bias[i]: update conv i's bias. */
  bias: boolean[];
  /** weight[i]: fraction of conv i's input channels (depthwise: channels) whose weights are updated. */
  weight: Ratio[];
}

export class SchemeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemeError';
  }
}

const layerName = (t: SchemeTarget, i: number) => `conv ${i} (${t.convs[i].name})`;

/** Number of channels a weight update of conv i at this ratio touches (k of tt_*_bwd_weight). */
export function updatedChannels(conv: SchemeTarget['convs'][number], ratio: number): number {
  return layerKind(conv).ratioChannels(conv) * ratio;
}

function checkIndex(t: SchemeTarget, i: number, clause: string): void {
  if (!Number.isInteger(i) || i < 0 || i >= t.convs.length) {
    throw new SchemeError(
      `conv ${i}: index out of range in "${clause}"; ${t.name} has ${t.convs.length} convs (0-${t.convs.length - 1})`,
    );
  }
}

function parseRatio(text: string, t: SchemeTarget, i: number): Ratio {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const v = m ? Number(m[1]) / Number(m[2]) : /^\d*\.?\d+$/.test(text) ? Number(text) : NaN;
  if (!(RATIOS as readonly number[]).includes(v)) {
    throw new SchemeError(`${layerName(t, i)}: weight ratio ${text} is not allowed; use 0, 1/8, 1/4, 1/2 or 1`);
  }
  return v as Ratio;
}

function parseIndexList(list: string, t: SchemeTarget, clause: string): number[] {
  const out: number[] = [];
  for (const part of list.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new SchemeError(`"${clause}": "${part}" is not a conv index or a range a-b`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    checkIndex(t, a, clause);
    checkIndex(t, b, clause);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

function lastN(text: string, t: SchemeTarget, clause: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n <= t.convs.length))
    throw new SchemeError(
      `"${clause}": expected a count from 0 to ${t.convs.length} (${t.name} has ${t.convs.length} convs)`,
    );
  return n;
}

function setWeight(s: Scheme, t: SchemeTarget, i: number, r: Ratio, given: Set<number>): void {
  if (given.has(i) && s.weight[i] !== r) {
    throw new SchemeError(
      `${layerName(t, i)}: weight ratio given twice (${RATIO_TEXT[s.weight[i]]} and ${RATIO_TEXT[r]})`,
    );
  }
  given.add(i);
  s.weight[i] = r;
}

function applyPaper(s: Scheme, t: SchemeTarget, budget: string, given: Set<number>): void {
  const p = (PAPER_SCHEMES[t.name] ?? []).find((x) => x.budget === budget);
  if (!p) {
    const have = paperBudgets(t.name);
    throw new SchemeError(
      `paper:${budget}: no published scheme of ${t.name} with that budget${have.length ? `; available: ${have.map((b) => `paper:${b}`).join(', ')}` : ''}`,
    );
  }
  for (let i = t.convs.length - p.nBias; i < t.convs.length; i++) s.bias[i] = true;
  p.weightIdx.forEach((i, j) => p.ratios[j] > 0 && setWeight(s, t, i, p.ratios[j] as Ratio, given));
}

function applyClause(s: Scheme, t: SchemeTarget, clause: string, given: Set<number>): void {
  const n = t.convs.length;
  const [head, ...rest] = clause.split(':');
  const arg = rest.join(':');
  if (clause === 'full') for (let i = 0; i < n; i++) ((s.bias[i] = true), setWeight(s, t, i, 1, given));
  else if (clause === 'classifier') return;
  else if (clause === 'bias-only') s.bias.fill(true);
  else if (head === 'last' && rest.length) {
    for (let i = n - lastN(arg, t, clause); i < n; i++) ((s.bias[i] = true), setWeight(s, t, i, 1, given));
  } else if (head === 'paper' && rest.length) applyPaper(s, t, arg, given);
  else if (head === 'bias' && rest.length) for (let i = n - lastN(arg, t, clause); i < n; i++) s.bias[i] = true;
  else if (clause.startsWith('bias=')) for (const i of parseIndexList(clause.slice(5), t, clause)) s.bias[i] = true;
  else if (head === 'w' && rest.length) {
    for (const item of arg.split(',')) {
      const m = /^(\d+(?:-\d+)?)@(.+)$/.exec(item.trim());
      if (!m) throw new SchemeError(`"${clause}": "${item}" is not index@ratio (e.g. 21@1/2)`);
      for (const i of parseIndexList(m[1], t, clause)) setWeight(s, t, i, parseRatio(m[2], t, i), given);
    }
  } else {
    throw new SchemeError(
      `unknown scheme clause "${clause}"; expected full, classifier, bias-only, last:K, paper:<budget>, bias:N, bias=i,j,a-b or w:i@ratio,...`,
    );
  }
}

/** The empty scheme (classifier only) for a target. */
export function emptyScheme(t: SchemeTarget): Scheme {
  return {
    model: t.name,
    bias: new Array<boolean>(t.convs.length).fill(false),
    weight: new Array<Ratio>(t.convs.length).fill(0),
  };
}

/** Parses the text form; throws SchemeError with a message naming the clause or layer. */
export function parseScheme(text: string, t: SchemeTarget): Scheme {
  const s = emptyScheme(t);
  const clauses = text
    .split(';')
    .map((c) => c.trim())
    .filter((c) => c.length > 0);
  if (clauses.length === 0)
    throw new SchemeError('empty scheme; try full, classifier, bias-only, last:K or paper:<budget>');
  const given = new Set<number>();
  for (const c of clauses) applyClause(s, t, c, given);
  validateScheme(s, t);
  return s;
}

/** Checks a scheme against a model (indices, ratios, whole numbers of channels). */
export function validateScheme(s: Scheme, t: SchemeTarget): void {
  const n = t.convs.length;
  if (s.model !== t.name) throw new SchemeError(`the scheme is for ${s.model}, not ${t.name}`);
  if (s.bias.length !== n || s.weight.length !== n)
    throw new SchemeError(`the scheme lists ${s.weight.length} convs; ${t.name} has ${n}`);
  s.weight.forEach((r, i) => {
    if (!(RATIOS as readonly number[]).includes(r))
      throw new SchemeError(`${layerName(t, i)}: weight ratio ${r} is not allowed; use 0, 1/8, 1/4, 1/2 or 1`);
    const k = updatedChannels(t.convs[i], r);
    if (r > 0 && !Number.isInteger(k)) {
      const what = layerKind(t.convs[i]).ratioWhat;
      throw new SchemeError(
        `${layerName(t, i)}: weight ratio ${RATIO_TEXT[r]} of ${k / r} ${what} is not a whole number of channels`,
      );
    }
  });
}

const same = (s: Scheme, o: Scheme) =>
  s.bias.every((b, i) => b === o.bias[i]) && s.weight.every((w, i) => w === o.weight[i]);

function ranges(idx: number[]): string {
  const out: string[] = [];
  for (let j = 0; j < idx.length;) {
    let e = j;
    while (e + 1 < idx.length && idx[e + 1] === idx[e] + 1) e++;
    out.push(e === j ? `${idx[j]}` : `${idx[j]}-${idx[e]}`);
    j = e + 1;
  }
  return out.join(',');
}

/** Canonical text form: a preset name when one matches exactly, else bias and weight clauses. */
export function printScheme(s: Scheme, t?: SchemeTarget): string {
  const n = s.bias.length;
  const target = t ?? { name: s.model, convs: s.bias.map(() => ({ name: '', kind: 'pointwise', inC: 8, outC: 8 })) };
  const presets = ['classifier', 'full', 'bias-only', ...paperBudgets(s.model).map((b) => `paper:${b}`)];
  for (let k = 1; k < n; k++) presets.push(`last:${k}`);
  for (const p of presets) {
    const o = emptyScheme(target);
    applyClause(o, target, p, new Set());
    if (same(s, o)) return p;
  }
  const parts: string[] = [];
  const bias = s.bias.flatMap((b, i) => (b ? [i] : []));
  if (bias.length > 0) {
    const suffix = bias[0] === n - bias.length;
    parts.push(suffix ? `bias:${bias.length}` : `bias=${ranges(bias)}`);
  }
  const w = s.weight.flatMap((r, i) => (r > 0 ? [`${i}@${RATIO_TEXT[r]}`] : []));
  if (w.length > 0) parts.push(`w:${w.join(',')}`);
  return parts.join(';');
}

/** Every preset name a model accepts (for help texts and the UI). */
export function schemePresets(t: SchemeTarget): string[] {
  return [
    'full',
    'classifier',
    'bias-only',
    `last:K (1-${t.convs.length})`,
    ...paperBudgets(t.name).map((b) => `paper:${b}`),
  ];
}
