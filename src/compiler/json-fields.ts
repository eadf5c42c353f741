/**
 * Checked reads of JSON fields, shared by the file formats (model files, data-set manifests): each reader
 * throws through the format's own `fail(path, message)`, so every message names the field and the format.
 */
export type Json = Record<string, unknown>;

export function jsonFields(fail: (path: string, msg: string) => never) {
  return {
    obj(v: unknown, path: string): Json {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'expected an object');
      return v as Json;
    },
    int(v: unknown, path: string, lo: number, hi: number): number {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi)
        fail(path, `expected an integer in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
      return v as number;
    },
    str(v: unknown, path: string): string {
      if (typeof v !== 'string' || v.length === 0) fail(path, 'expected a non-empty string');
      return v as string;
    },
  };
}
