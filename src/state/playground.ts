/**
 * The playground store: the experiment, its compiled plans (with and without reordering, for the comparison),
 * the notices shown to the user and the linked-highlight hover. Every edit recompiles at once; the URL follows
 * the experiment (url-sync.ts).
 */
import { create } from 'zustand';
import { ARCHS } from '../compiler/models/arch';
import { boardById } from '../compiler/boards';
import { PENDING, compileExperiment, describeModel, presetScheme, sameView, withComparison } from './compile';
import type { CompiledView, ModelInfo, WeightsSource } from './compile';
import type { ModelFile } from '../compiler/model-file';
import { MODEL_NAMES } from '../compiler/models/arch';
import { defaultFieldValues } from './experiment';
import type { Backbone, Experiment, LayerUpdate, ModelChoice } from './experiment';
import { IMPORTED, importedFile, setImportedFile } from './imported';
import type { ImportedFile } from './imported';
import { matchAwaited, openableLink } from './link-model';
import type { AwaitedLink } from './link-model';
import { decodeExperiment } from './url';
import { matchingPreset, normalize, type Notice } from './normalize';

/** Where a hover came from, so a view does not scroll itself while the user is pointing at it. */
export type HoverSource = 'graph' | 'table' | 'timeline' | 'code';

/** Fetches the pretrained backbone of an architecture (the page's: public/models/; tests set their own). */
export type BackboneLoader = (model: Backbone) => Promise<{ file: ModelFile; fileName: string; sha256: string }>;

/** An edit that needs a new plan while a trained run exists: held until the user confirms or cancels it. */
export interface PendingEdit {
  experiment: Experiment;
  /** What changed, in words ('the scheme', 'the backbone', ...). */
  what: string;
  /** Training steps the run that would be discarded has done. */
  steps: number;
  notices: Notice[];
  /** The edit also changes where the weights come from (a link with or without a model file). */
  newWeights?: boolean;
  /** The edit makes this imported model the page's model again (the picker's 'imported' button). */
  imported?: ImportedFile;
}

export interface PlaygroundState {
  experiment: Experiment;
  compiled: CompiledView;
  /** The weights the page compiles: the backbone file of the architecture, or a model file the user opened. */
  weights: WeightsSource | null;
  /** An edit waiting for the user's word because it would discard a trained run. */
  pendingEdit: PendingEdit | null;
  /** messages about the URL that opened the page; dismissible */
  urlNotices: Notice[];
  /** The last link, when it names a model file (imported, or a backbone's .tinytrain.zip) that was not open: it
   * waits for that file. */
  awaitedLink: AwaitedLink | null;
  /** The file name of the imported model opened on this page (kept when a built-in backbone is picked, so the
   * picker can offer it again), or null. */
  importedName: string | null;
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
  /** Opens a model file (the bytes of a .tinytrain.zip); on failure the page keeps its model and says why. */
  openModelFile(file: ModelFile, fileName: string, sha256: string): void;
  /** Makes an imported .tflite / .onnx (already checked: it compiles and fits a board) the page's model;
   * `fromLink`: it is the awaited link's model and `experiment` the link's, so the link waits no more;
   * `ask`: like a backbone picked in the editor, it waits for the user's word when it would discard a trained run. */
  openImported(f: ImportedFile, experiment: Experiment, notices: Notice[], fromLink?: boolean, ask?: boolean): void;
  /** Goes back to the architecture's pretrained backbone. */
  useBackboneWeights(): void;
  confirmPendingEdit(): void;
  cancelPendingEdit(): void;
}

let loader: BackboneLoader | null = null;
/** How many training steps the loaded run has done (set by training-sync.ts); 0: nothing to lose. */
let trainedSteps: () => number = () => 0;

/** Sets how the page fetches backbones (the app sets the browser's; without one the plan keeps random weights). */
export function setBackboneLoader(l: BackboneLoader | null): void {
  loader = l;
}

/** Lets the store ask whether an edit would discard a trained run. */
export function setTrainedStepsProbe(probe: () => number): void {
  trainedSteps = probe;
}

/** Fields whose change needs a new plan (and so a new training run); the knobs lr / rounding / QAS do not. */
const PLAN_FIELDS: [keyof Experiment, string][] = [
  ['model', 'the backbone'],
  ['resolution', 'the resolution'],
  ['classes', 'the class count'],
  ['scheme', 'the scheme'],
  ['reorder', 'reordering'],
  ['fusion', 'fusion'],
  ['split', 'split weights'],
  ['seed', 'the seed (it initializes the classifier)'],
];

function planChange(a: Experiment, b: Experiment): string | null {
  const changed = PLAN_FIELDS.filter(([k]) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).map(([, w]) => w);
  return changed.length ? changed.join(', ') : null;
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
      if (compiled.plan && !compiled.other && compiled.comparisonError === undefined)
        set({ compiled: withComparison(compiled, experiment) });
    }, 0);
  };
  const recompile = () => {
    set({ compiled: compileExperiment(get().experiment, get().weights) });
    compare();
  };
  /** Starts fetching the backbone of `model` unless the weights already are for it. */
  const ensureWeights = (model: ModelChoice) => {
    const w = get().weights;
    if (w && w.model === model) return;
    // an imported model's weights are its file's (openImported sets them); nothing to fetch
    if (model === IMPORTED) return;
    if (!loader) {
      set({ weights: null });
      return;
    }
    const fileName = `models/${model}.bin`;
    set({ weights: { status: 'loading', model, origin: 'backbone', file: null, fileName } });
    loader(model).then(
      (r) => {
        if (get().weights?.model !== model || get().weights?.origin !== 'backbone') return;
        set({
          weights: { status: 'ready', model, origin: 'backbone', file: r.file, fileName: r.fileName, sha256: r.sha256 },
        });
        recompile();
      },
      (err: unknown) => {
        if (get().weights?.model !== model || get().weights?.origin !== 'backbone') return;
        const error = `the pretrained ${model} backbone could not be loaded: ${err instanceof Error ? err.message : String(err)}`;
        set({ weights: { status: 'error', model, origin: 'backbone', file: null, fileName, error } });
        recompile();
      },
    );
  };
  const apply = (nextIn: Experiment, extra: Partial<PlaygroundState> = {}, newWeights = false) => {
    let next = nextIn;
    // a link without a model file: back to the backbone
    if (newWeights && !next.modelFile && get().weights?.origin === 'file') set({ weights: null });
    const { compiled, experiment: cur, weights: w } = get();
    // no new plan for the knobs, the board or the budget: the running session keeps its weights and step count
    if (compiled.plan && !compiled.pending && !newWeights && !planChange(cur, next)) {
      set({ experiment: next, compiled: sameView(compiled, next), pendingEdit: null, ...extra });
      return;
    }
    if (w && w.model !== next.model) {
      set({ weights: null });
      next = { ...next, modelFile: '', quantization: null };
    }
    ensureWeights(next.model);
    set({ experiment: next, compiled: compileExperiment(next, get().weights), pendingEdit: null, ...extra });
    compare();
  };
  /** The file a link waited for is open: the link waits no more and its 'open that file' notice goes. */
  const stopWaiting = () => {
    const { awaitedLink: awaited, urlNotices } = get();
    if (awaited) set({ awaitedLink: null, urlNotices: urlNotices.filter((n) => n.text !== awaited.text) });
  };
  /** Applies an edit, or holds it for confirmation when it needs a new plan and a trained run exists. */
  const commit = (next: Experiment, extra: Partial<PlaygroundState> = {}, newWeights = false) => {
    const what = planChange(get().experiment, next);
    const steps = what ? trainedSteps() : 0;
    if (what && steps > 0) {
      set({ pendingEdit: { experiment: next, what, steps, notices: extra.editNotices ?? [], newWeights } });
      return;
    }
    apply(next, extra, newWeights);
  };

  return {
    ...initial(),
    weights: null,
    awaitedLink: null,
    importedName: null,
    pendingEdit: null,
    hoverLayer: null,
    hoverSource: null,

    update(patch) {
      const cur = get().experiment;
      let next: Experiment = { ...cur, ...patch };
      if (patch.model && patch.model !== cur.model) {
        // A new backbone opens at its own resolution and default preset, like picking it from scratch.
        const resolution =
          patch.resolution ?? (patch.model === IMPORTED ? cur.resolution : ARCHS[patch.model].defaultResolution);
        next = { ...next, resolution, preset: 'custom', scheme: [], quantization: null };
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
      let scheme: LayerUpdate[];
      try {
        scheme = presetScheme(cur.model, id);
      } catch (err) {
        // the experiment stays as it was; the notice says which preset does not exist
        set({ editNotices: [{ level: 'error', text: `${(err as Error).message}; the scheme is unchanged.` }] });
        return;
      }
      commit({ ...cur, preset: id, scheme }, { editNotices: [] });
    },
    loadFragment(fragment) {
      const decoded = decodeExperiment(fragment);
      // a link names the model file its weights came from (never the weights): use it only when it is open
      const w = get().weights;
      const file = w?.origin === 'file' ? { model: w.model, sha256: w.sha256 ?? '' } : null;
      const link = openableLink(decoded.experiment, { imported: importedFile()?.sha256 ?? '', file });
      const { experiment, notices } = normalize(link.experiment);
      const warn = (text: string): Notice => ({ level: 'warn', text });
      const urlNotices = [...decoded.messages.map(warn), ...link.lines.map(warn), ...notices];
      set({ awaitedLink: link.awaited });
      commit(experiment, { urlNotices, editNotices: [] }, !experiment.modelFile && w?.origin === 'file');
    },
    setHover(layer, source) {
      if (get().hoverLayer === layer) return;
      set({ hoverLayer: layer, hoverSource: layer ? (source ?? null) : null });
    },
    dismissUrlNotices() {
      set({ urlNotices: [] });
    },
    openModelFile(file, fileName, sha256) {
      if (!(MODEL_NAMES as readonly string[]).includes(file.model)) {
        set({
          editNotices: [
            { level: 'error', text: `${fileName} is a ${file.model} model, which the playground does not know.` },
          ],
        });
        return;
      }
      const model = file.model as Backbone;
      const cur = get().experiment;
      const sameArch = cur.model === model;
      // a link waiting for this very file (by SHA-256 prefix): its settings come back, and it waits no more
      const { link, line } = matchAwaited(get().awaitedLink, sha256);
      const next: Experiment =
        link && link.model === model
          ? { ...link, quantization: null }
          : {
              ...cur,
              model,
              resolution: file.resolution,
              classes: file.classes,
              modelFile: sha256.slice(0, 16),
              quantization: null,
              ...(sameArch ? {} : { preset: 'custom', scheme: [] }),
            };
      const { experiment, notices } = normalize(next);
      if (link) stopWaiting();
      set({ weights: { status: 'ready', model, origin: 'file', file, fileName, sha256 } });
      apply(
        experiment,
        {
          editNotices: [
            {
              level: 'info',
              text: `Opened ${fileName}: ${model} at ${file.resolution}x${file.resolution}, ${file.classes} classes (its classifier is kept).`,
            },
            ...(line ? [{ level: 'info' as const, text: line }] : []),
            ...notices,
          ],
        },
        true,
      );
    },
    openImported(f, experiment, notices, fromLink = false, ask = false) {
      const steps = ask ? trainedSteps() : 0;
      if (steps > 0) {
        set({ pendingEdit: { experiment, what: 'the backbone', steps, notices, newWeights: true, imported: f } });
        return;
      }
      setImportedFile(f);
      if (fromLink) stopWaiting();
      set({
        weights: {
          status: 'ready',
          model: IMPORTED,
          origin: 'file',
          file: null,
          fileName: f.fileName,
          sha256: f.sha256,
        },
        importedName: f.fileName,
      });
      apply(experiment, { editNotices: notices }, true);
    },
    useBackboneWeights() {
      if (get().experiment.model === IMPORTED) {
        get().update({ model: defaultFieldValues().model });
        return;
      }
      set({ weights: null, experiment: { ...get().experiment, modelFile: '' } });
      ensureWeights(get().experiment.model as Backbone);
      recompile();
    },
    confirmPendingEdit() {
      const p = get().pendingEdit;
      if (p?.imported) get().openImported(p.imported, p.experiment, p.notices);
      else if (p) apply(p.experiment, { editNotices: p.notices }, p.newWeights);
    },
    cancelPendingEdit() {
      set({ pendingEdit: null });
    },
  };
});

/** Static facts about the current backbone (conv count, presets, description). */
export function useModelInfo(): ModelInfo {
  const model = usePlayground((s) => s.experiment.model);
  return describeModel(model);
}
