import { describe, expect, it } from 'vitest';
import { paperBudgets } from '../compiler/scheme/paper';
import { buildModel, modelToFile } from '../compiler/models/model';
import { DEFAULT_PRESETS, PresetError, compileExperiment, describeModel, presetScheme, ratioProblem } from './compile';
import { defaultFieldValues } from './experiment';
import type { Backbone } from './experiment';
import { normalize } from './normalize';
import { setTrainedStepsProbe, usePlayground } from './playground';
import { encodeExperiment } from './url';

describe('normalize', () => {
  it('fills an empty scheme from the preset without complaint', () => {
    const { experiment, notices } = normalize({ ...defaultFieldValues(), preset: 'paper:99kb' });
    expect(notices).toEqual([]);
    expect(experiment.scheme).toEqual(presetScheme('mcunet-5fps', 'paper:99kb'));
    expect(experiment.scheme).toHaveLength(42);
    expect(experiment.scheme.filter((u) => u.bias)).toHaveLength(22);
  });

  it('replaces a scheme of the wrong length and says why', () => {
    const e = {
      ...defaultFieldValues(),
      model: 'mbv2-w0.35' as const,
      preset: 'custom',
      scheme: presetScheme('mcunet-5fps', 'full'),
    };
    const { experiment, notices } = normalize(e);
    expect(experiment.scheme).toHaveLength(51);
    expect(experiment.preset).toBe(describeModel('mbv2-w0.35').defaultPreset);
    expect(notices[0].text).toMatch(/lists 42 layers but mbv2-w0.35 has 51/);
  });

  it('caps the budget at the board SRAM and rejects unknown presets', () => {
    const { experiment, notices } = normalize({
      ...defaultFieldValues(),
      board: 'nrf52840',
      budgetKb: 320,
      preset: 'paper:1kb',
    });
    expect(experiment.budgetKb).toBe(256);
    expect(experiment.preset).toBe('paper:148kb');
    expect(notices.map((n) => n.text).join('\n')).toMatch(
      /no preset "paper:1kb"[\s\S]*320 KB budget does not exist on the nRF52840/,
    );
  });
});

describe('default presets', () => {
  it.each(Object.entries(DEFAULT_PRESETS))('%s opens with %s, which fits 256 KB', (model, preset) => {
    const e = {
      ...defaultFieldValues(),
      model: model as Backbone,
      resolution: model === 'tiny-cnn' ? 32 : 128,
      preset,
      scheme: [],
    };
    const c = compileExperiment(normalize(e).experiment);
    expect(c.error).toBeNull();
    expect(c.plan!.metrics.peakSramBytes).toBeLessThanOrEqual(256 * 1024);
    const budgets = paperBudgets(model);
    if (budgets.length) expect(preset).toBe(`paper:${budgets[budgets.length - 1]}`);
  });
});

describe('playground store', () => {
  it('edits a layer, marks the scheme custom and loads a shared fragment back', () => {
    const s = usePlayground.getState();
    s.update({ model: 'proxyless-w0.3' });
    expect(usePlayground.getState().experiment.scheme).toHaveLength(60);
    usePlayground.getState().setLayer(50, { bias: true, ratio: 0.5 });
    const e = usePlayground.getState().experiment;
    expect(e.preset).toBe('custom');
    expect(e.scheme[50]).toEqual({ bias: true, ratio: 0.5 });
    const frag = encodeExperiment(e);
    usePlayground.getState().update({ model: 'mcunet-5fps' });
    usePlayground.getState().loadFragment(`#${frag}`);
    expect(usePlayground.getState().experiment).toEqual(e);
    expect(usePlayground.getState().urlNotices).toEqual([]);
  });

  it('explains an impossible ratio: the stem has 3 input channels', () => {
    expect(ratioProblem('mcunet-5fps', 0, 0.5)).toMatch(/not a whole number of channels/);
    expect(ratioProblem('mcunet-5fps', 0, 1)).toBeNull();
  });
});

describe('one model, one plan', () => {
  it('keeps the compiled plan for knob, board and budget edits (the running session keeps its weights)', () => {
    usePlayground.getState().update({ model: 'tiny-cnn' });
    const plan = usePlayground.getState().compiled.plan;
    expect(plan).not.toBeNull();
    usePlayground.getState().update({ lr: 0.123, rounding: 'stochastic', qas: false, budgetKb: 200 });
    expect(usePlayground.getState().compiled.plan).toBe(plan);
    expect(usePlayground.getState().experiment.lr).toBe(0.123);
    usePlayground.getState().update({ seed: 77 });
    expect(usePlayground.getState().compiled.plan).not.toBe(plan);
  });

  it('holds an edit that needs a new plan while a trained run exists, until confirmed', () => {
    setTrainedStepsProbe(() => 5000);
    try {
      const before = usePlayground.getState().experiment;
      usePlayground.getState().applyPreset('classifier');
      const p = usePlayground.getState().pendingEdit;
      expect(p?.what).toBe('the scheme');
      expect(p?.steps).toBe(5000);
      expect(usePlayground.getState().experiment).toBe(before);
      usePlayground.getState().update({ lr: 0.5 }); // knobs never ask
      expect(usePlayground.getState().experiment.lr).toBe(0.5);
      usePlayground.getState().applyPreset('classifier');
      usePlayground.getState().confirmPendingEdit();
      expect(usePlayground.getState().experiment.preset).toBe('classifier');
      expect(usePlayground.getState().pendingEdit).toBeNull();
    } finally {
      setTrainedStepsProbe(() => 0);
    }
  });
});

describe('preset recognition', () => {
  it('names the preset again when a layer edit is undone back to it', () => {
    const store = usePlayground.getState();
    store.update({ model: 'mcunet-5fps', resolution: 128 });
    store.applyPreset('paper:148kb');
    const before = usePlayground.getState().experiment.scheme;
    const i = before.findIndex((u) => u.bias);
    usePlayground.getState().setLayer(i, { ...before[i], bias: false });
    expect(usePlayground.getState().experiment.preset).toBe('custom');
    usePlayground.getState().setLayer(i, before[i]);
    expect(usePlayground.getState().experiment.preset).toBe('paper:148kb');
    expect(usePlayground.getState().experiment.scheme).toEqual(before);
  });
});

describe('no silent substitute for a preset', () => {
  it('an unknown preset throws a message naming it (it used to become a scheme that updates nothing)', () => {
    expect(() => presetScheme('mcunet-5fps', 'paper:1kb')).toThrow(PresetError);
    expect(() => presetScheme('mcunet-5fps', 'paper:1kb')).toThrow(/mcunet-5fps has no preset "paper:1kb"/);
    expect(() => presetScheme('tiny-cnn', 'last:99')).toThrow(/tiny-cnn has no preset "last:99"/);
  });

  it.each(Object.keys(DEFAULT_PRESETS))('every preset listed for %s builds a scheme of its conv count', (model) => {
    const info = describeModel(model as Backbone);
    for (const p of info.presets) {
      const scheme = presetScheme(info.name, p.id);
      expect(scheme, p.id).toHaveLength(info.convCount);
      if (p.id !== 'classifier')
        expect(
          scheme.some((u) => u.bias || u.ratio > 0),
          p.id,
        ).toBe(true);
    }
  });

  it('applying an unknown preset keeps the experiment and says so', () => {
    usePlayground.getState().update({ model: 'tiny-cnn', resolution: 32 });
    const before = usePlayground.getState().experiment;
    usePlayground.getState().applyPreset('last:99');
    expect(usePlayground.getState().experiment).toBe(before);
    const notices = usePlayground.getState().editNotices;
    expect(notices).toHaveLength(1);
    expect(notices[0].level).toBe('error');
    expect(notices[0].text).toMatch(/^tiny-cnn has no preset "last:99": .+; the scheme is unchanged\.$/);
  });
});

describe('a share link names the model file, never the weights', () => {
  it('asks for the file when it is not open, and keeps the backbone meanwhile', () => {
    usePlayground.getState().update({ model: 'tiny-cnn', resolution: 32 });
    const e = { ...usePlayground.getState().experiment, modelFile: '0123456789abcdef' };
    usePlayground.getState().loadFragment(`#${encodeExperiment(e)}`);
    const s = usePlayground.getState();
    expect(s.experiment.modelFile).toBe('');
    expect(s.urlNotices.map((n) => n.text).join('\n')).toMatch(
      /model file \(SHA-256 0123456789abcdef…\): open that file/,
    );
    expect(s.weights?.origin ?? 'backbone').not.toBe('file');
  });

  it("waits for that file: opened later, the link's settings come back and the ask goes; another file does not", () => {
    usePlayground.getState().update({ model: 'tiny-cnn', resolution: 32 });
    const file = modelToFile(buildModel({ model: 'tiny-cnn', resolution: 32, classes: 10, seed: 3 }));
    const sha = 'a1b2c3d4e5f60718'.repeat(4);
    const link = { ...usePlayground.getState().experiment, modelFile: sha.slice(0, 16), seed: 7 };
    const linkScheme = presetScheme('tiny-cnn', 'last:2');
    usePlayground.getState().loadFragment(`#${encodeExperiment({ ...link, preset: 'last:2', scheme: linkScheme })}`);
    const asks = () => usePlayground.getState().urlNotices.filter((n) => /open that file/.test(n.text));
    expect(asks()).toHaveLength(1);
    // meanwhile the user edits; another file is not the link's: its settings stay away and the ask stays
    usePlayground.getState().applyPreset('classifier');
    usePlayground.getState().openModelFile(file, 'other.tinytrain.zip', 'ff'.repeat(32));
    let s = usePlayground.getState();
    expect(s.experiment.preset).toBe('classifier');
    expect(s.editNotices.map((n) => n.text)).toContain(
      `This model (SHA-256 ${'f'.repeat(16)}…) is not the one the link names (${sha.slice(0, 16)}…): the link's settings are not restored.`,
    );
    expect(asks()).toHaveLength(1);
    usePlayground.getState().openModelFile(file, 'linked.tinytrain.zip', sha);
    s = usePlayground.getState();
    expect(s.experiment).toMatchObject({ preset: 'last:2', seed: 7, modelFile: sha.slice(0, 16) });
    expect(s.experiment.scheme).toEqual(linkScheme);
    expect(s.weights).toMatchObject({ origin: 'file', fileName: 'linked.tinytrain.zip' });
    expect(s.awaitedLink).toBe(null);
    expect(asks()).toHaveLength(0);
    expect(s.editNotices.map((n) => n.text).join('\n')).toMatch(
      /This is the model the link names: its settings are restored \(preset last:2/,
    );
  });
});
