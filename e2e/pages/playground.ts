/** Page object for the playground: every locator the specs use, by data-testid. */
import { expect } from '@playwright/test';
import type { ConsoleMessage, Locator, Page } from '@playwright/test';

export class PlaygroundPage {
  readonly consoleErrors: string[] = [];

  constructor(readonly page: Page) {
    page.on('console', (msg: ConsoleMessage) => {
      if (msg.type() === 'error') this.consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => this.consoleErrors.push(`pageerror: ${err.message}`));
  }

  async open(path = '/'): Promise<void> {
    await this.page.goto(path);
  }

  get kernelStatus(): Locator {
    return this.page.getByTestId('kernels.status');
  }

  async expectNoConsoleErrors(): Promise<void> {
    expect(this.consoleErrors, 'console errors').toEqual([]);
  }
}
