/**
 * The share-URL codec: the experiment as a versioned fragment, compressed only when that makes it shorter
 * (as Compiler Explorer does), and validated field by field on the way in.
 *
 *   plain:      #v=1&m=mcunet-5fps&r=128&...          (keys from EXPERIMENT_FIELDS, every field written)
 *   compressed: #z=<base64url(deflate-raw(plain without '#'))>
 *
 * Decoding never throws: every problem (bad base64, a zip bomb, an unknown key, an out-of-range value, a newer
 * version) becomes one short message and the field keeps its default.
 */
import { Inflate, deflateSync, strToU8 } from 'fflate';
import { EXPERIMENT_FIELDS, EXPERIMENT_KEYS, defaultFieldValues } from './experiment';
import type { Experiment } from './experiment';

export const URL_VERSION = 1;
/** Longest fragment read at all, and longest decompressed text accepted. */
const MAX_FRAGMENT = 4096;
const MAX_INFLATED = 8192;

export interface DecodedUrl {
  experiment: Experiment;
  /** what was wrong with the URL, one line each; empty when it was read cleanly */
  messages: string[];
}

/** The experiment as a fragment (without '#'). */
export function encodeExperiment(e: Experiment): string {
  const params = new URLSearchParams();
  params.set('v', String(URL_VERSION));
  for (const k of EXPERIMENT_KEYS) {
    const field = EXPERIMENT_FIELDS[k] as { key: string; encode(v: unknown): string };
    params.set(field.key, field.encode(e[k]));
  }
  const plain = params.toString();
  const packed = `z=${toBase64Url(deflateSync(strToU8(plain), { level: 9 }))}`;
  return packed.length < plain.length ? packed : plain;
}

/** Reads a fragment (with or without '#'); anything it cannot use is reported and replaced by the default. */
export function decodeExperiment(fragment: string): DecodedUrl {
  const experiment = defaultFieldValues();
  const messages: string[] = [];
  const text = fragment.startsWith('#') ? fragment.slice(1) : fragment;
  if (text === '') return { experiment, messages };
  if (text.length > MAX_FRAGMENT) {
    return { experiment, messages: [`The link is too long (${text.length} characters); opened the defaults.`] };
  }
  let plain = text;
  if (text.startsWith('z=')) {
    const unpacked = inflateBounded(text.slice(2));
    if (typeof unpacked !== 'string') return { experiment, messages: [`${unpacked.error}; opened the defaults.`] };
    plain = unpacked;
  }
  readParams(plain, experiment, messages);
  return { experiment, messages };
}

function readParams(plain: string, out: Experiment, messages: string[]): void {
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(plain);
  } catch {
    messages.push('The link could not be read; opened the defaults.');
    return;
  }
  const version = params.get('v');
  if (version === null) messages.push('The link has no version; read it as version 1.');
  else if (!/^\d{1,4}$/.test(version)) messages.push(`Unknown link version "${clip(version)}"; read it as version 1.`);
  else if (Number(version) > URL_VERSION)
    messages.push(`The link comes from a newer version (v${version}); read the fields this version knows.`);

  const byKey = new Map(EXPERIMENT_KEYS.map((k) => [EXPERIMENT_FIELDS[k].key, k]));
  const seen = new Set<string>();
  for (const [key, value] of params) {
    if (key === 'v') continue;
    const name = byKey.get(key);
    if (!name) {
      if (messages.length < 12) messages.push(`Ignored the unknown field "${clip(key)}".`);
      continue;
    }
    if (seen.has(key)) {
      messages.push(`The field "${key}" appears twice; kept the first.`);
      continue;
    }
    seen.add(key);
    const field = EXPERIMENT_FIELDS[name];
    const v = field.decode(value);
    if (v === undefined) {
      messages.push(`"${key}=${clip(value)}" is not valid (expected ${field.accepts}); used the default.`);
    } else {
      (out as unknown as Record<string, unknown>)[name] = v;
    }
  }
}

function clip(s: string): string {
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > 24 ? `${clean.slice(0, 24)}…` : clean;
}

function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) return null;
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** Inflates in small input chunks so a hostile payload cannot expand past MAX_INFLATED bytes. */
function inflateBounded(b64: string): string | { error: string } {
  const bytes = fromBase64Url(b64);
  if (!bytes || bytes.length === 0) return { error: 'The compressed link is not valid base64url' };
  const chunks: Uint8Array[] = [];
  let total = 0;
  let tooBig = false;
  const inflater = new Inflate((chunk) => {
    total += chunk.length;
    if (total > MAX_INFLATED) tooBig = true;
    else chunks.push(chunk);
  });
  try {
    for (let i = 0; i < bytes.length && !tooBig; i += 64) {
      inflater.push(bytes.subarray(i, i + 64), i + 64 >= bytes.length);
    }
  } catch {
    return { error: 'The compressed link is damaged' };
  }
  if (tooBig) return { error: 'The compressed link expands to more than 8 KB' };
  if (total === 0) return { error: 'The compressed link is empty or cut short' };
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(all);
  } catch {
    return { error: 'The compressed link does not hold text' };
  }
}
