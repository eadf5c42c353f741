import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './pages/playground';

test('impossible choices say why, and the page keeps working', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open();
  // A budget the board cannot have: clamped, and the field says why.
  await app.budget.fill('400');
  await expect(page.getByTestId('editor.budget.why')).toContainText('Used 320 KB: the STM32F746 has 320 KB SRAM');
  await expect(app.budget).toHaveValue('320');
  // A class count out of range is refused next to the field.
  await app.classes.fill('1');
  await expect(page.getByTestId('editor.classes.why')).toContainText('At least 2; not applied');
  await app.classes.fill('10');
  // Only resolutions the backbone takes are offered.
  await expect(app.resolution.locator('option[value="16"]')).toHaveCount(0);
  await app.backbone('tiny-cnn').click();
  await expect(app.resolution.locator('option[value="16"]')).toBeEnabled();
  // A link with a resolution the backbone cannot take: the compiler's reason, no plan, and back again.
  await page.goto('/#v=1&m=mcunet-5fps&r=16');
  await expect(app.compileNotice).toContainText('resolution must be an integer from 32 to 224');
  await expect(page.getByTestId('summary.none')).toContainText('no plan');
  await expect(app.resolution.locator('option[value="16"]')).toBeDisabled();
  await app.resolution.selectOption('96');
  await expect(app.compileNotice).toHaveCount(0);
  await expect(app.peak).toHaveAttribute('data-bytes', /^\d+$/);
  // A scheme that does not fit the budget: the verdict and what to try.
  await app.budget.fill('64');
  await expect(page.getByTestId('summary.peak.verdict')).toContainText('over the 64 KB budget');
  await expect(page.getByTestId('notice.fit')).toContainText(/Does not fit: peak .* over the 64 KB budget/);
  await app.expectNoConsoleErrors();
});

test('the controls work from the keyboard', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open();
  // Backbone buttons are buttons: focus one and press Enter.
  await app.backbone('mbv2-w0.35').focus();
  await page.keyboard.press('Enter');
  await expect(app.backbone('mbv2-w0.35')).toHaveAttribute('aria-checked', 'true');
  // Tab from the backbone buttons reaches the other editor controls in order.
  await app.resolution.focus();
  await page.keyboard.press('Tab');
  await expect(app.classes).toBeFocused();
  // A graph node takes focus, shows its tooltip and opens its editor with Enter.
  const node = app.graphNode('blocks.14.pw1');
  await node.focus();
  await expect(page.getByTestId('graph.tooltip')).toContainText('blocks.14.pw1');
  await expect(app.tableRow('blocks.14.pw1')).toHaveClass(/hovered/);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('graph.editor')).toContainText('blocks.14.pw1');
  await page.getByTestId('graph.editor.bias').focus();
  await page.keyboard.press('Space');
  await expect(app.tableBias('blocks.14.pw1')).not.toBeChecked();
  await app.expectNoConsoleErrors();
});
