/**
 * The code panel's sources: the firmware bundle the generator prints for the current plan and board (loaded
 * lazily with the kernel sources, only when the code panel opens), plus the plan as text. Each file carries
 * the layer of each line so the code view takes part in linked highlighting.
 */
import type { FirmwareFit } from '../compiler/codegen';
import { graphToJson } from '../compiler/ir/dump';
import { runSettingsOf } from '../compiler/settings';
import type { Graph } from '../compiler/ir/graph';
import type { TrainingPlan } from '../compiler/plan';
import { boardById } from './boards';
import type { Experiment } from './experiment';
import { planText } from './plan-text';
import type { SourceFile } from './plan-text';
import { opBelongsTo } from './selectors';

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

/** Layer of each line of generated C: a `/* <op> (<phase>) *\/` comment opens a layer's calls. */
export function lineLayersOf(text: string, plan: TrainingPlan): (string | null)[] {
  const names = plan.layers.map((l) => l.name);
  let current: string | null = null;
  return text.split('\n').map((line) => {
    const m = /^\s*\/\* (\S+) \((forward|backward|update)\) \*\//.exec(line);
    if (m) current = names.find((n) => opBelongsTo(m[1], n)) ?? null;
    else if (/^\s*\/\* plan steps /.test(line) || /^}/.test(line)) current = null;
    return line.trim() ? current : null;
  });
}

/** The pruned training graph as JSON (the paper's export format: ops with typed inputs and outputs). */
function graphFile(graph: Graph, plan: TrainingPlan): SourceFile {
  const json = graphToJson(graph);
  const lines = ['{', `  "format": "${json.format}",`, `  "version": ${json.version},`, '  "ops": ['];
  const layers: (string | null)[] = [null, null, null, null];
  json.ops.forEach((op, i) => {
    lines.push(`    ${JSON.stringify(op)}${i < json.ops.length - 1 ? ',' : ''}`);
    layers.push(plan.layers.find((l) => opBelongsTo(op.name, l.name))?.name ?? null);
  });
  lines.push('  ]', '}');
  return { name: 'training-graph.json', language: 'json', text: lines.join('\n'), lineLayers: layers };
}

export async function loadFirmware(plan: TrainingPlan, graph: Graph | null, e: Experiment): Promise<FirmwareView> {
  const planFile = planText(plan);
  const extra = graph ? [planFile, graphFile(graph, plan)] : [planFile];
  const settings = runSettingsOf(e);
  const board = boardById(e.board);
  const [{ generateFirmware, bundleToZip }, { loadKernelSources }] = await Promise.all([
    import('../compiler/codegen'),
    import('../compiler/codegen/kernel-sources.vite'),
  ]);
  try {
    const bundle = generateFirmware(plan, { board, settings, kernelSources: await loadKernelSources() });
    const paths = Object.keys(bundle.files).sort((a, b) => {
      const ia = FIRST_FILES.indexOf(a);
      const ib = FIRST_FILES.indexOf(b);
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
    });
    const files: SourceFile[] = paths.map((p) => ({
      name: p,
      language: language(p),
      text: bundle.files[p],
      lineLayers: p === 'model/tt_model.c' ? lineLayersOf(bundle.files[p], plan) : [],
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
