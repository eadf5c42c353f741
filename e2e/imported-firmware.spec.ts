/**
 * An imported model from the page to the device (issues #9 and #10), as a user meets it in Chromium: open a
 * .tflite, train it on the page, download the firmware bundle "as trained", unpack it, `make host`, run it. The
 * bundle must carry the worker's trained weights (not the file's) and, in the file's own requantization mode
 * (TFLite's fixed point, or float with ties to even), predict exactly what the page predicted.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import { expect, test, type Page } from '@playwright/test';
import { writeTflite } from '../src/compiler/export';
import { modelToDescription } from '../src/compiler/import/from-model';
import type { RequantMode } from '../src/compiler/models/model';
import { fetchModelFile, transferModel } from '../src/runtime/training/train-backbone';
import type { TrainingClient } from '../src/runtime/training/training-client';
import { presetScheme } from '../src/state/compile';
import { defaultFieldValues, type Experiment } from '../src/state/experiment';
import { encodeExperiment } from '../src/state/url';
import { PlaygroundPage } from './pages/playground';

declare global {
  interface Window {
    __tinytrain?: TrainingClient;
  }
}

const TINY: Experiment = {
  ...defaultFieldValues(),
  model: 'tiny-cnn',
  resolution: 32,
  classes: 10,
  preset: 'last:4',
  scheme: presetScheme('tiny-cnn', 'last:4'),
  lr: 0.02,
  seed: 5,
};

/** The pretrained tiny-cnn backbone with a fresh 10-class classifier, written as .tflite in the given mode. */
async function tinyTflite(requant: RequantMode): Promise<Buffer> {
  const file = await fetchModelFile('public/models', 'tiny-cnn', async (p) => new Uint8Array(readFileSync(p)));
  const m = transferModel({ model: 'tiny-cnn', resolution: 32, classes: 10, pretrained: file, seed: 3 });
  return Buffer.from(writeTflite(modelToDescription({ ...m, requant }, 'tflite')));
}

/** FNV-1a over the bytes of trainable arrays in plan order (the firmware's tt_weights_checksum). */
function fnv(arrays: readonly ArrayLike<number>[], bytesPer: readonly number[]): string {
  let h = 0x811c9dc5;
  arrays.forEach((a, k) => {
    const view =
      bytesPer[k] === 1 ? new Uint8Array(Int8Array.from(a).buffer) : new Uint8Array(Int32Array.from(a).buffer);
    for (const b of view) h = Math.imul(h ^ b, 16777619) >>> 0;
  });
  return (h >>> 0).toString(16).padStart(8, '0');
}

async function trainThenPause(page: Page, steps: number): Promise<void> {
  await expect(page.getByTestId('train.weights')).toHaveAttribute('data-status', 'ready', { timeout: 30_000 });
  await page.getByTestId('train.start').click();
  await page.waitForFunction(
    (n) => Number(document.querySelector('[data-testid="train.step.count"]')?.getAttribute('data-step')) >= n,
    steps,
    { timeout: 120_000, polling: 250 },
  );
  await page.getByTestId('train.pause').click();
  await expect(page.getByTestId('train.status')).toHaveAttribute('data-status', 'paused');
}

for (const requant of ['tflite-fixed', 'float-half-even'] as const) {
  test(`an imported .tflite (${requant}) trained on the page: the firmware bundle carries it and predicts like the page`, async ({
    page,
  }) => {
    test.setTimeout(240_000);
    const app = new PlaygroundPage(page);
    await app.open(`/#${encodeExperiment(TINY)}`);
    const original = await tinyTflite(requant);
    await page
      .getByTestId('model.open.input')
      .setInputFiles({ name: 'tiny.tflite', mimeType: 'application/octet-stream', buffer: original });
    await expect(page.getByTestId('editor.backbone.imported')).toHaveAttribute('aria-checked', 'true');
    await trainThenPause(page, 300);

    await page.getByTestId('tab.code').click();
    await page.getByTestId('code.weights').selectOption('trained');
    const info = page.getByTestId('code.weights-info');
    await expect(info).toHaveAttribute('data-step', /^[1-9]\d*$/, { timeout: 30_000 });
    const step = Number(await info.getAttribute('data-step'));
    const pagePredictions = (await info.getAttribute('data-predictions'))!.split(',').map(Number);
    expect(pagePredictions.length).toBeGreaterThan(1);

    const worker = await page.evaluate(async () => {
      const t = await window.__tinytrain!.trace(0);
      return t.trainable.map((w) => ({ bytes: w.data.BYTES_PER_ELEMENT, data: Array.from(w.data) }));
    });
    expect(worker.length).toBeGreaterThan(0);
    const workerSum = fnv(
      worker.map((w) => w.data),
      worker.map((w) => w.bytes),
    );

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('code.download').click()]);
    const files = unzipSync(new Uint8Array(readFileSync(await download.path())));
    const dir = mkdtempSync(join(tmpdir(), 'tt-imported-fw-'));
    try {
      for (const [name, data] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        writeFileSync(join(dir, name), data);
      }
      const root = join(dir, Object.keys(files)[0].split('/')[0]);
      expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain(
        `trained on the playground page for ${step} steps`,
      );
      execFileSync('make', ['-s', 'host'], { cwd: root, stdio: 'pipe' });
      const out = execFileSync(join(root, 'build/host/tinytrain'), { cwd: root, encoding: 'utf8' });
      expect(/^initial weights fnv1a 0x([0-9a-f]{8})$/m.exec(out)?.[1]).toBe(workerSum);
      const before = [...out.matchAll(/^before (\d+) label (\d+) predicted (\d+)/gm)].map((m) => Number(m[3]));
      expect(before).toEqual(pagePredictions);
      console.log(
        `${requant}: bundle at step ${step}, weights ${workerSum}, host predictions = page's (${before.length})`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await app.expectNoConsoleErrors();
  });
}
