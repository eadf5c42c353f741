import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './pages/playground';

test('toggling a layer changes the table, the graph, the timeline and the peak', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open();
  await app.preset.selectOption('paper:49kb');
  const layer = 'blocks.4.pw1';
  await expect(app.tableRow(layer)).toHaveAttribute('data-state', 'frozen');
  await expect(app.graphNode(layer)).toHaveAttribute('data-status', 'frozen');
  await expect(app.graphNode(`bwd:${layer}`)).toHaveAttribute('data-status', 'pruned');
  const peakBefore = await app.peakBytes();
  const areaBefore = await app.timeline.locator('path[data-category="trainable"]').getAttribute('d');

  await app.tableRatio(layer).selectOption('0.5');
  await expect(app.preset).toHaveValue('custom');
  await expect(app.tableRow(layer)).toHaveAttribute('data-state', 'updated');
  await expect(app.graphNode(layer)).toHaveAttribute('data-status', 'updated');
  await expect(app.graphNode(`bwd:${layer}`)).toHaveAttribute('data-status', 'updated');
  await expect(app.graphNode(`bwd:${layer}`)).toContainText('ΔW 1/2');
  // Backprop now reaches blocks.4.pw1, so the layers between it and the old earliest update carry gradients.
  await expect(app.graphNode('bwd:blocks.5.dw')).not.toHaveAttribute('data-status', 'pruned');
  const peakAfter = await app.peakBytes();
  expect(peakAfter).toBeGreaterThan(peakBefore);
  await expect(app.timeline.locator('path[data-category="trainable"]')).not.toHaveAttribute('d', areaBefore!);

  // Hovering the row highlights the layer in the graph and its steps in the timeline.
  await app.tableRow(layer).hover();
  await expect(app.graphNode(layer)).toHaveClass(/hovered/);
  await expect(app.timeline.getByTestId('timeline.highlight').first()).toBeVisible();

  // Clicking the node in the graph edits the same layer: switch it back off there.
  await app.graphNode(layer).click();
  await page.getByTestId('graph.editor.ratio').selectOption('0');
  await expect(app.tableRatio(layer)).toHaveValue('0');
  await expect(app.tableRow(layer)).toHaveAttribute('data-state', 'frozen');
  expect(await app.peakBytes()).toBe(peakBefore);

  // An impossible ratio is refused with its reason: the stem has 3 input channels.
  const half = app.tableRatio('first_conv').locator('option[value="0.5"]');
  await expect(half).toBeDisabled();
  await expect(half).toHaveAttribute('title', /not a whole number of channels/);
  await app.expectNoConsoleErrors();
});
