/**
 * Keyboard and first steps (#14): Start is reached from page load through a skip link in at most 10 Tab
 * presses, Space starts and then pauses with focus staying on Start/Pause, the timeline steps with arrow
 * keys; and a newcomer can follow the start-here steps to training, every step visible and labelled.
 */
import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './pages/playground';

test('keyboard: skip link to Start in <= 10 Tabs, Space starts and pauses, focus stays', async ({ page }) => {
  test.setTimeout(90_000);
  const app = new PlaygroundPage(page);
  await app.open('/#v=1&m=tiny-cnn&r=32');
  await expect(app.trainStart).toBeEnabled();
  let tabs = 0;
  const focusedTestId = () => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);
  while (tabs < 10 && (await focusedTestId()) !== 'train.start') {
    await page.keyboard.press('Tab');
    tabs++;
    if ((await focusedTestId()) === 'skip.panel-training') {
      await expect(page.getByTestId('skip.panel-training')).toBeVisible();
      await page.keyboard.press('Enter');
    }
  }
  expect(await focusedTestId(), `focus after ${tabs} Tab presses`).toBe('train.start');
  test.info().annotations.push({ type: 'tabs-to-start', description: String(tabs) });

  await page.keyboard.press('Space');
  await expect(app.trainStatus).toHaveAttribute('data-status', 'running', { timeout: 30_000 });
  await expect(app.trainPause).toBeFocused();
  await page.keyboard.press('Space');
  await expect(app.trainStatus).toHaveAttribute('data-status', 'paused');
  await expect(app.trainStart).toBeFocused();

  // The memory timeline steps through the plan with the arrow keys.
  await app.timelineSlider.focus();
  const now = async () => Number(await app.timelineSlider.getAttribute('aria-valuenow'));
  const peak = await now();
  await page.keyboard.press('ArrowLeft');
  expect(await now()).toBe(peak - 1);
  await page.keyboard.press('Home');
  expect(await now()).toBe(0);
  await expect(page.getByTestId('timeline.explain')).toContainText('Live at step 0');
  await app.expectNoConsoleErrors();
});

test('newcomer: follow the start-here steps and train; each step visible and labelled', async ({ page }) => {
  test.setTimeout(90_000);
  const app = new PlaygroundPage(page);
  await app.open();
  await expect(app.startHere).toBeVisible();
  await expect(page.getByTestId('about')).toBeVisible();

  // A small backbone trains quickly: the editor's first choice.
  await app.backbone('tiny-cnn').click();
  // 1. Pick a scheme: the link takes you to the labelled preset menu.
  await app.startHere.getByRole('link', { name: 'Pick a scheme', exact: true }).click();
  await expect(app.preset).toBeFocused();
  await expect(app.preset).toBeVisible();
  await expect(app.preset).toHaveAccessibleName(/Scheme preset/);
  const options = await app.preset.locator('option').allTextContents();
  expect(options.length).toBeGreaterThan(1);
  await app.preset.selectOption({ index: 1 });
  await expect(app.peak).toHaveAttribute('data-bytes', /^\d+$/);

  // 2. Watch the memory: the timeline, a labelled slider over the plan steps.
  await app.startHere.getByRole('link', { name: 'Watch the memory', exact: true }).click();
  await expect(app.timelineSlider).toBeFocused();
  await expect(app.timelineSlider).toBeVisible();
  await expect(app.timelineSlider).toHaveAccessibleName(/memory timeline/);
  // A glossary term explains itself on focus.
  const term = app.startHere.locator('.term', { hasText: 'peak SRAM' });
  await term.focus();
  await expect(term.getByRole('tooltip')).toBeVisible();
  await expect(term.getByRole('tooltip')).toContainText('on-chip memory');

  // 3. Train: the link lands on Start; Enter trains and the loss curve grows.
  await app.startHere.getByRole('link', { name: 'Train', exact: true }).click();
  await expect(app.trainStart).toBeFocused();
  await expect(app.trainStart).toHaveAccessibleName(/start/);
  await page.keyboard.press('Enter');
  await expect(app.trainStatus).toHaveAttribute('data-status', 'running', { timeout: 30_000 });
  await expect.poll(() => app.lossPoints(), { timeout: 40_000 }).toBeGreaterThanOrEqual(3);
  await app.trainPause.click();

  // Dismissed, the steps stay away after a reload; "What is this?" brings them back and links the paper.
  await page.getByTestId('start.dismiss').click();
  await expect(app.startHere).toHaveCount(0);
  await page.reload();
  await expect(app.app).toBeVisible();
  await expect(app.startHere).toHaveCount(0);
  await page.getByTestId('about').click();
  await expect(page.getByTestId('about.text').getByRole('link')).toHaveAttribute(
    'href',
    /arxiv\.org\/abs\/2206\.15472/,
  );
  await page.getByRole('button', { name: 'show the start-here steps' }).click();
  await expect(app.startHere).toBeVisible();

  // The kernel self-check is a badge; its details open on click.
  await expect(page.getByTestId('kernels.detail')).toBeHidden();
  await page.getByTestId('kernels.badge').click();
  await expect(page.getByTestId('kernels.detail')).toBeVisible();
  // Chromium validates relaxed SIMD, so the page runs the relaxed build (bit-identical to the SIMD one).
  await expect(page.getByTestId('kernels.detail')).toContainText('relaxed SIMD build');
  await app.expectNoConsoleErrors();
});
