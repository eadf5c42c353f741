/**
 * The page's cache of contribution runs, like the CLI's (cli/search-cache.ts) but in IndexedDB: one entry per
 * run, keyed by everything its score depends on: the model's content hash (the same SHA-256 byte stream as the
 * CLI's modelHash: names, shapes, int8 weights, int32 biases, scales, quantization), the data set, the kernel
 * build's SHA-256, the run settings, the validation size, the plan options and the scheme. Without IndexedDB
 * (tests, private windows that refuse it) the cache lives in memory for the page's lifetime.
 */
import { createStore, get as idbGet, set as idbSet, type UseStore } from 'idb-keyval';
import type { Model } from '../compiler/models/model';
import type { PlanOptions } from '../compiler/plan';
import type { ContributionSettings, RunScore } from '../runtime/training/contribution';

export interface RunKey {
  modelSha256: string;
  data: string;
  kernelSha256: string;
  settings: ContributionSettings;
  validation: number;
  options: Partial<PlanOptions>;
  scheme: string;
}

const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');

/** SHA-256 of bytes (Web Crypto), hex. */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', bytes));
}

/** The model's content hash: the CLI's modelHash stream (cli/search-cache.ts), hashed with Web Crypto. */
export async function modelSha256(m: Model): Promise<string> {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [
    enc.encode(JSON.stringify([m.name, m.inputShape, m.classes, m.input, m.requant, m.nodes])),
  ];
  for (const l of [...m.convs, m.classifier]) {
    parts.push(enc.encode(JSON.stringify([l.name, l.kind, l.inC, l.outC, l.kernel, l.stride, l.input, l.output])));
    for (const a of [l.weight, l.bias, l.weightScale]) parts.push(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) all.set(p, (o += p.length) - p.length);
  return sha256Hex(all);
}

/** The text a run is stored under (key order fixed by RunKey's construction). */
export const runKeyText = (k: RunKey): string =>
  JSON.stringify([k.modelSha256, k.data, k.kernelSha256, k.settings, k.validation, k.options, k.scheme]);

export interface RunCache {
  get(key: RunKey): Promise<RunScore | undefined>;
  set(key: RunKey, score: RunScore): Promise<void>;
}

/** A cache in memory (tests; the fallback without IndexedDB). */
export function memoryRunCache(): RunCache {
  const m = new Map<string, RunScore>();
  return {
    get: async (k) => m.get(runKeyText(k)),
    set: async (k, s) => void m.set(runKeyText(k), s),
  };
}

let store: UseStore | null | undefined;

/** The IndexedDB cache, or a memory one when IndexedDB is missing or refuses. */
export function browserRunCache(): RunCache {
  if (store === undefined) store = typeof indexedDB === 'undefined' ? null : createStore('tinytrain-search', 'runs');
  const idb = store;
  const mem = memoryRunCache();
  if (!idb) return mem;
  return {
    async get(k) {
      try {
        const v = (await idbGet(runKeyText(k), idb)) as RunScore | undefined;
        return v && v.scheme === k.scheme ? v : undefined;
      } catch {
        return mem.get(k);
      }
    },
    async set(k, s) {
      await mem.set(k, s);
      try {
        await idbSet(runKeyText(k), s, idb);
      } catch {
        // quota or a refused database: the memory copy serves this page
      }
    },
  };
}
