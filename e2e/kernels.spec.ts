import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './pages/playground';

test('the kernel worker loads the WebAssembly module and passes its self-check', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open();
  // Wait for the worker's verdict, then insist it is OK (a missing module fails at once, with its message).
  await expect(app.kernelStatus).not.toContainText('loading', { timeout: 30_000 });
  await expect(app.kernelStatus).toContainText('kernels OK', { timeout: 1 });
  await expect(app.kernelStatus).toContainText(/loaded in \d+ ms/, { timeout: 1 });
  await app.expectNoConsoleErrors();
});
