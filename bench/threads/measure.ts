/**
 * The measurement of `npm run bench -- threads`, shared by Node and the Chromium worker: mcunet-5fps 128x128
 * paper:99kb trained on MNIST (batch 1, pretrained backbone) through the executor, for each thread count;
 * samples/s over about `seconds` (rows interleaved in rounds of 20 steps), and the first losses, which must be
 * the same for every count.
 */
import { compile } from '../../src/compiler/compile';
import { PlanExecutor } from '../../src/runtime/kernels/executor';
import type { KernelModule } from '../../src/runtime/kernels/wasm';
import { fetchDataset } from '../../src/runtime/training/data';
import { fetchModelFile, transferModel } from '../../src/runtime/training/train-backbone';
import { splitExamples } from '../../src/runtime/training/train-data';
import { TrainingSession } from '../../src/runtime/training/train-session';

export interface ThreadRow {
  label: string;
  threads: number;
  samplesPerSec: number;
  steps: number;
  splitSteps: number;
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
  // rounds of 20 steps a row, rows interleaved: a change of the machine's load falls on every row alike
  while (runs.some((x) => x.ms < o.seconds * 1000)) {
    for (const x of runs) {
      x.ms += x.session.trainSteps(20).ms;
      x.steps += 20;
    }
  }
  return runs.map(({ r, mod, ex, losses, steps, ms }) => {
    const row = { ...r, samplesPerSec: (1000 * steps) / ms, steps, splitSteps: ex.splitSteps, losses };
    ex.dispose();
    mod.threads?.dispose();
    return row;
  });
}

/** The rows as text: samples/s, the ratio to the first row, and whether the losses equal the first row's. */
export function formatRows(where: string, rows: ThreadRow[]): string[] {
  const base = rows[0];
  return rows.map(
    (r) =>
      `${where.padEnd(16)} ${r.label.padEnd(34)} ${r.samplesPerSec.toFixed(1).padStart(7)} samples/s  ` +
      `x${(r.samplesPerSec / base.samplesPerSec).toFixed(2)}  ${String(r.splitSteps).padStart(3)} split steps  ` +
      `${r.steps} steps  first 8 losses ${r.losses.every((l, i) => l === base.losses[i]) ? 'identical' : 'DIFFER'}`,
  );
}
