/**
 * Scheme search on the page (issue 11): tiny-cnn at 32x32, a 16 KB budget, the last 2 convs and short runs
 * on the worker pool. The heat map and the accuracy-vs-SRAM plot appear, "Use this scheme" puts the searched
 * scheme into the editor, Cancel stops a running search, and the tab passes axe and fits a phone's width.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { presetScheme } from '../src/state/compile';
import { defaultFieldValues, type Experiment } from '../src/state/experiment';
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
