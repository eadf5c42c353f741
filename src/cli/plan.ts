/**
 * `tinytrain plan`: compile a training plan and print its figures (one JSON object with --json).
 * compileMs is the median over --repeat compilations of the same plan (the first one included).
 */
import { BOARD_IDS, type BoardId } from '../compiler/boards';
import { deviceFit } from '../compiler/codegen/device-fit';
import { compileWithGraph } from '../compiler/compile';
import { graphToJson } from '../compiler/ir/dump';
import { dumpPlan } from '../compiler/memory/planner';
import { MODEL_NAMES } from '../compiler/models/arch';
import type { TrainingPlan } from '../compiler/plan';
import { paperBudgets } from '../compiler/scheme/paper';
import {
  classesOption,
  enumOption,
  intOption,
  modelOption,
  parseOptions,
  resolutionOption,
  schemeOption,
  seedOption,
} from './args';
import { EXIT_CODES_HELP, UsageError, type CliIo, type Subcommand } from './command';
import { checkFitsSomeBoard, classifierOption, importedWithWeights, isModelPath, loadImportedModel } from './imported';
import { modelWithWeights, weightsChoice } from './weights';

const USAGE = `usage: tinytrain plan --model M [--resolution R] [--classes C] [--scheme S] [options]

  --model M        ${MODEL_NAMES.join(' | ')}, or a model file PATH.tflite | PATH.onnx (int8; its input
                   size is the file's; one that fits no board is refused, exit 3)
  --classifier N|keep  (model file) the file's fc N (0 = first) becomes a fresh classifier for --classes
                   (default: the last fc, replaced only when --classes differs); keep: the file's own
  --resolution R   input height = width, 32..224 (tiny-cnn: 8..224); default: the model's (128, tiny-cnn 32)
  --classes C      number of classes, 2..1000 (default 10; a model file: its classifier's)
  --scheme S       sparse-update scheme (default full): full | classifier | bias-only | last:K |
                   paper:<budget> | bias:N | bias=i,j,a-b | w:i@ratio,...  (clauses joined by ';')
                   e.g. 'bias:22;w:21@1,24@1,27@1,30@1,36@1/8,39@1/4'
  --no-reorder     compute all gradients first, update at the end (no fused gradient+update kernels)
  --no-fusion      materialize frozen blocks instead of running them band by band
  --no-split       keep a partially updated pointwise weight whole in SRAM (default: only its updated input
                   channels in SRAM, the rest in flash, assembled in scratch where a kernel reads it whole)
  weights (one of; default: the pretrained backbone public/models/<model>.json, as the page uses it):
  --pretrained F   a backbone model file F.json (blob F.bin beside it) or F.tinytrain.zip; fresh classifier
  --weights F      a trained model file (every layer, the classifier included)
  --no-pretrained  seeded random weights
  --seed N         seed of the random weights, 0..2147483647 (default 1)
  --repeat N       compile N times, report the median compileMs, 1..1000 (default 5)
  --json           print one JSON object with the figures
  --board B        ${BOARD_IDS.join(' | ')} (default stm32f746): the device fit (as the page shows it)
  --budget KB      SRAM budget in KB, 16..8192 (default 256)
  --memory         print the arena plan (one line per buffer)
  --graph          print the pruned training graph as JSON
  --steps          print the kernel calls

published schemes: ${(['mcunet-5fps', 'mbv2-w0.35', 'proxyless-w0.3'] as const)
  .map(
    (m) =>
      `${m}: ${paperBudgets(m)
        .map((b) => `paper:${b}`)
        .join(', ')}`,
  )
  .join('; ')}

${EXIT_CODES_HELP}`;

const OPTIONS = {
  model: { type: 'string' },
  classifier: { type: 'string' },
  resolution: { type: 'string' },
  classes: { type: 'string' },
  scheme: { type: 'string' },
  'no-reorder': { type: 'boolean' },
  'no-fusion': { type: 'boolean' },
  'no-split': { type: 'boolean' },
  pretrained: { type: 'string' },
  seed: { type: 'string' },
  repeat: { type: 'string' },
  json: { type: 'boolean' },
  weights: { type: 'string' },
  'no-pretrained': { type: 'boolean' },
  board: { type: 'string' },
  budget: { type: 'string' },
  memory: { type: 'boolean' },
  graph: { type: 'boolean' },
  steps: { type: 'boolean' },
} as const;

/** What is alive at the training step with the highest total (arena buffers by category, trainable weights). */
function atPeak(p: TrainingPlan) {
  let at = 0;
  p.timeline.forEach((t, i) => t.total > p.timeline[at].total && (at = i));
  const live = p.buffers.filter((b) => b.firstStep <= at && at <= b.lastStep);
  const weightGradientBytes = live.filter((b) => /^g:.*\.(weight|bias)$/.test(b.name)).reduce((s, b) => s + b.bytes, 0);
  return {
    step: at,
    kernel: p.steps[at]?.kernel,
    op: p.steps[at]?.op,
    bytes: p.timeline[at]?.bytes,
    weightGradientBytes,
  };
}

/** The figures printed by --json; `device` is the page's fit verdict (header, timeline, Code panel). */
export function planSummary(p: TrainingPlan, device = { board: 'stm32f746' as BoardId, budgetKb: 256, qas: true }) {
  const m = p.metrics;
  const f = deviceFit(p, device);
  return {
    model: p.model.name,
    resolution: p.model.resolution,
    classes: p.model.classes,
    scheme: p.scheme,
    reorder: p.options.reorder,
    fusion: p.options.fusion,
    split: p.options.split,
    peakSramBytes: m.peakSramBytes,
    arenaBytes: m.arenaBytes,
    trainableSramBytes: m.trainableSramBytes,
    flashBytes: m.flashBytes,
    planSteps: m.planSteps,
    compileMs: Math.round(m.compileMs * 100) / 100,
    inferenceArenaBytes: m.inferenceArenaBytes,
    inferenceSteps: m.inferenceSteps,
    paperBudgetBytes: m.paperBudgetBytes,
    fusedBlocks: m.fusedBlocks,
    forwardMacs: m.forwardMacs,
    peakByCategory: m.peakByCategory,
    atPeak: atPeak(p),
    device: {
      board: device.board,
      budgetKb: device.budgetKb,
      deviceSramBytes: f.deviceSramBytes,
      flashBytes: f.flashBytes,
      fits: f.fits,
      verdict: f.verdict,
    },
  };
}

const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;

/** The model to plan: a built-in with its weights (the page's: the pretrained backbone by default, weights.ts)
 * or a .tflite / .onnx file (imported.ts). */
function planModel(v: ReturnType<typeof parseOptions<typeof OPTIONS>>, seed: number) {
  if (!isModelPath(v.model)) {
    if (v.classifier !== undefined) throw new UsageError('--classifier is for a .tflite / .onnx --model');
    const name = modelOption(v.model);
    const resolution = resolutionOption(name, v.resolution);
    const classes = classesOption(v.classes);
    return modelWithWeights(weightsChoice(v, name), { model: name, resolution, classes, seed });
  }
  for (const flag of ['resolution', 'pretrained', 'no-pretrained'] as const)
    if (v[flag] !== undefined) throw new UsageError(`--${flag} does not go with a model file (it fixes the input)`);
  const classes = v.classes === undefined ? undefined : classesOption(v.classes);
  const m = loadImportedModel(v.model, { classifier: classifierOption(v.classifier), classes, seed });
  return v.weights === undefined ? m : importedWithWeights(m, v.weights);
}

function run(args: string[], io: CliIo): number {
  const v = parseOptions(args, OPTIONS);
  const repeat = intOption('repeat', v.repeat, 5, 1, 1000);
  const seed = seedOption(v.seed);
  const scheme = schemeOption(v.scheme, 'full');
  const model = planModel(v, seed);
  const resolution = model.resolution;
  const classes = model.classes;
  const options = { reorder: !v['no-reorder'], fusion: !v['no-fusion'], split: !v['no-split'] };
  const runs = Array.from({ length: repeat }, () => compileWithGraph(model, scheme, options));
  const times = runs.map((r) => r.plan.metrics.compileMs).sort((a, b) => a - b);
  const { plan, graph } = runs[runs.length - 1];
  plan.metrics.compileMs = times[Math.floor((times.length - 1) / 2)];
  if (v.memory) io.out(dumpPlan(plan.buffers, plan.metrics.arenaBytes, plan.steps.length));
  if (v.graph) io.out(JSON.stringify(graphToJson(graph), null, 1));
  if (v.steps)
    plan.steps.forEach((s, i) =>
      io.out(
        `${String(i).padStart(5)} ${s.phase.padEnd(8)} ${s.kernel.padEnd(28)} ${s.op}${s.note ? `  ${s.note}` : ''}`,
      ),
    );
  const board = enumOption('board', v.board, 'stm32f746', BOARD_IDS);
  const budgetKb = intOption('budget', v.budget, 256, 16, 8192);
  if (isModelPath(v.model)) checkFitsSomeBoard(plan);
  const sum = planSummary(plan, { board, budgetKb, qas: true });
  if (v.json) io.out(JSON.stringify(sum));
  else if (!v.memory && !v.graph && !v.steps) {
    io.out(
      `${sum.model} ${model.inputShape.slice(0, 2).join('x')}, ${classes} classes, scheme ${sum.scheme} (reorder ${options.reorder ? 'on' : 'off'}, fusion ${options.fusion ? 'on' : 'off'}, split ${options.split ? 'on' : 'off'})`,
    );
    io.out(
      `  peak SRAM  ${kb(sum.peakSramBytes)} = arena ${kb(sum.arenaBytes)} + trainable ${kb(sum.trainableSramBytes)}`,
    );
    io.out(`  flash      ${kb(sum.flashBytes)} of constants; firmware image ${kb(sum.device.flashBytes)}`);
    io.out(
      `  device     ${board}: SRAM ${kb(sum.device.deviceSramBytes)} with stack, heap and runtime; budget ${budgetKb} KB: ${sum.device.verdict}`,
    );
    io.out(
      `  latency    ${deviceFit(plan, { board, budgetKb, qas: true }).latencyText} (an estimate: README, latency model)`,
    );
    io.out(
      `  plan       ${sum.planSteps} kernel calls (inference ${sum.inferenceSteps}), ${sum.fusedBlocks} fused blocks, compiled in ${sum.compileMs} ms`,
    );
  }
  return 0;
}

export const planCommand: Subcommand = {
  summary: 'compile a training plan and print its memory figures',
  usage: USAGE,
  run,
};
