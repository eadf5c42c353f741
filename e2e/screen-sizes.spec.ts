/**
 * Every screen size (#14): at a phone, a small laptop, a laptop and a desktop the page never scrolls sideways,
 * each panel is at least 300 px wide or stacked at full width, and Start is reachable and trains. A
 * screenshot of each size goes to docs/screenshots/.
 */
import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './pages/playground';

const SIZES = [
  { width: 390, height: 844 },
  { width: 1024, height: 768 },
  { width: 1280, height: 800 },
  { width: 1920, height: 1080 },
];

for (const size of SIZES) {
  test(`${size.width}x${size.height}: no sideways scroll, readable panels, Start trains`, async ({ page }) => {
    test.setTimeout(90_000);
    await page.setViewportSize(size);
    const app = new PlaygroundPage(page);
    await app.open('/#v=1&m=tiny-cnn&r=32');
    await expect(app.peak).toHaveAttribute('data-bytes', /^\d+$/);
    await expect(app.timeline).toBeVisible();

    const overflow = await page.evaluate(() => document.scrollingElement!.scrollWidth - window.innerWidth);
    expect(overflow, 'horizontal overflow in px').toBeLessThanOrEqual(0);
    const main = await page.locator('main.layout').boundingBox();
    for (const name of ['editor', 'graph', 'memory', 'training'] as const) {
      const box = (await app.panel(name).boundingBox())!;
      const stackedFullWidth = box.width >= main!.width - 16;
      expect(box.width >= 300 || stackedFullWidth, `${name} panel is ${box.width} px wide`).toBe(true);
      expect(box.x, `${name} panel starts inside the page`).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width, `${name} panel ends inside the page`).toBeLessThanOrEqual(size.width);
    }
    // The charts follow their panel's width.
    const chart = (await app.timeline.boundingBox())!;
    const memory = (await app.panel('memory').boundingBox())!;
    expect(chart.width).toBeGreaterThan(memory.width * (size.width < 900 ? 0.8 : 0.4));
    await page.screenshot({ path: `docs/screenshots/size-${size.width}x${size.height}.png` });

    await app.trainStart.scrollIntoViewIfNeeded();
    await expect(app.trainStart).toBeInViewport();
    await app.trainStart.click();
    await expect(app.trainStatus).toHaveAttribute('data-status', 'running', { timeout: 30_000 });
    await expect.poll(() => app.lossPoints(), { timeout: 40_000 }).toBeGreaterThanOrEqual(2);
    await app.trainPause.click();
    await expect(app.trainStatus).toHaveAttribute('data-status', 'paused');
    await app.expectNoConsoleErrors();
  });
}
