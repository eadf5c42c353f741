import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { PlaygroundPage } from './pages/playground';

/** Reads the (step, loss) series the loss chart draws, from the training store via the rendered stats. */
async function lossHistory(page: Page): Promise<{ points: number; last: number; first: number }> {
  const chart = page.getByTestId('train.loss');
  const points = Number(await chart.getAttribute('data-points'));
  const first = Number(await chart.getAttribute('data-first'));
  const last = Number(await chart.getAttribute('data-last'));
  return { points, first, last };
}

test('train the small CNN from the panel: the loss curve falls; pause, step and reset work', async ({ page }) => {
  test.setTimeout(120_000);
  const app = new PlaygroundPage(page);
  await app.open();
  await app.backbone('tiny-cnn').click();
  await expect(app.resolution).toHaveValue('32');
  await expect(page.getByTestId('train.status')).toHaveAttribute('data-status', 'idle');
  await page.getByTestId('train.start').click();
  await expect(page.getByTestId('train.status')).toHaveAttribute('data-status', 'running', { timeout: 30_000 });
  await expect(page.getByTestId('train.speed')).toHaveText(/^[1-9]\d* samples\/s$/, { timeout: 30_000 });
  // Train until the curve has enough points to compare its start with its end.
  await expect.poll(async () => (await lossHistory(page)).points, { timeout: 60_000 }).toBeGreaterThanOrEqual(8);
  await expect
    .poll(
      async () => {
        const h = await lossHistory(page);
        return h.last < h.first * 0.85;
      },
      { timeout: 60_000, message: 'the loss falls by at least 15%' },
    )
    .toBe(true);

  await page.getByTestId('train.pause').click();
  await expect(page.getByTestId('train.status')).toHaveAttribute('data-status', 'paused');
  const stats = page.getByTestId('train.stats');
  const stepOf = async () => Number(/step (\d+)/.exec((await stats.textContent()) ?? '')![1]);
  // Pausing reports the last partial window, so the curve ends at the step count and 'step' adds one point.
  const pointsBefore = (await lossHistory(page)).points;
  const before = await stepOf();
  await page.getByTestId('train.step').click();
  await expect.poll(stepOf).toBeGreaterThan(before);
  expect((await lossHistory(page)).points).toBe(pointsBefore + 1);
  await page.getByTestId('train.reset').click();
  await expect(stats).toContainText('step 0');
  await expect(page.getByTestId('train.loss')).toHaveAttribute('data-points', '0');
  await app.expectNoConsoleErrors();
});

test('"your data": two classes from image files, then train on them', async ({ page }) => {
  test.setTimeout(90_000);
  const app = new PlaygroundPage(page);
  await app.open();
  await app.backbone('tiny-cnn').click();
  await page.getByTestId('data.tab').click();
  // Two visibly different classes: dark and bright images, made in the page as PNG files.
  const png = async (level: number) =>
    Buffer.from(
      await page.evaluate(async (v) => {
        const c = new OffscreenCanvas(40, 30);
        const ctx = c.getContext('2d')!;
        ctx.fillStyle = `rgb(${v},${v},${v})`;
        ctx.fillRect(0, 0, 40, 30);
        ctx.fillStyle = `rgb(${255 - v},${255 - v},${255 - v})`;
        ctx.fillRect(10, 10, 8, 8);
        const blob = await c.convertToBlob({ type: 'image/png' });
        return Array.from(new Uint8Array(await blob.arrayBuffer()));
      }, level),
    );
  for (const [name, level] of [
    ['dark', 20],
    ['bright', 235],
  ] as const) {
    await page.getByTestId('data.className').fill(name);
    await page.getByTestId('data.addClass').click();
  }
  const files = async (level: number) =>
    Promise.all(
      [0, 1, 2, 3].map(async (i) => ({ name: `img${i}.png`, mimeType: 'image/png', buffer: await png(level + i) })),
    );
  await page.getByTestId('data.files.0').setInputFiles(await files(20));
  await page
    .getByTestId('data.files.1')
    .setInputFiles([
      ...(await files(235)),
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') },
    ]);
  await expect(page.getByTestId('data.class.0')).toContainText('4 images');
  await expect(page.getByTestId('data.class.1')).toContainText('4 images');
  await expect(page.getByTestId('data.refused')).toContainText('notes.txt was refused: not an image file (text/plain)');
  await page.getByTestId('data.setClasses').click();
  await expect(app.classes).toHaveValue('2');

  await page.getByTestId('train.tab').click();
  await page.getByTestId('train.start').click();
  await expect(page.getByTestId('train.speed')).toHaveText(/^[1-9]\d* samples\/s$/, { timeout: 30_000 });
  await expect.poll(async () => (await lossHistory(page)).points, { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
  await page.getByTestId('train.pause').click();
  await app.expectNoConsoleErrors();
});
