/**
 * A float32 ONNX model on the page (issue #10), at a phone and a desktop size: opening fp32_mobilenet.onnx shows
 * the quantize step (N training images of MNIST, the input range) while the page keeps its model -> Quantize
 * calibrates in a worker with progress -> the int8 model opens like an imported one: its plan, training, Export
 * .onnx and that file opened again. The int8 bytes the page opened are the ones `tinytrain quantize` writes for
 * the same settings (the share link's w= is their hash). Files it cannot quantize, and Cancel, are one line each
 * and the page keeps its model. No page errors.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { main } from '../src/cli/main';
import { sha256Hex } from '../src/compiler/model-pack';
import { reluAfterAdd } from '../src/compiler/testing/fp32-models';
import { presetScheme } from '../src/state/compile';
import { defaultFieldValues, type Experiment } from '../src/state/experiment';
import { encodeExperiment } from '../src/state/url';
import { PlaygroundPage } from './pages/playground';

const FIXTURE = new URL('../src/compiler/import/fixtures/fp32_mobilenet.onnx', import.meta.url);
/** Trained on Fashion-MNIST (scripts/quantize): on MNIST it starts from real features. */
const FASHION = new URL('../scripts/quantize/fashion_mobilenet_fp32.onnx', import.meta.url);
const FLATTEN = new URL('../src/compiler/import/fixtures/pytorch_flatten.onnx', import.meta.url);
const fp32 = () => readFileSync(FIXTURE);

const TINY: Experiment = {
  ...defaultFieldValues(),
  model: 'tiny-cnn',
  resolution: 32,
  classes: 10,
  preset: 'last:4',
  scheme: presetScheme('tiny-cnn', 'last:4'),
  seed: 5,
};

/** `tinytrain quantize` on the fixture with MNIST: the int8 bytes' hash as the share link writes it. */
async function cliHash(model: string, count: number, range: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tt-quantize-'));
  try {
    const out = join(dir, 'int8.onnx');
    const argv = ['quantize', '--model', model, '--data', 'mnist', '--calibration', String(count)];
    const err: string[] = [];
    const code = await main([...argv, `--input-range=${range}`, '--out', out], {
      out: () => undefined,
      err: (t) => err.push(t),
    });
    expect(err).toEqual([]);
    expect(code).toBe(0);
    return (await sha256Hex(new Uint8Array(readFileSync(out)))).slice(0, 16);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function openFile(page: Page, name: string, buffer: Buffer): Promise<void> {
  await page.getByTestId('model.open.input').setInputFiles({ name, mimeType: 'application/octet-stream', buffer });
}

const SIZES = [
  { label: 'phone', width: 390, height: 844, count: 200, range: ['-1', '1'] as const },
  { label: 'desktop', width: 1280, height: 800, count: 500, range: ['0', '1'] as const },
];

for (const size of SIZES) {
  test(`${size.label} ${size.width}px: an fp32 ONNX model is quantized on the page (${size.count} images, input ${size.range.join('..')}), trains, exports, re-imports`, async ({
    page,
  }) => {
    test.setTimeout(300_000);
    await page.setViewportSize({ width: size.width, height: size.height });
    const app = new PlaygroundPage(page);
    await app.open(`/#${encodeExperiment(TINY)}`);
    await expect(page.getByTestId('train.weights')).toHaveAttribute('data-status', 'ready', { timeout: 30_000 });
    const peak = await app.peak.getAttribute('data-bytes');
    const hash = await page.evaluate(() => location.hash);

    await openFile(page, 'fashion_mobilenet_fp32.onnx', readFileSync(FASHION));
    const step = page.getByTestId('quantize.step');
    await expect(step).toContainText(
      'fashion_mobilenet_fp32.onnx is a float32 model (input 1×1×28×28): quantize it to int8 on 500 training images of MNIST',
    );
    await expect(page.getByTestId('quantize.count')).toHaveValue('500');
    await expect(page.getByTestId('quantize.range.lo')).toHaveValue('0');
    await expect(page.getByTestId('quantize.range.hi')).toHaveValue('1');
    // the page keeps its model meanwhile
    await expect(page.getByTestId('editor.backbone.tiny-cnn')).toHaveAttribute('aria-checked', 'true');
    await expect(app.peak).toHaveAttribute('data-bytes', peak!);
    expect(await page.evaluate(() => location.hash)).toBe(hash);
    await step.scrollIntoViewIfNeeded();
    await page.screenshot({ path: test.info().outputPath(`quantize-step-${size.label}.png`) });
    const axe = await new AxeBuilder({ page })
      .include('[data-testid="quantize.step"]')
      .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
      .analyze();
    expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);

    await page.getByTestId('quantize.count').fill(String(size.count));
    await page.getByTestId('quantize.range.lo').fill(size.range[0]);
    await page.getByTestId('quantize.range.hi').fill(size.range[1]);
    await expect(step).toContainText(
      `pixel p is given as ${size.range[0]} + (${size.range[1]} − ${size.range[0]}) × p / 255`,
    );
    const t0 = Date.now();
    await page.getByTestId('quantize.start').click();
    await expect(page.getByTestId('notice.edit')).toContainText(
      `Opened fashion_mobilenet_fp32.onnx (quantized to int8 on ${size.count} MNIST training images, input ${size.range.join('..')}; `,
      { timeout: 120_000 },
    );
    const seconds = (Date.now() - t0) / 1000;
    await expect(step).toHaveCount(0);
    await expect(page.getByTestId('editor.backbone.imported')).toHaveAttribute('aria-checked', 'true');
    await expect(page.getByTestId('editor.input-shape')).toHaveText("28×28×1 (the file's input)");
    await expect(app.compileNotice).toHaveCount(0);
    await expect(app.peak).toHaveAttribute('data-bytes', /^\d+$/);
    await page.screenshot({ path: test.info().outputPath(`quantized-${size.label}.png`) });
    // the same int8 bytes as the CLI's: the link names the opened model by its hash
    const w = await cliHash(FASHION.pathname, size.count, size.range.join(','));
    await expect.poll(() => page.evaluate(() => location.hash)).toMatch(new RegExp(`m=imported.*w=${w}`));
    console.log(
      `${size.label}: quantized on ${size.count} images in ${seconds.toFixed(1)} s (click to opened), w=${w} = tinytrain quantize's; ` +
        `peak ${await app.peak.getAttribute('data-bytes')} B`,
    );

    await expect(page.getByTestId('train.weights')).toHaveAttribute('data-status', 'ready', { timeout: 30_000 });
    await app.trainStart.scrollIntoViewIfNeeded();
    await app.trainStart.click();
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="train.step.count"]')?.getAttribute('data-step')) >= 300,
      undefined,
      { timeout: 120_000, polling: 250 },
    );
    await app.trainPause.click();
    await expect(app.trainStatus).toHaveAttribute('data-status', 'paused');
    const stats = (await page.getByTestId('train.stats').textContent())!;
    expect(stats).toMatch(/loss \d+\.\d{3}/);
    const legend = (await page.getByTestId('train.legend.test').textContent())!.trim();
    console.log(`${size.label}: ${stats.replace(/\s+/g, ' ')}; ${legend}`);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('model.export.onnx').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^imported-10c-step\d+\.onnx$/);
    const exported = readFileSync(await download.path());
    await openFile(page, download.suggestedFilename(), exported);
    await expect(page.getByTestId('notice.edit')).toContainText(
      `Opened ${download.suggestedFilename()} (its classifier is kept)`,
    );
    await expect(step).toHaveCount(0); // int8: no quantize step
    await expect(page.getByTestId('editor.input-shape')).toHaveText("28×28×1 (the file's input)");
    await app.expectNoConsoleErrors();
  });
}

test('files the page cannot quantize, and Cancel: one line each, and the page keeps its model', async ({ page }) => {
  test.setTimeout(180_000);
  // onnxruntime-web (its code and 14 MB .wasm) loads only when a float model is quantized
  const ortRequests: string[] = [];
  page.on('request', (r) => /\/ort[.-][^/]*$/.test(r.url()) && ortRequests.push(r.url()));
  const app = new PlaygroundPage(page);
  await app.open(`/#${encodeExperiment(TINY)}`);
  await expect(page.getByTestId('train.weights')).toHaveAttribute('data-status', 'ready', { timeout: 30_000 });
  const peak = await app.peak.getAttribute('data-bytes');
  const hash = await page.evaluate(() => location.hash);
  const kept = async () => {
    await expect(page.getByTestId('editor.backbone.tiny-cnn')).toHaveAttribute('aria-checked', 'true');
    await expect(app.peak).toHaveAttribute('data-bytes', peak!);
    expect(await page.evaluate(() => location.hash)).toBe(hash);
    await expect(page.getByTestId('quantize.step')).toHaveCount(0);
  };
  const CASES: [string, Buffer, RegExp][] = [
    [
      'pytorch_flatten.onnx',
      readFileSync(FLATTEN),
      /the input is \[1, 2, 4, 4\]; quantize calibrates one image input \[1, C, H, W\] with C = 1 or 3/,
    ],
    [
      'relu_after_add.onnx',
      Buffer.from(reluAfterAdd(new Uint8Array(fp32()))),
      /op relu_after_add \(Relu\) has no int8 form here/,
    ],
  ];
  for (const [name, bytes, why] of CASES) {
    await openFile(page, name, bytes);
    const notice = page.getByTestId('notice.edit');
    await expect(notice).toHaveCount(1);
    await expect(notice).toContainText(`Could not open ${name}: `);
    await expect(notice).toContainText(why);
    await expect(notice).toContainText('The page keeps its model.');
    console.log((await notice.textContent())!.slice(0, 240));
    await kept();
  }
  // a float file opened while the step shows gets a step of its own: its range boxes start from 0..1, not from
  // what was typed into the last one (they once kept the typed text while the hint below them said 0..1)
  await openFile(page, 'fp32_mobilenet.onnx', fp32());
  await expect(page.getByTestId('quantize.step')).toBeVisible();
  await page.getByTestId('quantize.range.lo').fill('-1');
  await expect(page.getByTestId('quantize.step')).toContainText('pixel p is given as -1 + (1 − -1) × p / 255');
  await openFile(page, 'fp32_mobilenet.onnx', fp32());
  await expect(page.getByTestId('quantize.step')).toContainText('pixel p is given as 0 + (1 − 0) × p / 255');
  await expect(page.getByTestId('quantize.range.lo')).toHaveValue('0');
  await expect(page.getByTestId('quantize.range.hi')).toHaveValue('1');
  // Cancel while calibrating on every training image: the step stays (to run again); Cancel again closes it
  expect(ortRequests).toEqual([]);
  const max = await page.getByTestId('quantize.count').getAttribute('max');
  await page.getByTestId('quantize.count').fill(max!);
  await page.getByTestId('quantize.start').click();
  await expect(page.getByTestId('quantize.progress')).toHaveAttribute('data-done', /^[1-9]\d*$/, { timeout: 60_000 });
  await page.getByTestId('quantize.step').screenshot({ path: test.info().outputPath('quantize-progress.png') });
  expect(ortRequests.some((u) => /ort-wasm-simd-threaded[^/]*\.wasm$/.test(u))).toBe(true);
  await page.getByTestId('quantize.cancel').click();
  await expect(page.getByTestId('notice.edit')).toHaveText(
    'Quantization of fp32_mobilenet.onnx cancelled. The page keeps its model.',
  );
  await expect(page.getByTestId('quantize.progress')).toHaveCount(0);
  await expect(page.getByTestId('quantize.start')).toBeEnabled();
  await page.getByTestId('quantize.cancel').click();
  await kept();
  await page.getByTestId('train.step').click();
  await expect(page.getByTestId('train.step.count')).toHaveAttribute('data-step', /^[1-9]\d*$/);
  await app.expectNoConsoleErrors();
});
