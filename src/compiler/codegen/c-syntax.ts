/**
 * C lexical helpers for the firmware generator: string literals, identifiers, comments and numeric literals.
 * Everything the user can type (class labels, experiment names) reaches the generated C only through
 * cString() or cComment(), which make it inert:
 *  - cString escapes every byte outside a small printable set as a 3-digit octal escape (octal escapes stop
 *    after 3 digits, unlike \x, which would swallow a following hex digit), and escapes '?' so no trigraph
 *    (-std=c11 enables them: "??/" would be a backslash) can form. Non-ASCII text is encoded as UTF-8 first.
 *  - cComment keeps a whitelist of characters: no '*' + '/' pair can close the comment, no backslash can splice
 *    lines, no newline or '?' (trigraph "??/") gets through.
 * Float literals round-trip exactly: 9 significant digits identify a float32 and sit far from any rounding
 * midpoint, so the C compiler's decimal->float conversion lands on the same value (checked, hex float otherwise).
 */

const SAFE_STRING = /^[A-Za-z0-9 !#$%&'()*+,\-./:;<=>@[\]^_`{|}~]$/;

/** A C string literal (with quotes) holding exactly the UTF-8 bytes of `s`. */
export function cString(s: string): string {
  let out = '"';
  for (const byte of new TextEncoder().encode(s)) {
    const ch = String.fromCharCode(byte);
    out += SAFE_STRING.test(ch) ? ch : '\\' + byte.toString(8).padStart(3, '0');
  }
  return out + '"';
}

/** Text safe inside a C block or line comment: whitelisted characters only, '*' dropped, length capped. */
export function cComment(s: string, max = 100): string {
  const clean = s
    .replace(/[^A-Za-z0-9 !#$%&'()+,\-.:;<=>@[\]^_`{|}~/]/g, '_')
    .replace(/\/\//g, '/_')
    .trim();
  return clean.length > max ? clean.slice(0, max - 3) + '...' : clean;
}

const C_KEYWORDS = new Set(
  (
    'auto break case char const continue default do double else enum extern float for goto if inline int long ' +
    'register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while ' +
    '_Alignas _Alignof _Atomic _Bool _Complex _Generic _Imaginary _Noreturn _Static_assert _Thread_local'
  ).split(' '),
);

/** A C identifier made from arbitrary text: [A-Za-z0-9_] only, never starting with a digit, never a keyword. */
export function cIdent(s: string, prefix = ''): string {
  let id = prefix + s.replace(/[^A-Za-z0-9_]/g, '_').replace(/_+/g, '_');
  if (id === '' || /^[0-9]/.test(id)) id = '_' + id;
  if (C_KEYWORDS.has(id)) id += '_';
  return id;
}

/** A C macro-name-friendly slug (upper case identifier). */
export function cMacro(s: string): string {
  return cIdent(s).toUpperCase();
}

/** A file-name-friendly slug: lower-case letters, digits, '-' and '.', never empty. */
export function fileSlug(s: string, max = 60): string {
  const slug = s
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  return (slug || 'model').slice(0, max);
}

/** An int32 literal (INT32_MIN cannot be written as a single literal). */
export function cInt(v: number): string {
  if (!Number.isInteger(v) || v < -2147483648 || v > 4294967295) throw new Error(`not a 32-bit integer: ${v}`);
  return v === -2147483648 ? '(-2147483647 - 1)' : String(v);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The exact C99 hex-float literal of a float32 (normal or subnormal, non-zero, finite). */
function hexFloat(v: number): string {
  f32[0] = v;
  const bits = u32[0];
  const sign = bits >>> 31 ? '-' : '';
  const exp = (bits >>> 23) & 0xff;
  const mant = (bits & 0x7fffff) << 1; // 24 bits = 6 hex digits
  const digits = mant.toString(16).padStart(6, '0').replace(/0+$/, '');
  const lead = exp === 0 ? '0' : '1';
  return `${sign}0x${lead}${digits ? '.' + digits : ''}p${exp === 0 ? -126 : exp - 127}f`;
}

/** A float literal for the float32 value of `v` that converts back to exactly that float32. */
export function cFloat(v: number): string {
  const x = Math.fround(v);
  if (Number.isNaN(x)) return 'NAN';
  if (x === Infinity) return 'INFINITY';
  if (x === -Infinity) return '(-INFINITY)';
  if (x === 0) return Object.is(x, -0) ? '-0.0f' : '0.0f';
  let s = x.toPrecision(9);
  if (s.includes('e')) {
    const [m, e] = s.split('e');
    s = `${m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '.0') : m + '.0'}e${e.replace('+', '')}`;
  } else if (s.includes('.')) {
    s = s.replace(/0+$/, '').replace(/\.$/, '.0');
  } else {
    s += '.0';
  }
  return Math.fround(Number(s)) === x ? s + 'f' : hexFloat(x);
}

/** Numbers as an initializer list body, `perLine` values per line, each line indented by `indent`. */
export function cArrayBody(
  values: ArrayLike<number>,
  format: (v: number) => string,
  perLine: number,
  indent = '  ',
): string {
  const lines: string[] = [];
  for (let i = 0; i < values.length; i += perLine) {
    const row: string[] = [];
    for (let j = i; j < Math.min(values.length, i + perLine); j++) row.push(format(values[j]));
    lines.push(indent + row.join(', ') + ',');
  }
  return lines.join('\n');
}
