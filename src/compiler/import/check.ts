/**
 * Checks on a finished ModelDescription, and the padding arithmetic both formats share.
 *
 * SAME padding (TFLite, ONNX SAME_UPPER): out = ceil(in / stride); total = max((out - 1) * stride + (k - 1) *
 * dilation + 1 - in, 0); before = floor(total / 2), after = total - before, so an odd total puts the extra pixel
 * at the bottom / right. SAME_LOWER puts it at the top / left.
 */
import { ImportError, elementCount, type ModelDescription, type Padding } from './types';

export interface PadAmounts {
  before: number;
  after: number;
  out: number;
}

/** Padding of one spatial axis (axis 0 = height, 1 = width) and the resulting output size. */
export function resolvePadding(
  p: Padding,
  axis: 0 | 1,
  input: number,
  kernel: number,
  stride: number,
  dilation = 1,
): PadAmounts {
  const span = (kernel - 1) * dilation + 1;
  if (p.kind === 'valid') return { before: 0, after: 0, out: Math.floor((input - span) / stride) + 1 };
  if (p.kind === 'explicit') {
    const [before, after] = axis === 0 ? [p.top, p.bottom] : [p.left, p.right];
    return { before, after, out: Math.floor((input + before + after - span) / stride) + 1 };
  }
  const out = Math.ceil(input / stride);
  const total = Math.max((out - 1) * stride + span - input, 0);
  const small = Math.floor(total / 2);
  return p.kind === 'same'
    ? { before: small, after: total - small, out }
    : { before: total - small, after: small, out };
}

/**
 * Structural invariants of a description; returns the problems found (empty when sound). The readers build
 * descriptions that pass; tests run it on every model.
 */
export function checkDescription(d: ModelDescription): string[] {
  const problems: string[] = [];
  const defined = new Set<number>();
  d.tensors.forEach((t, i) => {
    if (t.id !== i) problems.push(`tensor ${t.name} has id ${t.id} at index ${i}`);
    if (t.shape.some((x) => !Number.isInteger(x) || x < 1)) problems.push(`tensor ${t.name} has shape [${t.shape}]`);
    if (t.data && t.data.length !== elementCount(t.shape)) problems.push(`tensor ${t.name} data length`);
    if (t.data || d.inputs.includes(i)) defined.add(i);
    if (t.quant && t.quant.axis !== null && t.shape[t.quant.axis] !== t.quant.scale.length)
      problems.push(`tensor ${t.name} per-channel count`);
  });
  for (const op of d.ops) {
    for (const i of op.inputs)
      if (i !== null && !defined.has(i)) problems.push(`op ${op.name} reads tensor ${i} before it is written`);
    for (const o of op.outputs) {
      if (defined.has(o)) problems.push(`op ${op.name} writes tensor ${o}, which is already defined`);
      defined.add(o);
    }
  }
  for (const o of d.outputs) if (!defined.has(o)) problems.push(`graph output ${o} is never written`);
  return problems;
}

/** The readers' last step: a description that breaks an invariant (a corrupt file) is refused, never returned. */
export function assertSound(d: ModelDescription, fileName: string): ModelDescription {
  const problems = checkDescription(d);
  if (problems.length > 0) throw new ImportError('invalid', `${fileName}: ${problems[0]}`);
  return d;
}
