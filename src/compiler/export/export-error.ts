/** The one error the writers throw: a single line naming what the target format cannot say. */
export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}
