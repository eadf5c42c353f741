/**
 * `npm run bench -- step [--steps N] [--scheme S] [--wasm a.wasm,b.wasm,...]`: where one mcunet-5fps@128 training
 * step spends its kernel time, build against build. Each build's executor runs the same steps interleaved
 * (image i on build A, then on build B, ...), every call timed alone on one thread; per call the minimum over the
 * steps is kept, so a figure approximates the call's unloaded time even on a shared machine, and builds compared
 * in one run see the same machine. Per kernel: summed minimum milliseconds, and for the forward convolutions their
 * GMAC/s over the step's layers. Default build: wasm/tt_kernels.wasm. To compare with an earlier commit's build:
 * `git show <commit>:wasm/tt_kernels.wasm > /tmp/old.wasm` and pass `--wasm /tmp/old.wasm,wasm/tt_kernels.wasm`.
 * Figures only: nothing here fails on a threshold.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { compile } from '../src/compiler/compile';
import { ROOT } from '../src/cli/train-run';
import { benchModel } from './model';
import { PlanExecutor } from '../src/runtime/kernels/executor';
import { loadWasm, paths } from '../src/runtime/testing/kernel-harness';
import { fetchDataset } from '../src/runtime/training/data';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** The forward kernel of each layer kind, whose GMAC/s the table reports. */
const FORWARD: Record<string, string> = {
  tt_pointwise_s8: 'pointwise',
  tt_depthwise_s8: 'depthwise',
  tt_conv_s8: 'conv',
};

export default async function run(args: string[] = []): Promise<void> {
  const steps = Number(option(args, '--steps') ?? 150);
  const scheme = option(args, '--scheme') ?? 'paper:99kb';
  const files = (option(args, '--wasm') ?? paths.wasmSimd).split(',');
  if (!(Number.isInteger(steps) && steps > 0)) throw new Error(`--steps must be a positive integer`);
  const data = await fetchDataset(
    join(ROOT, 'public', 'data'),
    'mnist',
    ['train'],
    async (p) => new Uint8Array(readFileSync(p)),
  );
  const { model } = benchModel('mcunet-5fps', 128);
  const plan = compile(model, scheme);
  const settings = { lr: 0.01, rounding: 'nearest', qas: true, seed: 1 } as const;
  const exs = await Promise.all(files.map(async (f) => PlanExecutor.load(await loadWasm(f), plan, settings)));
  const mins = files.map(() => new Float64Array(plan.steps.length).fill(Infinity));
  const times = new Float64Array(plan.steps.length);
  const img = new Int8Array(plan.input.bytes);
  const losses = files.map(() => [] as number[]);
  console.log(
    `mcunet-5fps@128 ${scheme}, ${plan.steps.length} calls a step, ${steps} steps interleaved over ${files.length} ` +
      `build(s); load average before: ${loadavg()
        .map((v) => v.toFixed(2))
        .join(' ')}`,
  );
  for (let i = 0; i < steps; i++) {
    const n = i % data.train.count;
    data.train.input(n, 128, plan.input.shape[2], img);
    exs.forEach((ex, k) => {
      times.fill(0);
      losses[k].push(ex.trainStepProfiled(img, data.train.label(n), times));
      for (let s = 0; s < times.length; s++) mins[k][s] = Math.min(mins[k][s], times[s]);
    });
  }
  // the builds must have done the same work: the same losses, step for step
  const same = losses.every((l) => l.every((v, i) => Object.is(v, losses[0][i])));
  const macs = new Map<string, number>();
  for (const l of plan.layers) macs.set(l.kind, (macs.get(l.kind) ?? 0) + l.macs);
  const kernels = [...new Set(plan.steps.map((s) => s.kernel))];
  const sum = (k: number, kernel: string | null) =>
    plan.steps.reduce((a, s, i) => a + (kernel === null || s.kernel === kernel ? mins[k][i] : 0), 0);
  const rows = kernels
    .map((kernel) => ({ kernel, ms: files.map((_, k) => sum(k, kernel)) }))
    .sort((a, b) => b.ms[0] - a.ms[0]);
  console.log(`\n| kernel | calls | ${files.map((f) => `${f} ms`).join(' | ')} |`);
  console.log(`|---|---|${files.map(() => '---').join('|')}|`);
  for (const r of rows) {
    const kind = FORWARD[r.kernel];
    const m = kind ? macs.get(kind) : undefined;
    const cell = (ms: number) => `${ms.toFixed(3)}${m ? ` (${(m / ms / 1e6).toFixed(1)} GMAC/s)` : ''}`;
    const calls = plan.steps.filter((s) => s.kernel === r.kernel).length;
    console.log(`| ${r.kernel} | ${calls} | ${r.ms.map(cell).join(' | ')} |`);
  }
  console.log(`| all kernels | ${plan.steps.length} | ${files.map((_, k) => sum(k, null).toFixed(3)).join(' | ')} |`);
  console.log(
    `\nforward MACs: ${[...macs]
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${k} ${(v / 1e6).toFixed(2)} M`)
      .join(', ')}; losses ${same ? 'identical across the builds, step for step' : 'DIFFER between the builds'}`,
  );
  console.log(
    `load average after: ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
  for (const ex of exs) ex.dispose();
}
