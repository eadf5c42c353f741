/**
 * The share-URL codec: the experiment as a versioned fragment, compressed only when that makes it shorter
 * (as Compiler Explorer does), checksummed, and validated field by field on the way in.
 *
 *   plain:      #v=2&m=mcunet-5fps&r=128&...&seed=1&w=&qz=&h=<fnv1a32 of everything before "&h=">
 *   compressed: #z=<base64url(deflate-raw(plain without '#'))>
 *
 * Versions: a field added later names the version that added it (Field.since; v2 added qz). A link of an older
 * version does not lack such a field, it predates it: the field takes its default without a word, but only when
 * the checksum vouches for the version (a damaged or hand-written link is expected to have every field).
 *
 * Decoding never throws. Every problem becomes a notice, and every field whose value may differ from what was
 * shared is named in one: refused (kept its default), missing (a cut link), or read from a link whose checksum
 * is absent or wrong (damaged or edited by hand). A link with bytes after its compressed stream says so.
 */
import { deflateSync, strToU8 } from 'fflate';
import { EXPERIMENT_FIELDS, EXPERIMENT_KEYS, defaultFieldValues } from './experiment';
import type { Experiment } from './experiment';
import { checksum, inflateBounded, toBase64Url } from './url-bytes';

export const URL_VERSION = 2;
/** Longest fragment read at all. */
const MAX_FRAGMENT = 4096;
/** Notices shown as messages; the rest are summed up in one "and N more" line. */
export const MAX_MESSAGES = 8;

type Key = keyof Experiment;

export interface UrlNotice {
  text: string;
  /** the experiment fields this notice is about (their values may not be what was shared) */
  fields: Key[];
}

export interface DecodedUrl {
  experiment: Experiment;
  /** every problem, most important first; empty when the link was read cleanly */
  notices: UrlNotice[];
  /** the notices as lines for the page: at most MAX_MESSAGES, then "…and N more" */
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
  const body = params.toString();
  const plain = `${body}&h=${checksum(body)}`;
  const packed = `z=${toBase64Url(deflateSync(strToU8(plain), { level: 9 }))}`;
  return packed.length < plain.length ? packed : plain;
}

/** Reads a fragment (with or without '#'); anything it cannot use is reported and replaced by the default. */
export function decodeExperiment(fragment: string): DecodedUrl {
  const experiment = defaultFieldValues();
  const text = fragment.startsWith('#') ? fragment.slice(1) : fragment;
  if (text === '') return { experiment, notices: [], messages: [] };
  const notices: UrlNotice[] = [];
  const finish = ({ read, expected }: { read: Set<Key>; expected: readonly Key[] }) => {
    const missing = expected.filter((k) => !read.has(k) && !notices.some((n) => n.fields.includes(k)));
    if (missing.length === EXPERIMENT_KEYS.length) {
      notices.push({
        text: `Nothing was restored; every field has its default (${missing.join(', ')}).`,
        fields: missing,
      });
    } else if (missing.length > 0) {
      notices.push({ text: `The link has no ${missing.join(', ')}; used the default.`, fields: missing });
    }
    return { experiment, notices, messages: cap(notices.map((n) => n.text)) };
  };
  if (text.length > MAX_FRAGMENT) {
    notices.push({ text: `The link is too long (${text.length} characters) to be read.`, fields: [] });
    return finish({ read: new Set(), expected: EXPERIMENT_KEYS });
  }
  let plain = text;
  if (text.startsWith('z=')) {
    const unpacked = inflateBounded(text.slice(2));
    if ('error' in unpacked) {
      notices.push({ text: `${unpacked.error}.`, fields: [] });
      return finish({ read: new Set(), expected: EXPERIMENT_KEYS });
    }
    if (unpacked.trailing > 0) {
      const n = unpacked.trailing;
      notices.push({
        text: `The compressed link has ${n} byte${n === 1 ? '' : 's'} after its end; ignored.`,
        fields: [],
      });
    }
    plain = unpacked.text;
  }
  return finish(readParams(plain, experiment, notices));
}

/** Reads the fields into `out`; returns the fields it set and the fields a link of its version has. */
function readParams(
  plain: string,
  out: Experiment,
  notices: UrlNotice[],
): { read: Set<Key>; expected: readonly Key[] } {
  const params = new URLSearchParams(plain);
  const versionProblem = versionNotice(params.get('v'));
  if (versionProblem) notices.push(versionProblem);
  const byKey = new Map(EXPERIMENT_KEYS.map((k) => [EXPERIMENT_FIELDS[k].key, k]));
  const read = new Set<Key>();
  const seen = new Set<string>();
  const unknown: string[] = [];
  const refused: UrlNotice[] = [];
  for (const [key, value] of params) {
    if (key === 'v' || key === 'h') continue;
    const name = byKey.get(key);
    if (!name) {
      unknown.push(key);
      continue;
    }
    if (seen.has(key)) {
      refused.push({ text: `${name} ("${key}") appears twice; kept the first.`, fields: [name] });
      continue;
    }
    seen.add(key);
    const field = EXPERIMENT_FIELDS[name];
    const v = field.decode(value);
    if (v === undefined) {
      const dflt = clip(field.encode(field.default as never));
      refused.push({
        text: `${name} ("${key}=${clip(value)}") is not valid (expected ${field.accepts}); used the default${dflt ? ` ${dflt}` : ''}.`,
        fields: [name],
      });
    } else {
      (out as unknown as Record<string, unknown>)[name] = v;
      read.add(name);
    }
  }
  const integrity = checkIntegrity(plain, params, [...read]);
  if (integrity) notices.push(integrity);
  const version = integrity === null && read.size > 0 ? linkVersion(params.get('v')) : URL_VERSION;
  const expected = EXPERIMENT_KEYS.filter((k) => (EXPERIMENT_FIELDS[k].since ?? 1) <= version);
  notices.push(...refused);
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 3).map((k) => `"${clip(k)}"`);
    const more = unknown.length > 3 ? ` and ${unknown.length - 3} more` : '';
    notices.push({
      text: `Ignored unknown field${unknown.length > 1 ? 's' : ''} ${shown.join(', ')}${more}.`,
      fields: [],
    });
  }
  return { read, expected };
}

/** The version a link is read as (versionNotice says when that is not the one it states). */
function linkVersion(version: string | null): number {
  return version !== null && /^\d{1,4}$/.test(version) && Number(version) >= 1 ? Number(version) : 1;
}

/** What is wrong with the link's version, if anything. */
function versionNotice(version: string | null): UrlNotice | null {
  if (version === null) return { text: 'The link has no version; read it as version 1.', fields: [] };
  if (!/^\d{1,4}$/.test(version))
    return { text: `Unknown link version "${clip(version)}"; read it as version 1.`, fields: [] };
  if (Number(version) > URL_VERSION)
    return {
      text: `The link comes from a newer version (v${version}); read the fields this version knows.`,
      fields: [],
    };
  return null;
}

/**
 * The checksum covers everything before the final "&h=": without it, a cut link or a flipped digit would be
 * read as a different but valid value without a word. Names the fields that were read from an unverified link.
 */
function checkIntegrity(plain: string, params: URLSearchParams, read: Key[]): UrlNotice | null {
  if (read.length === 0) return null;
  const at = plain.lastIndexOf('&h=');
  if (!params.has('h')) {
    return {
      text: `The link has no checksum (cut short or written by hand); check these values: ${read.join(', ')}.`,
      fields: read,
    };
  }
  if (at < 0 || params.getAll('h').length > 1 || plain.slice(at + 3) !== checksum(plain.slice(0, at))) {
    return {
      text: `The link's checksum does not match (damaged or edited); check these values: ${read.join(', ')}.`,
      fields: read,
    };
  }
  return null;
}

function cap(lines: string[]): string[] {
  if (lines.length <= MAX_MESSAGES + 1) return lines;
  return [...lines.slice(0, MAX_MESSAGES), `…and ${lines.length - MAX_MESSAGES} more.`];
}

/** A value from the link, safe and short for a message: no control or direction characters, 24 code points. */
export function clip(s: string): string {
  const clean = Array.from(s.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '?'));
  return clean.length > 24 ? `${clean.slice(0, 24).join('')}…` : clean.join('');
}
