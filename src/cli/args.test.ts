import { describe, expect, it } from 'vitest';
import { enumOption, intOption, labelsOption, numberOption } from './args';
import { oneLine, quote, UsageError } from './command';

describe('strict option values', () => {
  it('takes integers as decimal digits only, in range', () => {
    expect(intOption('n', '42', 0, 0, 100)).toBe(42);
    expect(intOption('n', '-3', 0, -5, 5)).toBe(-3);
    expect(intOption('n', undefined, 7, 0, 100)).toBe(7);
    for (const bad of ['', ' 1', '0x10', '1e1', '1.0', '+1', 'Infinity', '101', '99999999999999999999'])
      expect(() => intOption('n', bad, 0, 0, 100), bad).toThrow(UsageError);
  });

  it('takes decimals without hex, infinities or silent underflow', () => {
    expect(numberOption('lr', '0.05', 1, { lo: 0, hi: 100 })).toBe(0.05);
    expect(numberOption('lr', '1e-3', 1, { lo: 0, hi: 100 })).toBe(0.001);
    expect(numberOption('lr', '.5', 1, { lo: 0, hi: 100 })).toBe(0.5);
    expect(numberOption('lr', '0', 1, { lo: 0, hi: 100 })).toBe(0);
    for (const bad of ['', '0x1', '1e400', '1e-400', 'NaN', '-Infinity', '.', '1,5', '101'])
      expect(() => numberOption('lr', bad, 1, { lo: 0, hi: 100 }), bad).toThrow(UsageError);
    expect(() => numberOption('lr', '0', 1, { lo: 0, hi: 100, above: true })).toThrow('above 0');
  });

  it('looks enums up among their own names only', () => {
    const r = ['truncate', 'nearest'] as const;
    expect(enumOption('rounding', 'nearest', 'truncate', r)).toBe('nearest');
    for (const bad of ['toString', '__proto__', 'constructor', 'Nearest', ''])
      expect(() => enumOption('rounding', bad, 'truncate', r), bad).toThrow(
        '--rounding must be one of truncate, nearest',
      );
  });

  it('splits labels on unescaped commas and counts them against the classes', () => {
    expect(labelsOption('cat,dog', 2)).toEqual(['cat', 'dog']);
    expect(labelsOption('a\\, b,c\\\\,d\\x', 3)).toEqual(['a, b', 'c\\', 'd\\x']);
    expect(() => labelsOption('a,b', 3)).toThrow('--labels has 2 names for 3 classes');
    expect(() => labelsOption('a,,c', 3)).toThrow('1 to 64 printable characters');
    expect(() => labelsOption('a\nb,c', 2)).toThrow('printable');
  });

  it('quotes user input on one line, shortened', () => {
    expect(quote('a\nb')).toBe('"a\\nb"');
    const long = quote('x'.repeat(1000));
    expect(long.length).toBeLessThan(110);
    expect(long).toMatch(/\.\.\. \(1000 characters\)$/);
    expect(oneLine('a\nb\u0000c')).toBe('a b\\u0000c');
    expect(oneLine('y'.repeat(1000), 50)).toHaveLength(50);
  });
});
