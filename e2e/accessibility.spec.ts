/**
 * axe-core on the main views (#14): the editor, graph, memory and training panels as the page opens, then
 * the code panel and "your data". Every WCAG 2 A/AA rule axe knows runs; none is switched off.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { PlaygroundPage } from './pages/playground';

async function violations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
    .analyze();
  return result.violations.map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help} at ${v.nodes
        .map((n) => n.target.join(' '))
        .slice(0, 5)
        .join(', ')}`,
  );
}

test('editor, graph, memory, training, code and your data: 0 axe violations', async ({ page }) => {
  test.setTimeout(120_000);
  const app = new PlaygroundPage(page);
  await app.open();
  await expect(app.peak).toHaveAttribute('data-bytes', /^\d+$/);
  await expect(app.timeline).toBeVisible();
  await expect(app.graphNode('blocks.13.pw1')).toBeAttached();
  expect(await violations(page), 'editor, graph, memory and training').toEqual([]);

  await page.getByTestId('tab.code').click();
  await expect(page.locator('.monaco-editor')).toBeVisible({ timeout: 20_000 });
  expect(await violations(page), 'code').toEqual([]);

  await page.getByTestId('data.tab').click();
  await page.getByTestId('data.className').fill('cats');
  await page.getByTestId('data.addClass').click();
  await expect(page.getByTestId('data.class.0')).toBeVisible();
  expect(await violations(page), 'your data').toEqual([]);
  await app.expectNoConsoleErrors();
});
