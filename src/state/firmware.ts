/**
 * The code panel's sources: the firmware bundle the generator prints for the current plan and board (loaded
 * lazily with the kernel sources, only when the code panel opens), plus the plan as text. Each file carries
 * the layer of each line (the generator's map for the C, the IR ops' layer for the graph JSON) so the code view
 * takes part in linked highlighting.
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
