/**
 * Scheme search on the page (issue 11): tiny-cnn at 32x32, a 16 KB budget, the last 2 convs and short runs
 * on the worker pool. The heat map, the finalists and the accuracy-vs-SRAM plot appear, "Use this scheme" puts the searched
 * scheme into the editor, Cancel stops a running search, and the tab passes axe and fits a phone's width.
 * With a latency budget on the STM32F746, every scheme carries its estimated step and a second plot draws gain
 * against it; a board without a calibrated estimate disables the budget with a note.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { compile } from '../src/compiler/compile';
import { buildModel } from '../src/compiler/models/model';
import { estimatedStepMs } from '../src/compiler/search/latency';
import { presetScheme } from '../src/state/compile';
import { defaultFieldValues, type Experiment } from '../src/state/experiment';
import { closeCall } from '../src/state/search-noise';
import { encodeExperiment } from '../src/state/url';
import { PlaygroundPage } from './pages/playground';

const tiny: Experiment = {
  ...defaultFieldValues(),
  model: 'tiny-cnn',
  resolution: 32,
  preset: 'last:4',
  scheme: presetScheme('tiny-cnn', 'last:4'),
};

async function fill(page: import('@playwright/test').Page, id: string, v: number) {
  const f = page.getByTestId(id);
  await f.fill(String(v));
  await expect(f).toHaveValue(String(v));
}

test('search on the page: heat map, Pareto plot, use this scheme, cancel', async ({ page }) => {
  test.setTimeout(120_000);
  const app = new PlaygroundPage(page);
  await app.open(`/#${encodeExperiment(tiny)}`);
  await expect(app.preset).toHaveValue('last:4');
  await page.getByTestId('tab.search').click();
  await fill(page, 'search.budget', 16);
  await fill(page, 'search.layers', 2);
  await fill(page, 'search.steps', 20);
  await fill(page, 'search.finalist-steps', 40);
  await fill(page, 'search.validation', 60);
  await fill(page, 'search.workers', 2);
  await expect(page.getByTestId('search.prefix')).toBeChecked();
  await page.getByTestId('search.start').click();
  await expect(page.getByTestId('search.results')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('search.status')).toHaveAttribute('data-status', 'done');
  await expect(page.getByTestId('search.results')).toContainText(
    'frozen-prefix outputs cached per image; results bit-identical',
  );
  // heat map: one row per searched conv, a gain in every allowed cell
  await expect(page.locator('[data-testid="search.heatmap"] tbody tr')).toHaveCount(2);
  expect(await page.locator('[data-testid="search.heatmap"] td[data-gain]').count()).toBeGreaterThanOrEqual(6);
  const plot = page.getByTestId('search.plot');
  await expect(plot).toBeVisible();
  expect(Number(await plot.getAttribute('data-candidates'))).toBeGreaterThan(3);
  expect(Number(await plot.getAttribute('data-pareto'))).toBeGreaterThan(0);

  // the searched scheme is selected; using it changes the editor's scheme
  const chosen = await page.locator('[data-testid="search.choice"]:checked').getAttribute('value');
  expect(chosen).not.toBe('last:4');
  // the finalists ran: each has a measured gain, and the answer is the one marked in their table
  expect(await page.getByTestId('search.finalist').count()).toBeGreaterThanOrEqual(1);
  await expect(page.getByTestId('search.finalists')).not.toContainText('not run');
  await expect(page.locator('[data-testid="search.finalist"][aria-current="true"] code')).toHaveText(chosen!);
  // on 60 validation images the page says when the answer's lead is within the noise, exactly when it is
  const finalists = await page.locator('[data-testid="search.finalist"]').evaluateAll((rows) =>
    rows.map((r) => ({
      scheme: r.querySelector('code')!.textContent!,
      accuracy: Number(r.querySelector('[data-testid="search.finalist-gain"]')!.getAttribute('data-accuracy')),
    })),
  );
  const close = closeCall(finalists, chosen!, 60);
  await expect(page.getByTestId('search.close-call')).toHaveCount(close ? 1 : 0);
  if (close) {
    await expect(page.getByTestId('search.close-call')).toContainText(`on 60 validation images`);
    await expect(page.getByTestId('search.close-call')).toContainText(close.runnerUp);
  }
  console.log(`finalists on 60 validation images: ${close ? 'within the noise' : 'a clear lead'}`, finalists);
  await page.getByTestId('search.use').click();
  await expect(page.getByTestId('search.use')).toHaveText('This scheme is in the editor');
  await expect(app.preset).not.toHaveValue('last:4');
  expect(decodeURIComponent(page.url())).not.toContain(`#${encodeExperiment(tiny)}`);

  // axe on the tab with its results, then a phone's width: no sideways scroll
  const axe = await new AxeBuilder({ page }).include('#panel-graph').withTags(['wcag2a', 'wcag2aa']).analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(plot).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);

  // cancel: long runs, stopped while running
  await fill(page, 'search.steps', 5000);
  await page.getByTestId('search.start').click();
  await expect(page.getByTestId('search.status')).toHaveAttribute('data-status', 'running');
  await page.getByTestId('search.cancel').click();
  await expect(page.getByTestId('search.status')).toHaveAttribute('data-status', 'cancelled');
  await expect(page.getByTestId('search.start')).toBeEnabled();
  await app.expectNoConsoleErrors();
});

test('search with a latency budget: estimated step per scheme and its plot; refused on an uncalibrated board', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const app = new PlaygroundPage(page);
  await app.open(`/#${encodeExperiment(tiny)}`);
  await page.getByTestId('tab.search').click();
  await fill(page, 'search.budget', 16);
  await fill(page, 'search.layers', 2);
  await fill(page, 'search.steps', 20);
  await fill(page, 'search.validation', 60);
  await fill(page, 'search.workers', 2);
  // a Cortex-M0+ board has no calibrated latency estimate: the control is off and says why
  const on = page.getByTestId('search.latency-on');
  await page.getByTestId('search.board').selectOption('rp2040');
  await expect(on).toBeDisabled();
  await expect(page.getByTestId('search.latency-note')).toContainText('calibrated for Cortex-M7 only');
  await page.getByTestId('search.board').selectOption('stm32f746');
  await expect(page.getByTestId('search.latency-note')).toHaveCount(0);
  await on.check();
  // the budget: classifier-only's estimated step (whole ms, rounded up), so the heavier schemes are over it
  const model = buildModel({ model: 'tiny-cnn', resolution: 32, classes: 10 });
  const limit = Math.ceil(estimatedStepMs(compile(model, 'classifier'), 'stm32f746')!);
  await fill(page, 'search.latency', limit);
  await page.getByTestId('search.start').click();
  await expect(page.getByTestId('search.results')).toBeVisible({ timeout: 60_000 });
  const summary = page.getByTestId('search.latency-summary');
  await expect(summary).toContainText(`Estimated training step (batch 1) on the STM32F746, budget ${limit} ms`);
  expect(Number(await summary.getAttribute('data-limit-ms'))).toBe(limit);
  const bestMs = Number(await summary.getAttribute('data-best-ms'));
  expect(bestMs).toBeGreaterThan(0);
  expect(bestMs).toBeLessThanOrEqual(limit);
  const best = await page.locator('[data-testid="search.choice"]:checked').getAttribute('value');
  expect(bestMs).toBeCloseTo(estimatedStepMs(compile(model, best!), 'stm32f746')!, 6);
  const plot = page.getByTestId('search.latency-plot');
  await expect(plot).toBeVisible();
  expect(Number(await plot.getAttribute('data-candidates'))).toBeGreaterThan(3);
  expect(Number(await plot.getAttribute('data-over-latency'))).toBeGreaterThan(0);
  await expect(page.getByTestId('search.results')).toContainText('est. ~');

  const axe = await new AxeBuilder({ page }).include('#panel-graph').withTags(['wcag2a', 'wcag2aa']).analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(plot).toBeVisible();
  await expect(page.getByTestId('search.latency')).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);

  // a budget below classifier-only's estimate: the runs come from the cache, and nothing fits
  await fill(page, 'search.latency', Math.floor(estimatedStepMs(compile(model, 'classifier'), 'stm32f746')! * 0.5));
  await page.getByTestId('search.start').click();
  await expect(page.getByTestId('search.nothing-fits')).toContainText('Nothing fits: not even classifier-only');
  await app.expectNoConsoleErrors();
});
