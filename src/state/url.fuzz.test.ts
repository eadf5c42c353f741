/**
 * URL fuzz: 10,000 links made by damaging valid ones (cut, flipped bytes, trailing bytes, wrong version, random
 * base64, huge strings, unicode). Decoding never throws, always yields a valid experiment, and every field that
 * differs from the experiment the link was made from is named in a notice.
 */
import { deflateSync, inflateSync, strFromU8, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { RATIOS } from '../compiler/scheme/scheme';
import { BACKBONES, EXPERIMENT_FIELDS, EXPERIMENT_KEYS, ROUNDINGS } from './experiment';
import type { Experiment } from './experiment';
import { BOARD_IDS } from '../compiler/boards';
import { MAX_MESSAGES, decodeExperiment, encodeExperiment } from './url';
import type { UrlNotice } from './url';

let state = 0x2545f491;
const rand = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');

/** A valid experiment with every field drawn at random (short schemes encode plain, long ones compressed). */
function randomExperiment(): Experiment {
  return {
    model: pick(BACKBONES),
    resolution: 16 * (1 + int(14)),
    classes: 2 + int(999),
    board: pick(BOARD_IDS),
    budgetKb: 16 + int(8177),
    preset: pick(['custom', 'paper:99kb', 'bias-only', 'last:12']),
    scheme: Array.from({ length: pick([0, 3, 51, 120]) }, () => ({ bias: rand() < 0.5, ratio: pick(RATIOS) })),
    reorder: rand() < 0.5,
    fusion: rand() < 0.5,
    split: rand() < 0.5,
    lr: pick([0.01, 0.03, 1e-6, 10, 0.0125, 2.5e-3]),
    rounding: pick(ROUNDINGS),
    qas: rand() < 0.5,
    seed: int(2 ** 31),
    modelFile: pick(['', '0123456789abcdef', 'ffffffffffffffff']),
    quantization: pick([null, null, { count: 120, range: [-1, 1] }, { count: 7756, range: [0.5, 255] }]),
  };
}

const UNICODE = ['\u00e9', '\u4e2d', '\u{1f600}', '\u202e', '\u0000', '\ud800', '\u0301', '%', '&', '=', '#', '+'];

/** The text inside a link (inflated when compressed) and how to put a changed text back. */
function inner(link: string): { text: string; wrap(t: string): string } {
  if (!link.startsWith('z=')) return { text: link, wrap: (t) => t };
  let text: string;
  try {
    text = strFromU8(inflateSync(Buffer.from(link.slice(2), 'base64url')));
  } catch {
    return { text: link, wrap: (t) => t }; // already damaged: damage it as text
  }
  return { text, wrap: (t) => `z=${b64url(deflateSync(strToU8(t)))}` };
}

function mutate(link: string): string {
  const kind = int(8);
  if (kind === 0) return link.slice(0, 1 + int(link.length - 1)); // truncation (an empty link is no link)
  if (kind === 1 && link.startsWith('z=')) {
    const bytes = Buffer.from(link.slice(2), 'base64url'); // byte flips in the compressed stream
    for (let i = 0; i < 1 + int(3); i++) bytes[int(bytes.length)] ^= 1 << int(8);
    return `z=${b64url(bytes)}`;
  }
  if (kind <= 1) {
    const chars = [...link]; // character flips in a plain link
    for (let i = 0; i < 1 + int(3); i++) chars[int(chars.length)] = pick([...'0123456789abcxyz=&.-_%']);
    return chars.join('');
  }
  if (kind === 2 && link.startsWith('z=')) {
    const bytes = Buffer.from(link.slice(2), 'base64url'); // trailing bytes after the stream
    return `z=${b64url(new Uint8Array([...bytes, ...Array.from({ length: 1 + int(40) }, () => int(256))]))}`;
  }
  if (kind === 2) return link + Array.from({ length: 1 + int(20) }, () => pick([...'&=x1%'])).join('');
  if (kind === 3) {
    const { text, wrap } = inner(link); // wrong version
    return wrap(text.replace(/^v=\d+/, `v=${pick(['0', '1', '2', '3', '99999', 'x', '', '1.0', '-1'])}`));
  }
  if (kind === 4) return `z=${Array.from({ length: int(300) }, () => pick([...'ABCxyz019-_'])).join('')}`;
  if (kind === 5) {
    const { text, wrap } = inner(link); // a huge value
    const at = int(text.length);
    return wrap(text.slice(0, at) + pick(['9', 'x', '&a=', '%']).repeat(int(6000)) + text.slice(at));
  }
  if (kind === 6) {
    const { text, wrap } = inner(link); // unicode inside the text
    const chars = [...text];
    for (let i = 0; i < 1 + int(4); i++) chars.splice(int(chars.length), int(2), pick(UNICODE));
    return wrap(chars.join(''));
  }
  return mutate(mutate(link)); // two damages at once
}

/** What is wrong with one decoded link (plain checks: 10,000 rounds of expect() would dominate the run time). */
function check(original: Experiment, got: Experiment, notices: UrlNotice[], messages: string[]): string[] {
  const out: string[] = [];
  if (Object.keys(got).sort().join() !== [...EXPERIMENT_KEYS].sort().join()) out.push('not the experiment fields');
  const named = new Set(notices.flatMap((n) => n.fields));
  for (const k of EXPERIMENT_KEYS) {
    const field = EXPERIMENT_FIELDS[k] as { encode(v: unknown): string; decode(s: string): unknown };
    const value = JSON.stringify(got[k]);
    if (JSON.stringify(field.decode(field.encode(got[k]))) !== value) out.push(`${k} = ${value} is not valid`);
    if (value !== JSON.stringify(original[k]) && !named.has(k))
      out.push(`${k} changed to ${value.slice(0, 80)} without a notice`);
  }
  for (const n of notices) for (const f of n.fields) if (!n.text.includes(f)) out.push(`"${n.text}" does not say ${f}`);
  if (messages.length > MAX_MESSAGES + 1) out.push(`${messages.length} messages`);
  for (const m of messages) if (m.length > 400) out.push(`a message of ${m.length} characters`);
  return out;
}

const ITERATIONS = 10_000;

describe('share URL fuzz', () => {
  it(`${ITERATIONS} damaged links: no throw, a valid experiment, every changed field named`, () => {
    const pool = Array.from({ length: 250 }, () => randomExperiment()).map((e) => [e, encodeExperiment(e)] as const);
    const problems: string[] = [];
    const kinds = { clean: 0, reported: 0, plain: 0, compressed: 0 };
    for (let i = 0; i < ITERATIONS; i++) {
      const [original, valid] = pool[i % pool.length];
      const link = mutate(valid);
      kinds[link.startsWith('z=') ? 'compressed' : 'plain']++;
      const { experiment, notices, messages } = decodeExperiment(i % 2 ? `#${link}` : link);

      problems.push(
        ...check(original, experiment, notices, messages).map((p) => `case ${i} (${link.slice(0, 60)}): ${p}`),
      );
      kinds[notices.length ? 'reported' : 'clean']++;
    }
    expect(problems.slice(0, 5)).toEqual([]);
    // the generator really damages links of both kinds (a clean result is a mutation that changed nothing)
    expect(kinds.reported).toBeGreaterThan(ITERATIONS * 0.95);
    expect(kinds.plain).toBeGreaterThan(ITERATIONS * 0.2);
    expect(kinds.compressed).toBeGreaterThan(ITERATIONS * 0.2);
  }, 15_000);
});
