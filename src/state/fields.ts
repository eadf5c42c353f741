/**
 * Typed URL fields: each knows its default, how to print itself and how to read itself back, and rejects
 * anything outside its declared range. The experiment declares one table of these (see experiment.ts).
 */

export interface Field<T> {
  /** short key in the URL */
  key: string;
  default: T;
  encode(v: T): string;
  /** the value, or undefined when `s` is not a valid value of this field */
  decode(s: string): T | undefined;
  /** human description of what is accepted, for messages */
  accepts: string;
  /** The URL version that added the field (1 when absent): an older link does not lack it, it predates it. */
  since?: number;
}

export function enumField<const T extends string>(key: string, values: readonly T[], dflt: T): Field<T> {
  return {
    key,
    default: dflt,
    encode: (v) => v,
    decode: (s) => (values as readonly string[]).find((v) => v === s) as T | undefined,
    accepts: `one of ${values.join(', ')}`,
  };
}

export function intField(key: string, min: number, max: number, dflt: number, step = 1): Field<number> {
  return {
    key,
    default: dflt,
    encode: (v) => String(v),
    decode: (s) => {
      if (!/^-?\d{1,10}$/.test(s)) return undefined;
      const v = Number(s);
      return v >= min && v <= max && (v - min) % step === 0 ? v : undefined;
    },
    accepts: step === 1 ? `an integer in [${min}, ${max}]` : `a multiple of ${step} in [${min}, ${max}]`,
  };
}

export function floatField(key: string, min: number, max: number, dflt: number): Field<number> {
  return {
    key,
    default: dflt,
    encode: (v) => String(v),
    decode: (s) => {
      if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s) || s.length > 24) return undefined;
      const v = Number(s);
      return Number.isFinite(v) && v >= min && v <= max ? v : undefined;
    },
    accepts: `a number in [${min}, ${max}]`,
  };
}

export function boolField(key: string, dflt: boolean): Field<boolean> {
  return {
    key,
    default: dflt,
    encode: (v) => (v ? '1' : '0'),
    decode: (s) => (s === '1' ? true : s === '0' ? false : undefined),
    accepts: '0 or 1',
  };
}

export function patternField(key: string, pattern: RegExp, dflt: string, accepts: string): Field<string> {
  return {
    key,
    default: dflt,
    encode: (v) => v,
    decode: (s) => (pattern.test(s) ? s : undefined),
    accepts,
  };
}
