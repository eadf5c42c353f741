import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { modelToDescription } from '../compiler/import/from-model';
import { writeTflite } from '../compiler/export';
import { buildModel } from '../compiler/models/model';
import { defaultFieldValues } from './experiment';
import { describeModel } from './compile';
import { importedFile, setImportedFile } from './imported';
import { exportModelFile, openModelBytes, openModelPick, saveModelFile } from './model-io';
import { importModel } from '../compiler/import';
import { descriptionToModel } from '../compiler/import/to-model';
import { weightsChecksum } from '../compiler/models/trained';
import { setTrainedStepsProbe, usePlayground } from './playground';
import { reopenImported } from './import-page';
import { encodeExperiment } from './url';

const shared = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../../shared/models/${name}`, import.meta.url)));
const tinyTflite = (resolution: number, classes: number) =>
  writeTflite(modelToDescription(buildModel({ model: 'tiny-cnn', resolution, classes, seed: 3 }), 'tflite'));

/** tiny-cnn with every feature map 32 times wider and taller (a 1024x1024 input): it fits no board. */
function hugeTflite(): Uint8Array {
  const d = modelToDescription(buildModel({ model: 'tiny-cnn', resolution: 32, classes: 10, seed: 3 }), 'tflite');
  const wider = (h: number) => (h % 2 === 1 ? (h - 1) * 32 + 1 : h * 32);
  for (const t of d.tensors)
    if (t.data === null && t.shape.length === 4) t.shape = [1, wider(t.shape[1]), wider(t.shape[2]), t.shape[3]];
  return writeTflite(d);
}

function start() {
  usePlayground
    .getState()
    .loadFragment(encodeExperiment({ ...defaultFieldValues(), model: 'tiny-cnn', resolution: 32 }));
}

describe('opening a .tflite / .onnx on the page', () => {
  it('compiles an imported model with the generic presets and names it in the link', async () => {
    start();
    expect(await openModelBytes(tinyTflite(32, 10), 'tiny.tflite')).toBe(true);
    const s = usePlayground.getState();
    expect(s.experiment.model).toBe('imported');
    expect(s.experiment.modelFile).toBe(importedFile()!.sha256.slice(0, 16));
    expect(s.experiment.preset).toBe('last:2');
    expect(s.compiled.error).toBeNull();
    expect(s.compiled.plan?.model?.name).toBe('imported');
    expect(s.compiled.weights?.status).toBe('ready');
    expect(s.editNotices[0].text).toMatch(
      /^Opened tiny\.tflite \(its classifier is kept\)\. tiny\.tflite: TFLite int8/,
    );
    // exported (untrained: the compiled weights) as .tflite and .onnx, each imports again with the same weights
    for (const format of ['tflite', 'onnx'] as const) {
      const out = await exportModelFile(format);
      expect(out.fileName).toBe(`imported-10c.${format}`);
      const again = descriptionToModel(importModel(out.bytes, out.fileName), { name: 'imported' });
      expect(weightsChecksum(again)).toBe(weightsChecksum(s.compiled.model!));
    }
    // another class count: a fresh classifier, the rest of the file kept
    usePlayground.getState().update({ classes: 4 });
    expect(usePlayground.getState().compiled.plan?.model?.classes).toBe(4);
  });

  it('an imported model saved as .tinytrain.zip opens again as the same imported model', async () => {
    start();
    expect(await openModelBytes(tinyTflite(32, 10), 'tiny.tflite')).toBe(true);
    const sum = weightsChecksum(usePlayground.getState().compiled.model!);
    const saved = await saveModelFile();
    usePlayground.getState().useBackboneWeights();
    expect(usePlayground.getState().experiment.model).not.toBe('imported');
    expect(await openModelBytes(saved.bytes, saved.fileName)).toBe(true);
    const s = usePlayground.getState();
    expect(s.experiment.model).toBe('imported');
    expect(s.compiled.error).toBeNull();
    expect(weightsChecksum(s.compiled.model!)).toBe(sum);
    // opened twice, it is named by the same hash (the share link's w)
    const first = s.experiment.modelFile;
    expect(await openModelBytes(saved.bytes, saved.fileName)).toBe(true);
    expect(usePlayground.getState().experiment.modelFile).toBe(first);
  });

  it('after a built-in backbone is picked, the picker offers the imported model again (asking first when a run is trained)', async () => {
    start();
    expect(await openModelBytes(tinyTflite(32, 10), 'again.tflite')).toBe(true);
    expect(usePlayground.getState().importedName).toBe('again.tflite');
    const opened = usePlayground.getState().experiment;
    const sum = weightsChecksum(usePlayground.getState().compiled.model!);
    usePlayground.getState().update({ model: 'mcunet-5fps' });
    expect(usePlayground.getState().experiment.model).toBe('mcunet-5fps');
    expect(usePlayground.getState().importedName).toBe('again.tflite');
    reopenImported();
    let s = usePlayground.getState();
    expect(s.experiment.model).toBe('imported');
    expect(s.experiment.modelFile).toBe(opened.modelFile);
    expect(s.experiment.preset).toBe(opened.preset);
    expect(weightsChecksum(s.compiled.model!)).toBe(sum);
    expect(s.editNotices[0].text).toMatch(/^Opened again\.tflite/);
    // with a trained run on the built-in, the click waits for the user's word; cancel keeps the built-in
    usePlayground.getState().update({ model: 'tiny-cnn' });
    setTrainedStepsProbe(() => 40);
    try {
      reopenImported();
      s = usePlayground.getState();
      expect(s.experiment.model).toBe('tiny-cnn');
      expect(s.pendingEdit).toMatchObject({ what: 'the backbone', steps: 40 });
      s.cancelPendingEdit();
      expect(usePlayground.getState().experiment.model).toBe('tiny-cnn');
      reopenImported();
      usePlayground.getState().confirmPendingEdit();
    } finally {
      setTrainedStepsProbe(() => 0);
    }
    s = usePlayground.getState();
    expect(s.pendingEdit).toBe(null);
    expect(s.experiment.model).toBe('imported');
    expect(s.experiment.modelFile).toBe(opened.modelFile);
    expect(s.weights).toMatchObject({ model: 'imported', origin: 'file', fileName: 'again.tflite' });
  });

  it('a link to an imported model without its file says to open it and falls back to a backbone', () => {
    const link = encodeExperiment({ ...defaultFieldValues(), model: 'imported', modelFile: '0123456789abcdef' });
    usePlayground.getState().loadFragment(link);
    const s = usePlayground.getState();
    expect(s.experiment.model).toBe('mcunet-5fps');
    expect(s.urlNotices.map((n) => n.text).join('\n')).toMatch(
      /imported model file \(SHA-256 0123456789abcdef…\): open that/,
    );
  });

  it('a link to an imported model waits for its file: the file opened later brings back the link, another does not', async () => {
    start();
    const bytes = tinyTflite(32, 10);
    expect(await openModelBytes(bytes, 'tiny.tflite')).toBe(true);
    usePlayground.getState().update({ classes: 6, seed: 9, reorder: false });
    usePlayground.getState().setLayer(1, { bias: true, ratio: 1 });
    const sent = usePlayground.getState().experiment;
    expect(sent.preset).toBe('custom');
    const link = encodeExperiment(sent);

    setImportedFile(null); // the recipient's fresh page
    usePlayground.getState().loadFragment(link);
    expect(usePlayground.getState().experiment.model).toBe('mcunet-5fps');
    expect(usePlayground.getState().urlNotices.map((n) => n.text)).toContain(
      `This link was made with an imported model file (SHA-256 ${sent.modelFile}…): open that .tflite / .onnx file (Open model file…) to reproduce it; until then the page uses the mcunet-5fps backbone.`,
    );

    // another file: opened as today (the default preset), and one line says it is not the link's
    const other = tinyTflite(16, 10);
    expect(await openModelBytes(other, 'other.tflite')).toBe(true);
    let s = usePlayground.getState();
    // (the fallback kept the link's other fields, as before: only the model, its file and the scheme differ)
    expect(s.experiment).toMatchObject({ model: 'imported', preset: 'last:2', classes: 6, reorder: false });
    const otherHash = importedFile()!.sha256.slice(0, 16);
    expect(s.editNotices.map((n) => n.text)).toContain(
      `This model (SHA-256 ${otherHash}…) is not the one the link names (${sent.modelFile}…): the link's settings are not restored.`,
    );

    // the file the link names: the link's experiment, scheme and all
    expect(await openModelBytes(bytes, 'tiny.tflite')).toBe(true);
    s = usePlayground.getState();
    expect(s.experiment).toEqual(sent);
    expect(s.compiled.error).toBeNull();
    expect(s.urlNotices).toEqual([]);
  });

  it('a link to a backbone that carries a quantization (edited by hand) drops it, saying so', () => {
    const link = encodeExperiment({ ...defaultFieldValues(), quantization: { count: 120, range: [-1, 1] } });
    usePlayground.getState().loadFragment(link);
    const s = usePlayground.getState();
    expect(s.experiment.quantization).toBeNull();
    expect(s.urlNotices.map((n) => n.text)).toContain(
      'The link says how an imported model was quantized (qz), but its model is mcunet-5fps; ignored.',
    );
  });

  it.each([
    ['keyword_scrambled_8bit.tflite', () => shared('keyword_scrambled_8bit.tflite'), /SVDF/],
    [
      'truncated.tflite',
      () => shared('hello_world_int8.tflite').subarray(0, 200),
      /truncated|end of|out of range|bounds/i,
    ],
    ['wrong.onnx', () => new TextEncoder().encode('not a model at all, just text'), /./],
    [
      'refuse_sigmoid.onnx',
      () => new Uint8Array(readFileSync(new URL('../compiler/import/fixtures/refuse_sigmoid.onnx', import.meta.url))),
      /Sigmoid/,
    ],
    ['huge.tflite', hugeTflite, /fits no board/],
  ])('%s: one error notice, the page keeps its model', async (name, bytes, why) => {
    start();
    const before = usePlayground.getState().compiled.plan;
    expect(await openModelBytes(bytes(), name)).toBe(false);
    const s = usePlayground.getState();
    expect(s.editNotices).toHaveLength(1);
    expect(s.editNotices[0].level).toBe('error');
    expect(s.editNotices[0].text).toMatch(why);
    expect(s.editNotices[0].text).toMatch(/The page keeps its model\.$/);
    expect(s.experiment.model).toBe('tiny-cnn');
    expect(s.compiled.plan).toBe(before);
  });

  it('a file over 50 MB is refused by its size, before it is read', async () => {
    start();
    const file = { name: 'big.onnx', size: 51 * 2 ** 20, arrayBuffer: () => Promise.reject(new Error('read')) };
    expect(await openModelPick(file as unknown as File)).toBe(false);
    expect(usePlayground.getState().editNotices[0].text).toBe(
      'Could not open big.onnx: big.onnx: 51.0 MB is over the 50 MB limit for a model file. The page keeps its model.',
    );
  });

  it("TFLite Micro's micro speech model (a 10x8 kernel on a 49x40x1 input) opens and compiles", async () => {
    start();
    expect(await openModelBytes(shared('micro_speech_quantized.tflite'), 'micro_speech_quantized.tflite')).toBe(true);
    const s = usePlayground.getState();
    expect(s.experiment.model).toBe('imported');
    expect(s.compiled.plan).not.toBeNull();
    expect(s.compiled.model!.inputShape).toEqual([49, 40, 1]);
    expect(s.compiled.model!.convs[0].kernelW).toBe(8);
    // one conv: the generic presets that fit it, last:1 (its one conv and the classifier) the default
    expect(describeModel('imported').presets.map((p) => p.id)).toEqual(['classifier', 'bias-only', 'last:1', 'full']);
    expect(s.experiment.preset).toBe('last:1');
    expect(s.compiled.plan!.scheme).toBe('full'); // its one conv and the classifier: every layer
  });
});
