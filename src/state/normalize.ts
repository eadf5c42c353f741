/**
 * The rules that keep an experiment consistent across its fields (normalize) and name the preset a scheme equals
 * (matchingPreset); the store (playground.ts) applies them to every edit and link.
 */
import { boardById } from '../compiler/boards';
import { describeModel, emptyUpdates, presetScheme } from './compile';
import type { Experiment, LayerUpdate } from './experiment';

export interface Notice {
  level: 'info' | 'warn' | 'error';
  text: string;
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
    let scheme: LayerUpdate[];
    try {
      scheme = presetScheme(e.model, preset);
    } catch (err) {
      // a listed preset that does not build is a bug; say so rather than train an empty scheme in silence
      notices.push({ level: 'error', text: `${(err as Error).message}; no layer is updated.` });
      scheme = emptyUpdates(e.model);
    }
    out = { ...out, preset, scheme };
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
  // a preset that does not build matches nothing here; applying it reports why (applyPreset, normalize)
  const builds = (id: string) => {
    try {
      return presetScheme(model, id);
    } catch {
      return null;
    }
  };
  const hit = describeModel(model).presets.find((p) => {
    const s = builds(p.id);
    return s !== null && same(s);
  });
  return hit?.id ?? 'custom';
}
