/**
 * The plan as readable text, for the code panel until the firmware generator exists: a header with the
 * figures, the arena buffers with their lifetimes, then one line per kernel call. Each line knows its layer,
 * so the code view can take part in linked highlighting.
 */
import type { PlanArg, TrainingPlan } from '../compiler/plan';
import { layerOfStep } from './selectors';

export interface SourceFile {
  name: string;
  language: 'c' | 'plaintext' | 'json';
  text: string;
  /** layer of each line (1-based line numbers → index line - 1), null where none */
  lineLayers: (string | null)[];
}

function arg(a: PlanArg, plan: TrainingPlan): string {
  switch (a.kind) {
    case 'arena':
      return `arena+${a.offset}`;
    case 'const':
      return plan.consts[a.id]?.name ?? `const${a.id}`;
    case 'i32':
    case 'f32':
      return String(a.value);
    case 'null':
      return 'NULL';
    case 'gscale':
      return `gscale(${plan.consts[a.qas]?.name ?? a.qas})`;
    default:
      return a.kind;
  }
}

export function planText(plan: TrainingPlan): SourceFile {
  const m = plan.metrics;
  const lines: string[] = [];
  const layers: (string | null)[] = [];
  const add = (s: string, layer: string | null = null) => {
    lines.push(s);
    layers.push(layer);
  };
  add(
    `// training plan: ${plan.model.name} ${plan.model.resolution}x${plan.model.resolution}, ${plan.model.classes} classes`,
  );
  add(`// scheme: ${plan.scheme}`);
  add(`// options: reorder=${plan.options.reorder} fusion=${plan.options.fusion}`);
  add(
    `// peak SRAM ${m.peakSramBytes} B = arena ${m.arenaBytes} B + trainable ${m.trainableSramBytes} B; flash ${m.flashBytes} B`,
  );
  add(`// ${m.planSteps} training steps, ${m.inferenceSteps} inference steps`);
  add('');
  add(`// arena buffers (offset, bytes, category, live steps)`);
  for (const b of plan.buffers) {
    add(
      `//   ${String(b.offset).padStart(7)} ${String(b.bytes).padStart(7)} ${b.category.padEnd(10)} ${b.firstStep}..${b.lastStep}  ${b.name}`,
    );
  }
  add('');
  add('void train_step(void) {');
  plan.steps.forEach((s, i) => {
    const call = `${s.kernel}(${s.args.map((a) => arg(a, plan)).join(', ')});`;
    add(
      `  /* ${String(i).padStart(4)} ${s.phase.padEnd(8)} ${s.op}${s.note ? ` ${s.note}` : ''} */ ${call}`,
      layerOfStep(plan, i),
    );
  });
  add('}');
  return { name: 'plan.txt', language: 'c', text: lines.join('\n'), lineLayers: layers };
}
