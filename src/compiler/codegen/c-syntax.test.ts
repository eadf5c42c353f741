import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../models/init';
import { cComment, cFloat, cIdent, cInt, cString, fileSlug } from './c-syntax';

/** Decodes a C string literal the way a C compiler does (octal escapes and plain characters only). */
function decodeCString(lit: string): Uint8Array {
  expect(lit.startsWith('"') && lit.endsWith('"')).toBe(true);
  const body = lit.slice(1, -1);
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\') {
      expect(body.slice(i + 1, i + 4)).toMatch(/^[0-7]{3}$/);
      out.push(parseInt(body.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      expect(body[i]).not.toMatch(/["?\n\r]/);
      out.push(body.charCodeAt(i));
    }
  }
  return Uint8Array.from(out);
}

describe('C string literals', () => {
  const hostile = [
    '"; system("rm -rf /"); //',
    'a??/b??=c',
    'tab\tnew\nline\r',
    'back\\slash\\',
    '*/ /* // #define X',
    'naïve 猫 🐱',
    '',
  ];
  it.each(hostile)('%j decodes to exactly its UTF-8 bytes, with no quote, backslash run or trigraph left', (s) => {
    const lit = cString(s);
    expect(Array.from(decodeCString(lit))).toEqual(Array.from(new TextEncoder().encode(s)));
    expect(lit.slice(1, -1)).not.toMatch(/\?\?/);
  });

  it('keeps ordinary labels readable', () => {
    expect(cString('T-shirt/top')).toBe('"T-shirt/top"');
    expect(cString('a"b')).toBe('"a\\042b"');
  });
});

describe('C comments', () => {
  it('can neither close a comment, splice lines, nor form a trigraph', () => {
    for (const s of ['*/ system("x"); /*', 'line\\', 'a\nb', '??/', 'x*/y', '/*']) {
      const c = cComment(s);
      expect(c).not.toMatch(/\*\/|\/\*|\\|\n|\r|\?/);
    }
    expect(cComment('blocks.3.pw1 rows 0..1')).toBe('blocks.3.pw1 rows 0..1');
    expect(cComment('x'.repeat(300), 50)).toHaveLength(50);
  });
});

describe('identifiers and slugs', () => {
  it('makes valid, non-keyword identifiers', () => {
    expect(cIdent('blocks.3.pw1.weight', 'tt_')).toBe('tt_blocks_3_pw1_weight');
    expect(cIdent('3x')).toBe('_3x');
    expect(cIdent('int')).toBe('int_');
    expect(cIdent('a;b(c)')).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
    expect(fileSlug('MCUNet 5fps / "x"')).toBe('mcunet-5fps-x');
    expect(fileSlug('../..')).toBe('model');
  });
});

describe('numeric literals', () => {
  it('prints int32 extremes as valid C', () => {
    expect(cInt(-2147483648)).toBe('(-2147483647 - 1)');
    expect(cInt(2147483647)).toBe('2147483647');
    expect(() => cInt(1.5)).toThrow();
  });

  it('float literals convert back to the same float32 (random bit patterns, subnormals, specials)', () => {
    const rand = mulberry32(5);
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    for (let i = 0; i < 20000; i++) {
      u[0] = Math.floor(rand() * 2 ** 32);
      if (!Number.isFinite(f[0])) continue;
      const lit = cFloat(f[0]);
      expect(lit).toMatch(/^-?(\d+\.\d+(e-?\d+)?f|0x[01](\.[0-9a-f]+)?p-?\d+f)$/);
      const value = lit.startsWith('0x') || lit.startsWith('-0x') ? parseHexFloat(lit) : Number(lit.slice(0, -1));
      expect(Object.is(Math.fround(value), f[0])).toBe(true);
    }
    expect(cFloat(0)).toBe('0.0f');
    expect(cFloat(-0)).toBe('-0.0f');
    expect(cFloat(Infinity)).toBe('INFINITY');
    expect(cFloat(NaN)).toBe('NAN');
    expect(cFloat(0.5)).toBe('0.5f');
  });
});

function parseHexFloat(lit: string): number {
  const m = /^(-?)0x([01])(?:\.([0-9a-f]+))?p(-?\d+)f$/.exec(lit)!;
  const frac = m[3] ? parseInt(m[3], 16) / 16 ** m[3].length : 0;
  return (m[1] ? -1 : 1) * (Number(m[2]) + frac) * 2 ** Number(m[4]);
}
