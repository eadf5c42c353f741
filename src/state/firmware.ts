/**
 * The code panel's sources: the firmware bundle the generator prints for the current plan and board (loaded
 * lazily with the kernel sources, only when the code panel opens), plus the plan as text. Each file carries
 * the layer of each line (the generator's map for the C, the IR ops' layer for the graph JSON) so the code view
 * takes part in linked highlighting.
 */
import type { BundleContents, FirmwareFit, FirmwareSample } from '../compiler/codegen';
import { compileWithGraph } from '../compiler/compile';
import { applyTrainable, weightsChecksum } from '../compiler/models/trained';
import { graphToJson } from '../compiler/ir/dump';
import { runSettingsOf } from '../compiler/settings';
import type { Graph } from '../compiler/ir/graph';
import type { TrainingPlan } from '../compiler/plan';
import { boardById } from '../compiler/boards';
import type { Experiment } from './experiment';
import { planText } from './plan-text';
import type { SourceFile } from './plan-text';
import type { CompiledView } from './compile';
import { useTraining } from './training';
import { useUserData } from './user-data';
import { defaultSampleCount } from '../compiler/codegen/samples';

/** Which weights a bundle embeds: the compiled model's (the backbone or an opened file), or the worker's now. */
export type WeightsChoice = 'initial' | 'trained';

/** What a bundle is generated from: the plan with its weights, the samples, the class names, the README facts. */
export interface FirmwareInputs {
  plan: TrainingPlan;
  graph: Graph | null;
  samples: FirmwareSample[];
  /** The page's predictions for the samples, with the embedded weights (the demo's "before" lines). */
  predictions: number[];
  labels: string[];
  contents: BundleContents;
  /** Training steps behind the weights (0: as compiled). */
  step: number;
}

/**
 * Gathers a bundle's inputs. 'trained' reads the worker's trainable tensors (pausing training), maps them back
 * onto the page's model and compiles that model again - the same plan, now carrying what was learned. The
 * samples are the first held-out images of the data the worker trains on, with the class names.
 */
export async function firmwareInputs(compiled: CompiledView, choice: WeightsChoice): Promise<FirmwareInputs> {
  const { plan, model, weights } = compiled;
  if (!plan || !model || !weights) throw new Error('no plan to generate firmware from');
  if (weights.status === 'loading') throw new Error('the pretrained backbone is still loading');
  if (weights.status === 'error') throw new Error(weights.error ?? 'the weights could not be loaded');
  const training = useTraining.getState();
  let out = { plan, graph: compiled.graph, model, step: 0 };
  if (choice === 'trained') {
    if (training.loadedPlan !== plan) throw new Error('the worker holds another plan: train this one first');
    const snap = await training.snapshot();
    if (!snap || snap.step === 0) throw new Error('nothing trained yet: train first, or choose the pretrained weights');
    const trained = applyTrainable(model, plan, snap.trainable);
    const again = compileWithGraph(trained, plan.scheme, plan.options);
    out = { plan: again.plan, graph: again.graph, model: trained, step: snap.step };
  }
  const held = await training.samples(defaultSampleCount(plan.input.bytes));
  const user = useUserData.getState().classes.map((c) => c.name);
  const names = held.classNames ?? user;
  const labels = Array.from({ length: plan.model.classes }, (_, i) => names[i] ?? `class ${i}`);
  const sha = weights.sha256 ? `, sha256 ${weights.sha256}` : '';
  const origin =
    weights.origin === 'backbone'
      ? `pretrained backbone ${weights.fileName}${sha}, fresh classifier for ${plan.model.classes} classes`
      : `model file ${weights.fileName}${sha}`;
  return {
    plan: out.plan,
    graph: out.graph,
    samples: held.samples.map((x) => ({ label: x.label, image: x.image })),
    predictions: choice === 'trained' ? held.samples.map((x) => x.predicted) : [],
    labels,
    step: out.step,
    contents: {
      weights: out.step > 0 ? `${origin}, then trained on the playground page for ${out.step} steps` : origin,
      checksum: weightsChecksum(out.model),
      data: `the first ${held.samples.length} images of ${held.source}`,
    },
  };
}

export interface FirmwareView {
  name: string;
  files: SourceFile[];
  fit: FirmwareFit | null;
  /** why the generator failed, if it did (the plan text is still shown) */
  error: string | null;
  /** the zip of the whole bundle */
  zip(): Promise<{ fileName: string; bytes: Uint8Array }>;
}

const FIRST_FILES = ['model/tt_model.c', 'model/tt_model.h', 'README.md', 'Makefile'];

function language(path: string): SourceFile['language'] {
  return /\.[ch]$/.test(path) ? 'c' : /\.json$/.test(path) ? 'json' : 'plaintext';
}

/** The pruned training graph as JSON (the paper's export format: ops with typed inputs and outputs). */
function graphFile(graph: Graph, plan: TrainingPlan): SourceFile {
  const json = graphToJson(graph);
  const lines = ['{', `  "format": "${json.format}",`, `  "version": ${json.version},`, '  "ops": ['];
  const layers: (string | null)[] = [null, null, null, null];
  const layerName = new Map(plan.layers.map((l) => [l.index, l.name]));
  json.ops.forEach((op, i) => {
    lines.push(`    ${JSON.stringify(op)}${i < json.ops.length - 1 ? ',' : ''}`);
    const index = graph.ops[i].layer;
    layers.push(index === undefined ? null : (layerName.get(index) ?? null));
  });
  lines.push('  ]', '}');
  return { name: 'training-graph.json', language: 'json', text: lines.join('\n'), lineLayers: layers };
}

export async function loadFirmware(
  plan: TrainingPlan,
  graph: Graph | null,
  e: Experiment,
  inputs?: Pick<FirmwareInputs, 'samples' | 'labels' | 'contents'>,
): Promise<FirmwareView> {
  const planFile = planText(plan);
  const extra = graph ? [planFile, graphFile(graph, plan)] : [planFile];
  const settings = runSettingsOf(e);
  const board = boardById(e.board);
  const [{ generateFirmware, bundleToZip }, { loadKernelSources }] = await Promise.all([
    import('../compiler/codegen'),
    import('../compiler/codegen/kernel-sources.vite'),
  ]);
  try {
    const bundle = generateFirmware(plan, { board, settings, kernelSources: await loadKernelSources(), ...inputs });
    const paths = Object.keys(bundle.files).sort((a, b) => {
      const ia = FIRST_FILES.indexOf(a);
      const ib = FIRST_FILES.indexOf(b);
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
    });
    const files: SourceFile[] = paths.map((p) => ({
      name: p,
      language: language(p),
      text: bundle.files[p],
      lineLayers: bundle.lineLayers[p] ?? [],
    }));
    return {
      name: bundle.name,
      files: [...files, ...extra],
      fit: bundle.fit,
      error: null,
      zip: async () => ({ fileName: `${bundle.name}.zip`, bytes: bundleToZip(bundle.files, bundle.name) }),
    };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    return {
      name: 'plan',
      files: extra,
      fit: null,
      error,
      zip: async () => ({ fileName: 'plan.zip', bytes: bundleToZip({ 'plan.txt': planFile.text }, 'plan') }),
    };
  }
}
