/**
 * verify(graph): the IR's invariants, checked after every pass in tests.
 *  1. every op matches its row in the op table (phase, arity, dtype and shape of every input and output);
 *  2. every tensor read is a source (image, label, constant) or was written by an earlier op (schedule order);
 *  3. every tensor is written at most once, and never a source, except through an in-place op;
 *  4. an input overwritten in place (attrs.inplace) is never read again, and has the output's dtype and shape;
 *  5. only update ops overwrite params, and only trainable ones; trainable params are updated exactly once;
 *  6. weight-gradient channel counts are consistent: 1 <= k <= inStride.
 */
import { phaseOf, signatureOf, type Spec } from './ops';
import { isKind, SAVED_INPUT_KINDS, type Graph, type Op, type Tensor } from './graph';

export class VerifyError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `IR verification failed:\n  ${problems.slice(0, 20).join('\n  ')}${problems.length > 20 ? `\n  ... ${problems.length - 20} more` : ''}`,
    );
    this.name = 'VerifyError';
  }
}

const isSource = (t: Tensor) => t.varType === 'input' || t.varType === 'label' || t.data !== undefined;
const fmt = (s: { dtype: string; shape: readonly number[] }) => `${s.dtype}[${s.shape.join(',')}]`;

function checkSignature(op: Op, g: Graph, out: string[]): void {
  const where = `op ${op.id} ${op.kind} (${op.name})`;
  const phase = phaseOf(op.kind);
  if (typeof phase === 'string' ? phase !== op.phase : !phase.includes(op.phase))
    out.push(`${where}: phase ${op.phase}, expected ${phase}`);
  let sig;
  try {
    sig = signatureOf(op, g);
  } catch (e) {
    out.push(`${where}: missing attributes (${(e as Error).message})`);
    return;
  }
  const cmp = (what: string, ids: number[], specs: (Spec | null)[]) => {
    if (ids.length !== specs.length) return out.push(`${where}: ${ids.length} ${what}, expected ${specs.length}`);
    ids.forEach((id, i) => {
      const t = g.tensors[id];
      const s = specs[i];
      if (!t) return out.push(`${where}: ${what} ${i} is an unknown tensor ${id}`);
      if (s && (t.dtype !== s.dtype || t.shape.join(',') !== s.shape.join(','))) {
        out.push(`${where}: ${what} ${i} (${t.name}) is ${fmt(t)}, expected ${fmt(s)}`);
      }
    });
  };
  cmp('inputs', op.inputs, sig.inputs);
  cmp('outputs', op.outputs, sig.outputs);
}

function checkDataflow(g: Graph, out: string[]): void {
  const written = new Set<number>();
  const dead = new Map<number, string>();
  const updated = new Set<number>();
  for (const op of g.ops) {
    const where = `op ${op.id} ${op.kind} (${op.name})`;
    for (const id of op.inputs) {
      const t = g.tensors[id];
      if (!t) continue;
      if (!isSource(t) && !written.has(id)) out.push(`${where}: reads ${t.name} before it is written`);
      if (dead.has(id)) out.push(`${where}: reads ${t.name} after ${dead.get(id)} overwrote it in place`);
    }
    const ip = op.attrs.inplace;
    if (ip !== undefined) {
      const src = g.tensors[op.inputs[ip]];
      const dst = g.tensors[op.outputs[0]];
      if (!src || !dst) out.push(`${where}: in-place input ${ip} missing`);
      else {
        if (src.dtype !== dst.dtype || src.shape.join(',') !== dst.shape.join(','))
          out.push(`${where}: in-place output ${dst.name} differs from ${src.name}`);
        dead.set(src.id, where);
        if (src.data) {
          if (op.phase !== 'update') out.push(`${where}: only update ops may overwrite the param ${src.name}`);
          if (!src.trainable) out.push(`${where}: updates the frozen param ${src.name}`);
          if (updated.has(src.id)) out.push(`${where}: updates ${src.name} a second time`);
          updated.add(src.id);
        }
      }
    }
    op.outputs.forEach((id, i) => {
      const t = g.tensors[id];
      if (!t) return;
      if (written.has(id)) out.push(`${where}: writes ${t.name} a second time`);
      if (isSource(t) && !(i === 0 && ip !== undefined)) out.push(`${where}: writes the source tensor ${t.name}`);
      written.add(id);
    });
    if (isKind(op, SAVED_INPUT_KINDS)) {
      const { k, inStride } = op.attrs;
      if (!(k >= 1 && k <= inStride)) out.push(`${where}: k = ${k} must be in [1, inStride = ${inStride}]`);
    }
  }
  for (const t of g.tensors) {
    if (t.trainable && t.data && !updated.has(t.id) && g.ops.some((o) => o.inputs.includes(t.id))) {
      out.push(`param ${t.name} is trainable but never updated`);
    }
  }
}

/** Checks the invariants above; throws VerifyError listing every problem. Returns the graph for chaining. */
export function verify(g: Graph): Graph {
  const problems: string[] = [];
  const ids = new Set<number>();
  for (const op of g.ops) {
    if (ids.has(op.id)) problems.push(`op id ${op.id} is used twice`);
    ids.add(op.id);
    checkSignature(op, g, problems);
  }
  g.tensors.forEach((t, i) => t.id !== i && problems.push(`tensor ${t.name} has id ${t.id} at index ${i}`));
  for (const [k, id] of Object.entries(g.io)) if (!g.tensors[id]) problems.push(`io.${k} is an unknown tensor ${id}`);
  checkDataflow(g, problems);
  if (problems.length) throw new VerifyError(problems);
  return g;
}
