/**
 * Byte-level helpers of the share-URL codec (url.ts): base64url, a bounded inflate that also finds bytes left
 * after the end of the deflate stream, and the link checksum.
 */
import { inflateSync } from 'fflate';

/** Longest decompressed text accepted. */
export const MAX_INFLATED = 8192;

export function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) return null;
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export interface Inflated {
  text: string;
  /** bytes after the end of the deflate stream (a link pasted twice, or damaged) */
  trailing: number;
}

/**
 * Inflates into one fixed buffer of MAX_INFLATED + 1 bytes: fflate does not grow a buffer it is given and drops
 * what does not fit, so a zip bomb costs a bounded loop (the fragment is at most a few KB of input) and fills the
 * buffer, which is how it is recognized.
 */
function inflateInto(bytes: Uint8Array, out: Uint8Array): Uint8Array | null {
  try {
    return inflateSync(bytes, { out });
  } catch {
    return null; // "unexpected EOF" for a cut stream, "invalid ..." for damaged codes
  }
}

export function inflateBounded(b64: string): Inflated | { error: string } {
  const bytes = fromBase64Url(b64);
  if (!bytes || bytes.length === 0) return { error: 'The compressed link is not valid base64url' };
  const out = new Uint8Array(MAX_INFLATED + 1);
  const all = inflateInto(bytes, out);
  if (!all) return { error: 'The compressed link is damaged or cut short' };
  if (all.length > MAX_INFLATED) return { error: `The compressed link expands to more than ${MAX_INFLATED / 1024} KB` };
  if (all.length === 0) return { error: 'The compressed link is empty' };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(all);
  } catch {
    return { error: 'The compressed link does not hold text' };
  }
  return { text, trailing: bytes.length - streamLength(bytes, out) };
}

/**
 * Length of the deflate stream at the start of `bytes`, which inflated completely: the shortest prefix that
 * inflates without "unexpected EOF", by bisection. A prefix shorter than the stream never completes and every
 * longer one does (bytes after the final block are not read), so completeness is monotone in the length.
 */
function streamLength(bytes: Uint8Array, out: Uint8Array): number {
  const complete = (n: number) => inflateInto(bytes.subarray(0, n), out) !== null;
  if (!complete(bytes.length - 1)) return bytes.length;
  let lo = 0; // incomplete: the empty prefix
  let hi = bytes.length - 1; // complete
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (complete(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** FNV-1a, 32 bits, over the UTF-16 code units, as 8 hex digits: catches damage and edits, not an attacker. */
export function checksum(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
