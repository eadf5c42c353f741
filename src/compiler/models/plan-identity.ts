/**
 * Test support for the generic-model refactor: a SHA-256 of a compiled plan (every step, tensor, offset,
 * constant byte, metric and timeline point), over the four built-in backbones with their pretrained files and
 * a few schemes and options. plan-identity.test.ts compares it with hashes recorded before the change.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../compile';
import { parseModelFile } from '../model-file';
import type { PlanOptions, TrainingPlan } from '../plan';
import { MODEL_NAMES } from './arch';
import { buildModel, type Model } from './model';

/** Typed arrays as plain arrays, so the JSON holds every byte; the compile time is left out. */
const replacer = (k: string, v: unknown) =>
  k === 'compileMs' ? undefined : ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v;

export function planHash(plan: TrainingPlan): string {
  return createHash('sha256').update(JSON.stringify(plan, replacer)).digest('hex');
}

export function pretrainedFile(name: string) {
  const dir = join(__dirname, '../../../public/models');
  return parseModelFile(readFileSync(join(dir, `${name}.json`), 'utf8'), readFileSync(join(dir, `${name}.bin`)));
}

export interface PlanCase {
  id: string;
  model: () => Model;
  scheme: string;
  options: Partial<PlanOptions>;
}

export function planCases(): PlanCase[] {
  const out: PlanCase[] = [];
  for (const name of MODEL_NAMES) {
    const res = name === 'tiny-cnn' ? 32 : 64;
    const file = () => buildModel({ model: name, resolution: res, classes: 10, pretrained: pretrainedFile(name) });
    const random = () => buildModel({ model: name, resolution: res, classes: 5, seed: 3 });
    const schemes = ['last:4', 'bias-only', 'full'];
    const opts: Partial<PlanOptions>[] = [{}, { fusion: false, reorder: false }, { split: false }];
    for (const scheme of schemes)
      opts.forEach((o, i) => out.push({ id: `${name} file ${scheme} o${i}`, model: file, scheme, options: o }));
    out.push({ id: `${name} random last:2`, model: random, scheme: 'last:2', options: {} });
  }
  return out;
}

export function caseHashes(): Record<string, string> {
  const cache = new Map<() => Model, Model>();
  const hashes: Record<string, string> = {};
  for (const c of planCases()) {
    const m = cache.get(c.model) ?? c.model();
    cache.set(c.model, m);
    hashes[c.id] = planHash(compile(m, c.scheme, c.options));
  }
  return hashes;
}
