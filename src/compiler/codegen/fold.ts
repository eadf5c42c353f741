/**
 * Loop folding for generated C: a fused frozen block runs band by band, so a plan repeats the same few kernel
 * calls dozens of times with only the row bounds (r0, r1) moving by a constant step. Printing them one by one
 * would give thousands of lines and tens of KB of flash; folding them into `for` loops keeps the firmware short
 * while calling exactly the same kernels with exactly the same arguments in exactly the same order.
 *
 * A call is a kernel name and its arguments, each fixed C text, an integer (row bounds) or an integer inside
 * fixed text (arena offsets: a band of a residual add moves through its tensors row by row). A run of `reps`
 * blocks of `period` calls folds when every block has the same kernels and fixed texts as the first, and every
 * integer equals base + rep * delta (delta taken from the first two blocks). At each position the longest such run
 * (periods 1..maxPeriod, at least minReps blocks) wins; otherwise the call is printed alone. Calls marked
 * `unique` (the loss) never fold.
 */

/** Fixed C text, an integer, or an integer inside fixed text (`fmt` with '#' where the number goes). */
export type CallArg = string | number | { fmt: string; n: number };

export interface Call {
  kernel: string;
  args: CallArg[];
  /** Plan step index, for comments. */
  step: number;
  /** Never folded into a loop. */
  unique?: boolean;
}

/** An argument of a loop body call: fixed text, or base + delta * (loop index), inside `fmt` when given. */
export type LoopArg = string | { base: number; delta: number; fmt?: string };

const num = (a: CallArg): number | null => (typeof a === 'number' ? a : typeof a === 'object' ? a.n : null);
const shape = (a: CallArg): string => (typeof a === 'number' ? '#' : typeof a === 'object' ? a.fmt : `=${a}`);

export type Folded =
  | { kind: 'call'; call: Call }
  | { kind: 'loop'; reps: number; body: { kernel: string; args: LoopArg[] }[]; calls: Call[] };

function sameShape(a: Call, b: Call): boolean {
  if (a.unique || b.unique || a.kernel !== b.kernel || a.args.length !== b.args.length) return false;
  return a.args.every((x, i) => shape(x) === shape(b.args[i]));
}

/** Repetitions of the block calls[i .. i+period) starting at i, or 0 when it does not repeat at least twice. */
function repsAt(calls: readonly Call[], i: number, period: number): number {
  if (i + 2 * period > calls.length) return 0;
  for (let k = 0; k < period; k++) if (!sameShape(calls[i + k], calls[i + period + k])) return 0;
  const delta = (k: number, j: number) => num(calls[i + period + k].args[j])! - num(calls[i + k].args[j])!;
  let reps = 2;
  for (; i + (reps + 1) * period <= calls.length; reps++) {
    const ok = calls.slice(i, i + period).every((c, k) => {
      const d = calls[i + reps * period + k];
      if (!sameShape(c, d)) return false;
      return c.args.every((x, j) => num(x) === null || num(d.args[j]) === num(x)! + reps * delta(k, j));
    });
    if (!ok) break;
  }
  return reps;
}

/** Folds repeated blocks of calls into loops (see the module comment). */
export function foldCalls(calls: readonly Call[], maxPeriod = 8, minReps = 3): Folded[] {
  const out: Folded[] = [];
  let i = 0;
  while (i < calls.length) {
    let best = { period: 0, reps: 0 };
    for (let p = 1; p <= maxPeriod; p++) {
      const reps = repsAt(calls, i, p);
      if (reps >= minReps && reps * p > best.reps * best.period) best = { period: p, reps };
    }
    if (best.period === 0) {
      out.push({ kind: 'call', call: calls[i] });
      i++;
      continue;
    }
    const { period, reps } = best;
    const body = calls.slice(i, i + period).map((c, k) => ({
      kernel: c.kernel,
      args: c.args.map((x, j): LoopArg => {
        if (typeof x === 'string') return x;
        const base = num(x)!;
        const delta = num(calls[i + period + k].args[j])! - base;
        return typeof x === 'number' ? { base, delta } : { base, delta, fmt: x.fmt };
      }),
    }));
    out.push({ kind: 'loop', reps, body, calls: calls.slice(i, i + reps * period) });
    i += reps * period;
  }
  return out;
}

/** Expands folded output back into the flat call list (what the C executes), for tests and checks. */
export function unfold(folded: readonly Folded[]): { kernel: string; args: CallArg[] }[] {
  return folded.flatMap((f) => {
    if (f.kind === 'call') return [{ kernel: f.call.kernel, args: f.call.args }];
    const out: { kernel: string; args: CallArg[] }[] = [];
    for (let r = 0; r < f.reps; r++) {
      for (const b of f.body) {
        const args = b.args.map((a): CallArg => {
          if (typeof a === 'string') return a;
          const n = a.base + r * a.delta;
          return a.fmt === undefined ? n : { fmt: a.fmt, n };
        });
        out.push({ kernel: b.kernel, args });
      }
    }
    return out;
  });
}
