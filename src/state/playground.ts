/**
 * The playground store: the experiment, its compiled plans (with and without reordering, for the comparison),
 * the notices shown to the user and the linked-highlight hover. Every edit recompiles at once; the URL follows
 * the experiment (url-sync.ts).
 */
import { create } from 'zustand';
import { ARCHS } from '../compiler/models/arch';
import { boardById } from './boards';
import { PENDING, compileExperiment, describeModel, presetScheme, withComparison } from './compile';
import type { CompiledView, ModelInfo } from './compile';
import { defaultFieldValues } from './experiment';
import type { Experiment, LayerUpdate } from './experiment';
import { decodeExperiment } from './url';

export interface Notice {
  level: 'info' | 'warn' | 'error';
  text: string;
}

/** Where a hover came from, so a view does not scroll itself while the user is pointing at it. */
export type HoverSource = 'graph' | 'table' | 'timeline' | 'code';

export interface PlaygroundState {
  experiment: Experiment;
  compiled: CompiledView;
  /** messages about the URL that opened the page; dismissible */
  urlNotices: Notice[];
  /** why the last edit was adjusted (e.g. a budget larger than the board's SRAM); replaced by the next edit */
  editNotices: Notice[];
  hoverLayer: string | null;
  hoverSource: HoverSource | null;
  update(patch: Partial<Experiment>): void;
  setLayer(index: number, u: LayerUpdate): void;
  applyPreset(id: string): void;
  /** Replaces the experiment with what a share fragment says (bad parts become defaults plus notices). */
  loadFragment(fragment: string): void;
  setHover(layer: string | null, source?: HoverSource): void;
  dismissUrlNotices(): void;
}

/**
 * Makes an experiment consistent across fields: a scheme of the right length for the model (from the preset
 * when it is not), a known preset, a budget no larger than the board's SRAM. Returns the notices it raised.
 */
export function normalize(e: Experiment): { experiment: Experiment; notices: Notice[] } {
  const notices: Notice[] = [];
  const info = describeModel(e.model);
  let out = { ...e };
  if (out.preset !== 'custom' && !info.presets.some((p) => p.id === out.preset)) {
    notices.push({ level: 'warn', text: `${e.model} has no preset "${out.preset}"; used ${info.defaultPreset}.` });
    out = { ...out, preset: info.defaultPreset, scheme: [] };
  }
  if (out.scheme.length !== info.convCount) {
    if (out.scheme.length > 0)
      notices.push({
        level: 'warn',
        text: `The scheme lists ${out.scheme.length} layers but ${e.model} has ${info.convCount}; used the preset.`,
      });
    const preset = out.preset === 'custom' ? info.defaultPreset : out.preset;
    out = { ...out, preset, scheme: presetScheme(e.model, preset) };
  }
  const board = boardById(out.board);
  if (out.budgetKb > board.sramKb) {
    notices.push({
      level: 'warn',
      text: `A ${out.budgetKb} KB budget does not exist on the ${board.name} (${board.sramKb} KB SRAM); used ${board.sramKb} KB.`,
    });
    out = { ...out, budgetKb: board.sramKb };
  }
  return { experiment: out, notices };
}

/** The preset a scheme equals (so undoing edits back to a preset names it again), or 'custom'. */
export function matchingPreset(model: Experiment['model'], scheme: LayerUpdate[]): string {
  const same = (a: LayerUpdate[]) =>
    a.length === scheme.length && a.every((u, i) => u.bias === scheme[i].bias && u.ratio === scheme[i].ratio);
  return describeModel(model).presets.find((p) => same(presetScheme(model, p.id)))?.id ?? 'custom';
}

/** The defaults, not compiled yet: the first loadFragment (url-sync.ts) or edit compiles. */
function initial(): Pick<PlaygroundState, 'experiment' | 'compiled' | 'urlNotices' | 'editNotices'> {
  const { experiment } = normalize(defaultFieldValues());
  return { experiment, compiled: PENDING, urlNotices: [], editNotices: [] };
}

export const usePlayground = create<PlaygroundState>((set, get) => {
  let comparison: ReturnType<typeof setTimeout> | undefined;
  /** The comparison plan (reordering flipped) follows a moment later, so an edit redraws after one compile. */
  const compare = () => {
    clearTimeout(comparison);
    comparison = setTimeout(() => {
      const { experiment, compiled } = get();
      if (compiled.plan && !compiled.other) set({ compiled: withComparison(compiled, experiment) });
    }, 0);
  };
  const commit = (next: Experiment, extra: Partial<PlaygroundState> = {}) => {
    set({ experiment: next, compiled: compileExperiment(next), ...extra });
    compare();
  };

  return {
    ...initial(),
    hoverLayer: null,
    hoverSource: null,

    update(patch) {
      const cur = get().experiment;
      let next: Experiment = { ...cur, ...patch };
      if (patch.model && patch.model !== cur.model) {
        // A new backbone opens at its own resolution and default preset, like picking it from scratch.
        const resolution = patch.resolution ?? ARCHS[patch.model].defaultResolution;
        next = { ...next, resolution, preset: 'custom', scheme: [] };
      }
      if (patch.board && patch.board !== cur.board && patch.budgetKb === undefined) {
        next = { ...next, budgetKb: Math.min(256, boardById(patch.board).sramKb) };
      }
      const { experiment, notices } = normalize(next);
      commit(experiment, { editNotices: notices });
    },
    setLayer(index, u) {
      const cur = get().experiment;
      if (index < 0 || index >= cur.scheme.length) return;
      const scheme = cur.scheme.map((old, i) => (i === index ? u : old));
      commit({ ...cur, scheme, preset: matchingPreset(cur.model, scheme) }, { editNotices: [] });
    },
    applyPreset(id) {
      const cur = get().experiment;
      if (id === 'custom') return;
      commit({ ...cur, preset: id, scheme: presetScheme(cur.model, id) }, { editNotices: [] });
    },
    loadFragment(fragment) {
      const decoded = decodeExperiment(fragment);
      const { experiment, notices } = normalize(decoded.experiment);
      const urlNotices: Notice[] = [...decoded.messages.map((text) => ({ level: 'warn' as const, text })), ...notices];
      commit(experiment, { urlNotices, editNotices: [] });
    },
    setHover(layer, source) {
      if (get().hoverLayer === layer) return;
      set({ hoverLayer: layer, hoverSource: layer ? (source ?? null) : null });
    },
    dismissUrlNotices() {
      set({ urlNotices: [] });
    },
  };
});

/** Static facts about the current backbone (conv count, presets, description). */
export function useModelInfo(): ModelInfo {
  const model = usePlayground((s) => s.experiment.model);
  return describeModel(model);
}
