/**
 * The measurement of `npm run bench -- threads`, shared by Node and the Chromium worker: mcunet-5fps 128x128
 * paper:99kb trained on MNIST (batch 1, pretrained backbone) through the executor, for each thread count;
 * samples/s over about `seconds` (rows interleaved in rounds of `round` steps), and the first losses, which must be
 * the same for every count. Besides the wall clock, which a shared machine's load distorts, each row reports the
 * share of the step that runs split: the one-thread time of its split steps (each call timed alone on the first
 * row's executor, the fastest of several steps) over the one-thread step time.
 */
import { compile } from '../../src/compiler/compile';
import { PlanExecutor } from '../../src/runtime/kernels/executor';
import { medianOf } from '../../src/runtime/kernels/executor-mode';
import type { KernelModule } from '../../src/runtime/kernels/wasm';
import { fetchDataset } from '../../src/runtime/training/data';
import { fetchModelFile, transferModel } from '../../src/runtime/training/train-backbone';
import { splitExamples } from '../../src/runtime/training/train-data';
import { TrainingSession, type ExampleSource } from '../../src/runtime/training/train-session';

export interface ThreadRow {
  label: string;
  threads: number;
  samplesPerSec: number;
  steps: number;
  /** Split calls a training step makes (a band chain run by row ranges counts once: executor-chain.ts). */
  splitSteps: number;
  /** Band chains run by row ranges. */
  chains: number;
  /** Share of the one-thread step time in steps this row runs split (0..1). */
  splitShare: number;
  /** Programs (runs of steps handed to the threads as one job) a training step runs. */
  programs: number;
  /** Share of the training steps that ran split (the others ran whole: executor-mode.ts chose by timing). */
  ranSplit: number;
  /** Share of the training steps that ran pipelined by the frozen prefix (executor-pipeline.ts; counted in
   * ranSplit too), and the call where the prefix ends (0: no pipeline). */
  ranPipelined: number;
  prefixCalls: number;
  /** The pipeline's balance point at the end: calls prefixCalls..balance ran beside the prefix. */
  balance: number;
  /** The executor's timing windows (executor-mode.ts): how many, how many chose the whole step, and the median
   * over windows of each way's median step time (ms). */
  windows: { count: number; whole: number; threadsMs: number; wholeMs: number };
  losses: number[];
}

export interface MeasureOptions {
  /** The kernel module for a row (threads 1 may be the single-thread module). */
  load(threads: number, single: boolean): Promise<KernelModule>;
  get(path: string): Promise<Uint8Array>;
  dataBase: string;
  modelBase: string;
  rows: { label: string; threads: number; single: boolean }[];
  seconds: number;
  /** Steps a row runs before the next row's turn (default 20; the bench's command passes its own). */
  round?: number;
}

export async function measureThreads(o: MeasureOptions): Promise<ThreadRow[]> {
  const data = await fetchDataset(o.dataBase, 'mnist', ['train', 'test'], o.get);
  const file = await fetchModelFile(o.modelBase, 'mcunet-5fps', o.get);
  const model = transferModel({ model: 'mcunet-5fps', resolution: 128, classes: 10, pretrained: file, seed: 1 });
  const plan = compile(model, 'paper:99kb');
  const input = { resolution: 128, channels: plan.input.shape[2] };
  const runs = [];
  for (const r of o.rows) {
    const mod = await o.load(r.threads, r.single);
    const ex = PlanExecutor.load(mod, plan, { lr: 0.01, rounding: 'nearest', qas: true, seed: 1 });
    const session = () =>
      new TrainingSession(ex, splitExamples(data.train, input), splitExamples(data.test, input), plan.input.bytes, 1);
    const losses: number[] = [];
    session().trainSteps(8, (l) => losses.push(l));
    ex.resetWeights(1);
    runs.push({ r, mod, ex, session: session(), losses, steps: 0, ms: 0 });
  }
  const perStep = profileSteps(runs[0].ex, splitExamples(data.train, input), plan.input.bytes);
  const total = perStep.reduce((a, b) => a + b, 0);
  // rounds of `round` steps a row, rows interleaved: a change of the machine's load falls on every row alike
  const round = o.round ?? 20;
  while (runs.some((x) => x.ms < o.seconds * 1000)) {
    for (const x of runs) {
      x.ms += x.session.trainSteps(round).ms;
      x.steps += round;
    }
  }
  return runs.map(({ r, mod, ex, losses, steps, ms }) => {
    const plan = ex.threadPlan();
    const splitShare = perStep.reduce((a, t, i) => a + (plan.split[i] ? t : 0), 0) / total;
    const programs = plan.programs.length;
    const runs = ex.splitRuns;
    const ranSplit = runs.runs ? runs.split / runs.runs : 0;
    const piped = ex.pipelineRuns;
    const ranPipelined = runs.runs ? piped.steps / runs.runs : 0;
    const row = {
      ...r,
      samplesPerSec: (1000 * steps) / ms,
      steps,
      splitSteps: ex.splitSteps,
      chains: plan.chains.length,
      splitShare,
      programs,
      ranSplit,
      ranPipelined,
      prefixCalls: piped.cut,
      balance: piped.balance,
      windows: windowSummary(runs.windows),
      losses,
    };
    ex.dispose();
    mod.threads?.dispose();
    return row;
  });
}

function windowSummary(ws: { medians: number[]; way: number }[]): ThreadRow['windows'] {
  const last = (w: { medians: number[] }) => w.medians.length - 1;
  return {
    count: ws.length,
    whole: ws.filter((w) => w.way === last(w)).length,
    threadsMs: medianOf(ws.map((w) => w.medians[0])),
    wholeMs: medianOf(ws.map((w) => w.medians[last(w)])),
  };
}

/** Per plan step: its fastest time (ms) over rounds of profiled steps on `ex` (the one-thread row). */
function profileSteps(ex: PlanExecutor, train: ExampleSource, bytes: number): number[] {
  const n = ex.plan.steps.length;
  const best = new Float64Array(n).fill(Infinity);
  const image = new Int8Array(bytes);
  for (let round = 0; round < 10; round++) {
    const t = new Float64Array(n);
    for (let k = 0; k < 4; k++) {
      const j = (round * 4 + k) % train.size;
      train.image(j, image);
      ex.trainStepProfiled(image, train.label(j), t);
    }
    t.forEach((v, i) => (best[i] = Math.min(best[i], v / 4)));
  }
  ex.resetWeights(1);
  return Array.from(best);
}

/** The rows as text: samples/s, the ratio to the first row, and whether the losses equal the first row's. */
export function formatRows(where: string, rows: ThreadRow[]): string[] {
  const base = rows[0];
  return rows.map(
    (r) =>
      `${where.padEnd(16)} ${r.label.padEnd(34)} ${r.samplesPerSec.toFixed(1).padStart(7)} samples/s  ` +
      `x${(r.samplesPerSec / base.samplesPerSec).toFixed(2)}  ${String(r.splitSteps).padStart(3)} split calls (${r.chains} chains) ` +
      `(${(100 * r.splitShare).toFixed(1).padStart(4)}% of the 1-thread step) ${String(r.programs).padStart(2)} programs, ` +
      `${(100 * r.ranSplit).toFixed(0).padStart(3)}% of steps on threads (${(100 * r.ranPipelined).toFixed(0)}% pipelined, ` +
      `prefix of ${r.prefixCalls} calls, beside it ${r.balance - r.prefixCalls})  ` +
      (r.windows.count
        ? `${r.windows.count} timing windows, ${r.windows.whole} chose whole (median step ${r.windows.threadsMs.toFixed(2)} ms ` +
          `on threads, ${r.windows.wholeMs.toFixed(2)} whole)  `
        : '') +
      `${r.steps} steps  first 8 losses ${r.losses.every((l, i) => l === base.losses[i]) ? 'identical' : 'DIFFER'}`,
  );
}
