/**
 * "Your data" is honest (issue #9, item 4): about 20% of each class is held out, and the accuracy on those images
 * is what the Training panel reports. With labels assigned at random, training accuracy rises (memorisation)
 * while held-out accuracy stays near chance; with two distinct shapes, held-out accuracy is high. The images
 * are drawn in the page (canvas -> PNG); nothing is downloaded. Also: the images survive a reload (IndexedDB),
 * "clear my data" deletes them, refused files are named, and "try it" classifies a new image by class name.
 */
import { expect, test, type Page } from '@playwright/test';
import { PlaygroundPage } from './pages/playground';

type FilePayload = { name: string; mimeType: string; buffer: Buffer };

/**
 * PNGs of size x size: gray noise with a bright 12x12 shape at a seeded random place; shape 0 is a filled square,
 * shape 1 an X. `shapes[i]` picks the shape of image i.
 */
async function shapePngs(page: Page, shapes: number[], seed: number, size = 32): Promise<FilePayload[]> {
  const bytes = await page.evaluate(
    async ({ shapes, seed, size }) => {
      let s = seed >>> 0;
      const rand = () => {
        s = (s + 0x6d2b79f5) >>> 0;
        let t = s;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
      const out: number[][] = [];
      for (const shape of shapes) {
        const c = new OffscreenCanvas(size, size);
        const ctx = c.getContext('2d')!;
        const img = ctx.createImageData(size, size);
        for (let p = 0; p < size * size; p++) {
          const v = Math.floor(rand() * 80);
          img.data.set([v, v, v, 255], 4 * p);
        }
        const ox = 2 + Math.floor(rand() * (size - 16));
        const oy = 2 + Math.floor(rand() * (size - 16));
        for (let y = 0; y < 12; y++)
          for (let x = 0; x < 12; x++) {
            const on = shape === 0 || Math.abs(x - y) <= 1 || Math.abs(x - (11 - y)) <= 1;
            if (on) img.data.set([235, 235, 235, 255], 4 * ((oy + y) * size + ox + x));
          }
        ctx.putImageData(img, 0, 0);
        const blob = await c.convertToBlob({ type: 'image/png' });
        out.push(Array.from(new Uint8Array(await blob.arrayBuffer())));
      }
      return out;
    },
    { shapes, seed, size },
  );
  return bytes.map((b, i) => ({ name: `img${seed}-${i}.png`, mimeType: 'image/png', buffer: Buffer.from(b) }));
}

/** A seeded shuffle of n/2 zeros and n/2 ones (Fisher-Yates). */
function randomLabels(n: number, seed: number): number[] {
  const labels = Array.from({ length: n }, (_, i): number => (i < n / 2 ? 0 : 1));
  let s = seed;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [labels[i], labels[j]] = [labels[j], labels[i]];
  }
  return labels;
}

/** tiny-cnn, the data tab, two classes filled with the given files, and a 2-output classifier. */
async function twoClasses(app: PlaygroundPage, files: [FilePayload[], FilePayload[]]): Promise<void> {
  const page = app.page;
  await app.backbone('tiny-cnn').click();
  await expect(app.resolution).toHaveValue('32');
  await page.getByTestId('data.tab').click();
  for (const name of ['A', 'B']) {
    await page.getByTestId('data.className').fill(name);
    await page.getByTestId('data.addClass').click();
  }
  await page.getByTestId('data.files.0').setInputFiles(files[0]);
  await page.getByTestId('data.files.1').setInputFiles(files[1]);
  await expect(page.getByTestId('data.class.0')).toContainText(`${files[0].length} images`);
  await expect(page.getByTestId('data.class.1')).toContainText(`${files[1].length} images`);
  await page.getByTestId('data.setClasses').click();
  await expect(app.classes).toHaveValue('2');
  await page.getByTestId('train.tab').click();
}

/** Trains from the plan's weights until `steps`, pauses, and reads the legend: held-out and training accuracy. */
async function trainAndRead(page: Page, seed: number, steps: number) {
  await page.getByTestId('train.seed').fill(String(seed));
  if (await page.getByTestId('train.reset').isEnabled()) await page.getByTestId('train.reset').click();
  await expect(page.getByTestId('train.stats')).toContainText('step 0');
  await page.getByTestId('train.start').click();
  const stats = page.getByTestId('train.stats');
  const step = async () => Number(/step (\d+)/.exec((await stats.textContent()) ?? '')?.[1] ?? 0);
  // training accuracy early on: the report window (about 500 ms of steps) the legend shows once 400 steps are done
  await expect.poll(step, { timeout: 60_000, intervals: [100] }).toBeGreaterThanOrEqual(400);
  const trainEarly = Number(await page.getByTestId('train.legend.train').getAttribute('data-accuracy'));
  await expect.poll(step, { timeout: 90_000, intervals: [500] }).toBeGreaterThanOrEqual(steps);
  await page.getByTestId('train.pause').click();
  await expect(page.getByTestId('train.status')).toHaveAttribute('data-status', 'paused');
  const legend = page.getByTestId('train.legend.test');
  // the pause flush evaluates the held-out images: the legend's evaluation is at the step the run ended on
  await expect.poll(async () => (await legend.getAttribute('data-step')) === String(await step())).toBe(true);
  return {
    heldOut: Number(await legend.getAttribute('data-accuracy')),
    images: Number(await legend.getAttribute('data-held-out')),
    legend: (await legend.textContent()) ?? '',
    trainEarly,
    trainLate: Number(await page.getByTestId('train.legend.train').getAttribute('data-accuracy')),
  };
}

test('labels at random: training accuracy rises, held-out accuracy stays near chance (3 seeds)', async ({ page }) => {
  test.setTimeout(300_000);
  const app = new PlaygroundPage(page);
  await app.open();
  // 160 images, squares and Xs alternating, labelled at random with half of each shape in each class, so that
  // neither the shape nor anything else tells the classes apart: all there is to learn is the images themselves
  const pool = await shapePngs(
    page,
    Array.from({ length: 160 }, (_, i) => i % 2),
    11,
  );
  const [ofSquares, ofCrosses] = [randomLabels(80, 5), randomLabels(80, 6)];
  const labels = pool.map((_, i) => (i % 2 ? ofCrosses : ofSquares)[i >> 1]);
  await twoClasses(app, [pool.filter((_, i) => labels[i] === 0), pool.filter((_, i) => labels[i] === 1)]);
  const runs: Awaited<ReturnType<typeof trainAndRead>>[] = [];
  // Measured in Chromium: training accuracy 0.51-0.55 -> 0.79-0.90, held-out 0.53 / 0.38 / 0.53 (mean 0.48).
  for (const seed of [1, 2, 3]) runs.push(await trainAndRead(page, seed, 10_000));
  console.log('random labels', JSON.stringify(runs));
  for (const r of runs) {
    expect(r.images).toBe(32);
    expect(r.legend).toMatch(/held-out accuracy, 32 images \d+\.\d%/);
  }
  const mean = (f: (r: (typeof runs)[number]) => number) => runs.reduce((a, r) => a + f(r), 0) / runs.length;
  expect(mean((r) => r.trainLate)).toBeGreaterThan(mean((r) => r.trainEarly) + 0.2);
  expect(mean((r) => r.heldOut)).toBeLessThanOrEqual(0.65);
  await app.expectNoConsoleErrors();
});

test('two distinct shapes: held-out accuracy >= 90%, per class; "try it" names the class', async ({ page }) => {
  test.setTimeout(180_000);
  const app = new PlaygroundPage(page);
  await app.open();
  const squares = await shapePngs(page, new Array<number>(30).fill(0), 21);
  const crosses = await shapePngs(page, new Array<number>(30).fill(1), 22);
  await twoClasses(app, [squares, crosses]);
  const r = await trainAndRead(page, 1, 1500);
  console.log('shapes', JSON.stringify(r));
  expect(r.images).toBe(12);
  expect(r.heldOut).toBeGreaterThanOrEqual(0.9);
  for (const c of [0, 1]) await expect(page.getByTestId(`train.confusion.${c}`)).toHaveAttribute('data-images', '6');

  await page.getByTestId('data.tab').click();
  const [square] = await shapePngs(page, [0], 99);
  await page.getByTestId('try.file').setInputFiles(square);
  await expect(page.getByTestId('try.result').locator('li').first()).toHaveText(/^A: \d+\.\d%$/);
  const [cross] = await shapePngs(page, [1], 98);
  await page.getByTestId('try.file').setInputFiles(cross);
  await expect(page.getByTestId('try.result').locator('li').first()).toHaveText(/^B: \d+\.\d%$/);
  await app.expectNoConsoleErrors();
});

test('images and class names survive a reload; "clear my data" deletes them; refused files are named', async ({
  page,
}) => {
  const app = new PlaygroundPage(page);
  await app.open();
  await page.getByTestId('data.tab').click();
  await page.getByTestId('data.className').fill('dots');
  await page.getByTestId('data.addClass').click();
  await expect(page.getByTestId('data.warnings')).toContainText('Only one class ("dots")');
  await page.getByTestId('data.className').fill('dots');
  await page.getByTestId('data.addClass').click();
  await expect(page.getByTestId('data.warnings')).toContainText('2 classes are named "dots"');
  await page
    .getByTestId('data.files.0')
    .setInputFiles([
      ...(await shapePngs(page, [0, 0, 0], 1)),
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') },
      { name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('not a png at all') },
    ]);
  await expect(page.getByTestId('data.refused')).toContainText('notes.txt was refused: not an image file (text/plain)');
  await expect(page.getByTestId('data.refused')).toContainText('broken.png was refused: a broken image');
  await expect(page.getByTestId('data.warnings')).toContainText('"dots" has no images');
  await expect(page.getByTestId('data.persistence')).toHaveAttribute('data-state', 'saved');

  await page.reload();
  await expect(app.app).toBeVisible();
  await page.getByTestId('data.tab').click();
  await expect(page.getByTestId('data.class.0')).toContainText('dots');
  await expect(page.getByTestId('data.class.0')).toContainText('3 images');
  await expect(page.getByTestId('data.class.1')).toContainText('0 images');
  await expect(page.getByTestId('data.persistence')).toContainText('restored 3 image(s) in 2 class(es)');

  // "try it" before any training, and a camera that is not there: one clear line each, no crash
  await page.getByTestId('try.file').setInputFiles(await shapePngs(page, [1], 3));
  await expect(page.getByTestId('try.error')).toHaveText('no trained model yet: press start or step first');
  await page.getByTestId('try.webcam').click();
  await expect(page.getByTestId('try.panel').getByTestId('data.webcam.error')).toContainText('no camera');

  await page.getByTestId('data.clear').click();
  await page.getByTestId('data.clear.confirm').click();
  await expect(page.getByTestId('data.class.0')).toHaveCount(0);
  await expect(page.getByTestId('data.persistence')).toContainText('deleted from this browser');
  await page.reload();
  await expect(app.app).toBeVisible();
  await page.getByTestId('data.tab').click();
  await expect(page.getByTestId('data.persistence')).toHaveAttribute('data-state', 'saved');
  await expect(page.getByTestId('data.class.0')).toHaveCount(0);
  await app.expectNoConsoleErrors();
});
