/** Page object for the playground: every locator the specs use, by data-testid, and the actions on them. */
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
    await expect(this.app).toBeVisible();
  }

  get app(): Locator {
    return this.page.getByTestId('app');
  }
  get kernelStatus(): Locator {
    return this.page.getByTestId('kernels.status');
  }
  get peak(): Locator {
    return this.page.getByTestId('summary.peak');
  }
  get flash(): Locator {
    return this.page.getByTestId('summary.flash');
  }
  get preset(): Locator {
    return this.page.getByTestId('editor.preset');
  }
  get resolution(): Locator {
    return this.page.getByTestId('editor.resolution');
  }
  get classes(): Locator {
    return this.page.getByTestId('editor.classes');
  }
  get board(): Locator {
    return this.page.getByTestId('editor.board');
  }
  get budget(): Locator {
    return this.page.getByTestId('editor.budget');
  }
  get reorder(): Locator {
    return this.page.getByTestId('editor.reorder');
  }
  get urlNotice(): Locator {
    return this.page.getByTestId('notice.url');
  }
  get compileNotice(): Locator {
    return this.page.getByTestId('notice.compile');
  }
  get shareUrl(): Locator {
    return this.page.getByTestId('share.url');
  }
  get timeline(): Locator {
    return this.page.getByTestId('timeline.main');
  }
  get trainStart(): Locator {
    return this.page.getByTestId('train.start');
  }
  get trainPause(): Locator {
    return this.page.getByTestId('train.pause');
  }
  get trainStatus(): Locator {
    return this.page.getByTestId('train.status');
  }
  get startHere(): Locator {
    return this.page.getByTestId('start');
  }
  /** The memory timeline as a keyboard slider. */
  get timelineSlider(): Locator {
    return this.page.locator('#memory-timeline');
  }
  /** The four main panels, by their skip-link targets. */
  panel(name: 'editor' | 'graph' | 'memory' | 'training'): Locator {
    return this.page.locator(`#panel-${name}`);
  }
  backbone(name: string): Locator {
    return this.page.getByTestId(`editor.backbone.${name}`);
  }
  tableRow(layer: string): Locator {
    return this.page.getByTestId(`table.row.${layer}`);
  }
  tableBias(layer: string): Locator {
    return this.page.getByTestId(`table.bias.${layer}`);
  }
  tableRatio(layer: string): Locator {
    return this.page.getByTestId(`table.ratio.${layer}`);
  }
  graphNode(id: string): Locator {
    return this.page.getByTestId(`graph.node.${id}`);
  }

  /** Peak SRAM in bytes, as the page states it (data-bytes of the big number). */
  async peakBytes(): Promise<number> {
    await expect(this.peak).toHaveAttribute('data-bytes', /^\d+$/);
    return Number(await this.peak.getAttribute('data-bytes'));
  }

  /** The whole visible experiment state, for comparing two pages. */
  async snapshot(): Promise<Record<string, string | boolean | null>> {
    const checked = (id: string) => this.page.getByTestId(id).isChecked();
    return {
      backbone: await this.page
        .locator('[data-testid^="editor.backbone."][aria-checked="true"]')
        .getAttribute('data-testid'),
      resolution: await this.resolution.inputValue(),
      classes: await this.classes.inputValue(),
      board: await this.board.inputValue(),
      budget: await this.budget.inputValue(),
      preset: await this.preset.inputValue(),
      reorder: await checked('editor.reorder'),
      fusion: await checked('editor.fusion'),
      split: await checked('editor.split'),
      lr: await this.page.getByTestId('train.lr').inputValue(),
      rounding: await this.page.getByTestId('train.rounding').inputValue(),
      qas: await checked('train.qas'),
      seed: await this.page.getByTestId('train.seed').inputValue(),
      peak: await this.peak.getAttribute('data-bytes'),
      flash: await this.flash.getAttribute('data-bytes'),
      fragment: await this.page.evaluate(() => location.hash),
    };
  }

  /** Points on the loss curve so far. */
  async lossPoints(): Promise<number> {
    return Number(await this.page.getByTestId('train.loss').getAttribute('data-points'));
  }

  async expectNoConsoleErrors(): Promise<void> {
    expect(this.consoleErrors, 'console errors').toEqual([]);
  }
}
