/**
 * Loop folding for generated C: a fused frozen block runs band by band, so a plan repeats the same few kernel
 * calls dozens of times with only the row bounds (r0, r1) moving by a constant step. Printing them one by one
 * would give thousands of lines and tens of KB of flash; folding them into `for` loops keeps the firmware short
 * while calling exactly the same kernels with exactly the same arguments in exactly the same order.
 *
 * A call is a kernel name and its arguments, each either fixed C text or an integer. A run of `reps` blocks of
 * `period` calls folds when every block has the same kernels and fixed texts as the first, and every integer
 * equals base + rep * delta (delta taken from the first two blocks). At each position the longest such run
 * (periods 1..maxPeriod, at least minReps blocks) wins; otherwise the call is printed alone. Calls marked
 * `unique` (the loss) never fold.
 */

export type CallArg = string | number;

export interface Call {
  kernel: string;
  args: CallArg[];
  /** Plan step index, for comments. */
  step: number;
  /** Never folded into a loop. */
  unique?: boolean;
}

/** An argument of a loop body call: fixed text, or base + delta * (loop index). */
export type LoopArg = string | { base: number; delta: number };

export type Folded =
  | { kind: 'call'; call: Call }
  | { kind: 'loop'; reps: number; body: { kernel: string; args: LoopArg[] }[]; calls: Call[] };

function sameShape(a: Call, b: Call): boolean {
  if (a.unique || b.unique || a.kernel !== b.kernel || a.args.length !== b.args.length) return false;
  return a.args.every((x, i) => (typeof x === 'number' ? typeof b.args[i] === 'number' : x === b.args[i]));
}

/** Repetitions of the block calls[i .. i+period) starting at i, or 0 when it does not repeat at least twice. */
function repsAt(calls: readonly Call[], i: number, period: number): number {
  if (i + 2 * period > calls.length) return 0;
  for (let k = 0; k < period; k++) if (!sameShape(calls[i + k], calls[i + period + k])) return 0;
  const delta = (k: number, j: number) => (calls[i + period + k].args[j] as number) - (calls[i + k].args[j] as number);
  let reps = 2;
  for (; i + (reps + 1) * period <= calls.length; reps++) {
    const ok = calls.slice(i, i + period).every((c, k) => {
      const d = calls[i + reps * period + k];
      if (!sameShape(c, d)) return false;
      return c.args.every((x, j) => typeof x !== 'number' || d.args[j] === x + reps * delta(k, j));
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
        if (typeof x !== 'number') return x;
        return { base: x, delta: (calls[i + period + k].args[j] as number) - x };
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
      for (const b of f.body) out.push({ kernel: b.kernel, args: b.args.map((a) => (typeof a === 'string' ? a : a.base + r * a.delta)) });
    }
    return out;
  });
}
