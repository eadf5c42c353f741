/**
 * The page's quantize step in Node: a float32 ONNX model opened on the page offers the step; Quantize runs the
 * page's job (calibrate.ts quantizeFile: what the quantize worker runs, here on Node's onnxruntime-web) and the
 * int8 model it opens is byte for byte the one `tinytrain quantize` writes for the same model, data set, N and
 * input range (its share-link hash too). Bad files, a failing job and Cancel leave the page's model as it was.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { writeTflite } from '../compiler/export';
import { modelToDescription } from '../compiler/import/from-model';
import { buildModel } from '../compiler/models/model';
import { sha256Hex } from '../compiler/model-pack';
import { reluAfterAdd } from '../compiler/testing/fp32-models';
import { main } from '../cli/main';
import { DATA_DIR, REPO_ROOT } from '../cli/firmware-io';
import { quantizeFile } from '../runtime/training/calibrate';
import { CANCELLED } from '../runtime/training/quantize-client';
import { defaultFieldValues } from './experiment';
import { importedFile, setImportedFile } from './imported';
import { openModelBytes } from './model-io';
import { usePlayground } from './playground';
import {
  cancelQuantization,
  closeQuantization,
  setQuantizeOptions,
  setQuantizeRunner,
  startQuantization,
  useQuantize,
  type QuantizeRunner,
} from './quantize-page';
import { encodeExperiment } from './url';

const FIXTURE = join(REPO_ROOT, 'src/compiler/import/fixtures/fp32_mobilenet.onnx');
const FLATTEN = join(REPO_ROOT, 'src/compiler/import/fixtures/pytorch_flatten.onnx');
const fp32 = () => new Uint8Array(readFileSync(FIXTURE));
const dir = mkdtempSync(join(tmpdir(), 'tinytrain-page-quantize-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const read = async (path: string) => new Uint8Array(readFileSync(path));
const trainCount = async (data: string) =>
  JSON.parse(readFileSync(join(DATA_DIR, `${data}.json`), 'utf8')).splits.train.count as number;

/** The page's job without the worker around it: the function the quantize worker calls, on Node's ort. */
let produced: Uint8Array | null = null;
const nodeRunner: QuantizeRunner = {
  trainCount,
  start: (req, progress) => ({
    result: quantizeFile(ort, req, DATA_DIR, read, progress).then((b) => (produced = b)),
    cancel: () => undefined,
  }),
};

function start() {
  usePlayground
    .getState()
    .loadFragment(encodeExperiment({ ...defaultFieldValues(), model: 'tiny-cnn', resolution: 32 }));
}

afterEach(() => {
  setQuantizeRunner(null);
  closeQuantization();
});

async function cliQuantize(count: number, range: string): Promise<Uint8Array> {
  const out = join(dir, `cli-${count}.onnx`);
  const err: string[] = [];
  const argv = ['quantize', '--model', FIXTURE, '--data', 'mnist', '--calibration', String(count)];
  const code = await main([...argv, `--input-range=${range}`, '--out', out], {
    out: () => undefined,
    err: (t) => err.push(t),
  });
  expect(err).toEqual([]);
  expect(code).toBe(0);
  return new Uint8Array(readFileSync(out));
}

describe('the quantize step of a float32 model on the page', () => {
  it('offers the step, keeps the page model meanwhile, and opens the same int8 bytes as tinytrain quantize', async () => {
    start();
    setQuantizeRunner(nodeRunner);
    const before = usePlayground.getState().experiment;
    expect(await openModelBytes(fp32(), 'fp32_mobilenet.onnx')).toBe(true);
    const step = useQuantize.getState().step!;
    expect(step).toMatchObject({ fileName: 'fp32_mobilenet.onnx', input: '1×1×28×28', count: 500, range: [0, 1] });
    expect(step.trainCount).toBe(await trainCount('mnist'));
    expect(usePlayground.getState().experiment).toBe(before); // not opened yet

    setQuantizeOptions({ count: 120, range: [-1, 1] });
    const seen: number[] = [];
    const unsubscribe = useQuantize.subscribe((s) => s.step?.done && seen.push(s.step.done));
    await startQuantization();
    unsubscribe();
    expect(seen.at(-1)).toBe(120);
    const s = usePlayground.getState();
    expect(useQuantize.getState().step).toBeNull();
    expect(s.experiment.model).toBe('imported');
    expect(s.compiled.error).toBeNull();
    expect(s.compiled.plan?.model?.name).toBe('imported');
    expect(s.editNotices[0].text).toMatch(
      /^Opened fp32_mobilenet\.onnx \(quantized to int8 on 120 MNIST training images, input -1\.\.1; /,
    );

    const cli = await cliQuantize(120, '-1,1');
    expect(new Uint8Array(produced!)).toEqual(cli); // protobufjs gives a Buffer: compare the bytes only
    expect(importedFile()!.sha256).toBe(await sha256Hex(cli));
    expect(s.experiment.modelFile).toBe((await sha256Hex(cli)).slice(0, 16));
    // the range matters: the default 0..1 gives other bytes (so the comparison above can fail)
    expect(await cliQuantize(120, '0,1')).not.toEqual(cli);
    expect(await cliQuantize(20, '-1,1')).not.toEqual(cli); // and so does N
  }, 60_000);

  it('a link to a model quantized on the page says how; the same float file, prefilled, gives its model and settings', async () => {
    start();
    setQuantizeRunner(nodeRunner);
    await openModelBytes(fp32(), 'fp32_mobilenet.onnx');
    setQuantizeOptions({ count: 120, range: [-1, 1] });
    await startQuantization();
    const page = usePlayground.getState();
    page.update({ classes: 4, board: 'nrf52840', lr: 0.03 });
    page.applyPreset('bias-only');
    page.setLayer(0, { bias: false, ratio: 1 });
    const sent = usePlayground.getState().experiment;
    expect(sent).toMatchObject({ model: 'imported', preset: 'custom', quantization: { count: 120, range: [-1, 1] } });
    const link = encodeExperiment(sent);

    // the recipient: a fresh page (no imported file), the default link, then the shared one
    setImportedFile(null);
    usePlayground.getState().loadFragment('');
    usePlayground.getState().loadFragment(link);
    let s = usePlayground.getState();
    expect(s.experiment).toMatchObject({ model: 'mcunet-5fps', modelFile: '', quantization: null });
    expect(s.urlNotices.map((n) => n.text)).toContain(
      `This link was made with a float32 ONNX model quantized on the page to int8 (SHA-256 ${sent.modelFile}…): ` +
        'open that float32 .onnx file (Open model file…) and quantize it on 120 MNIST training images, input -1..1, ' +
        'to reproduce it; until then the page uses the mcunet-5fps backbone.',
    );

    // the same float file: the step is set as the link's model was made
    expect(await openModelBytes(fp32(), 'fp32_mobilenet.onnx')).toBe(true);
    expect(useQuantize.getState().step).toMatchObject({ count: 120, range: [-1, 1] });
    expect(usePlayground.getState().editNotices.map((n) => n.text)).toEqual([
      "The quantize step is set as the link's model was made: 120 MNIST training images, input -1..1.",
    ]);
    await startQuantization();
    s = usePlayground.getState();
    expect(s.experiment).toEqual(sent); // the same int8 bytes (modelFile), the link's scheme, preset and the rest
    expect(s.compiled.error).toBeNull();
    expect(s.editNotices.map((n) => n.text)).toContain(
      'This is the model the link names: its settings are restored (preset custom, 4 classes, board nrf52840).',
    );
    expect(s.urlNotices.map((n) => n.text).join('\n')).not.toMatch(/open that float32/);

    // the int8 file itself (kept by the sender, say) is the link's model too: the same bytes, so its qz holds
    const int8 = new Uint8Array(produced!);
    setImportedFile(null);
    usePlayground.getState().loadFragment(link);
    expect(await openModelBytes(int8, 'int8.onnx')).toBe(true);
    expect(useQuantize.getState().step).toBeNull();
    expect(usePlayground.getState().experiment).toEqual(sent);

    // a backbone clears the quantization, as does an int8 file opened as it is
    usePlayground.getState().useBackboneWeights();
    expect(usePlayground.getState().experiment.quantization).toBeNull();
    await openModelBytes(fp32(), 'fp32_mobilenet.onnx');
    expect(useQuantize.getState().step).toMatchObject({ count: 500, range: [0, 1] }); // no link waits any more
    await startQuantization();
    expect(usePlayground.getState().experiment.quantization).toEqual({ count: 500, range: [0, 1] });
    await openModelBytes(new Uint8Array(produced!), 'int8.onnx');
    expect(usePlayground.getState().experiment.quantization).toBeNull();
  }, 60_000);

  it.each([
    [
      'pytorch_flatten.onnx',
      () => new Uint8Array(readFileSync(FLATTEN)),
      /the input is \[1, 2, 4, 4\]; quantize calibrates one image input/,
    ],
    ['relu_after_add.onnx', () => reluAfterAdd(fp32()), /op relu_after_add \(Relu\) has no int8 form here/],
  ])('refuses %s before calibrating, in one line; the page keeps its model', async (name, bytes, why) => {
    start();
    setQuantizeRunner(nodeRunner);
    const before = usePlayground.getState().experiment;
    expect(await openModelBytes(bytes(), name)).toBe(false);
    const notices = usePlayground.getState().editNotices;
    expect(notices).toHaveLength(1);
    expect(notices[0].text).toMatch(new RegExp(`^Could not open ${name.replace('.', '\\.')}: `));
    expect(notices[0].text).toMatch(why);
    expect(notices[0].text).toMatch(/The page keeps its model\.$/);
    expect(useQuantize.getState().step).toBeNull();
    expect(usePlayground.getState().experiment).toBe(before);
  });

  it('a failing calibration and Cancel: one line each, and the page keeps its model', async () => {
    start();
    const before = usePlayground.getState().experiment;
    let cancel: () => void = () => undefined;
    setQuantizeRunner({
      trainCount,
      start: () => ({
        result: new Promise((_, reject) => (cancel = () => reject(new Error(CANCELLED)))),
        cancel: () => cancel(),
      }),
    });
    await openModelBytes(fp32(), 'fp32_mobilenet.onnx');
    const running = startQuantization();
    expect(useQuantize.getState().step?.done).toBe(0);
    cancelQuantization();
    await running;
    expect(usePlayground.getState().editNotices[0].text).toBe(
      'Quantization of fp32_mobilenet.onnx cancelled. The page keeps its model.',
    );
    expect(useQuantize.getState().step?.done).toBeNull(); // the step stays, to run again
    cancelQuantization();
    expect(useQuantize.getState().step).toBeNull();

    setQuantizeRunner({
      trainCount,
      start: () => ({ result: Promise.reject(new Error('session failed: out of memory')), cancel: () => undefined }),
    });
    await openModelBytes(fp32(), 'fp32_mobilenet.onnx');
    await startQuantization();
    expect(usePlayground.getState().editNotices[0].text).toBe(
      'Could not quantize fp32_mobilenet.onnx: session failed: out of memory. The page keeps its model.',
    );
    expect(useQuantize.getState().step).toBeNull();
    expect(usePlayground.getState().experiment).toBe(before);

    // another model file opened meanwhile closes the step, silently
    await openModelBytes(fp32(), 'fp32_mobilenet.onnx');
    const int8 = writeTflite(
      modelToDescription(buildModel({ model: 'tiny-cnn', resolution: 32, classes: 10, seed: 3 }), 'tflite'),
    );
    expect(await openModelBytes(int8, 'tiny.tflite')).toBe(true);
    expect(useQuantize.getState().step).toBeNull();
    expect(usePlayground.getState().editNotices[0].text).toMatch(/^Opened tiny\.tflite \(its classifier is kept\)/);
  });
});
