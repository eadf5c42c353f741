/**
 * `npm run bench -- compile [repeats]`: compile time of the training plan of each backbone at 128x128,
 * 10 classes, for every published scheme (and full, bias-only), median / p90 / min over `repeats` runs after
 * 5 warm-up runs. The target (issue #3): median under 50 ms for mcunet-5fps with any published scheme.
 */
import { compile } from '../src/compiler/compile';
import { buildModel } from '../src/compiler/models/model';
import { paperBudgets } from '../src/compiler/scheme/paper';

export default async function bench(args: string[]): Promise<void> {
  const repeats = Number(args[0] ?? 30);
  console.log(`compile time at 128x128, 10 classes; ${repeats} runs after 5 warm-up runs (ms)`);
  console.log(
    `${'model'.padEnd(16)}${'scheme'.padEnd(14)}${'median'.padStart(8)}${'p90'.padStart(8)}${'min'.padStart(8)}  steps`,
  );
  for (const name of ['mcunet-5fps', 'mbv2-w0.35', 'proxyless-w0.3']) {
    const t0 = performance.now();
    const model = buildModel({ model: name, resolution: 128, classes: 10 });
    console.log(`${name}: buildModel ${(performance.now() - t0).toFixed(1)} ms`);
    for (const scheme of [...paperBudgets(name).map((b) => `paper:${b}`), 'bias-only', 'full']) {
      for (let i = 0; i < 5; i++) compile(model, scheme);
      const times: number[] = [];
      let steps = 0;
      for (let i = 0; i < repeats; i++) {
        const p = compile(model, scheme);
        times.push(p.metrics.compileMs);
        steps = p.metrics.planSteps;
      }
      times.sort((a, b) => a - b);
      const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(2);
      console.log(
        `${''.padEnd(16)}${scheme.padEnd(14)}${at(0.5).padStart(8)}${at(0.9).padStart(8)}${at(0).padStart(8)}  ${steps}`,
      );
    }
  }
}
