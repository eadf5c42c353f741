/**
 * Frozen-prefix caching for contribution runs (a browser/Node shortcut; the device plan is unchanged).
 *
 * The calls of a sub-plan before its first call that reads a trainable ('sram') const or a run-time value
 * (label, lr, rng, rounding, QAS scale), or that is not a forward call, compute a pure function of the input
 * image and frozen consts: the frozen prefix. Its result is what the arena holds at that cut in the buffers
 * live across it (PlanBuffer lifetimes: firstStep < cut <= lastStep). So per image we keep those bytes, and on
 * the next visit of the image write them back and run only the calls from the cut on. Same kernels, same
 * bytes in: results are bit-identical with and without the cache (prefix-cache.test.ts).
 *
 * The key of a cut is relocation-free, so plans of different schemes share entries when their prefixes agree:
 * per prefix call its kernel, its by-value args, each arena arg as (ordinal of its buffer in first-use order,
 * offset inside the buffer, bytes), each const arg as a hash of its bytes; then the live buffers' ordinals and
 * sizes. The const bytes are the model's frozen weights, so the key covers the model's content (its prefix).
 * An entry is `${cut key}|${split}|${image index}`; a cache serves one pair of example sources (train, test).
 */
import type { PlanArg, SubPlan, TrainingPlan } from '../../compiler/plan';
import type { PlanExecutor } from '../kernels/executor';
import type { ExampleRef, Learner } from './train-session';

/** Where a sub-plan's frozen prefix ends and what the suffix needs from it. */
export interface PrefixCut {
  /** Index of the first call that is not frozen-prefix (0: nothing to cache). */
  at: number;
  /** Arena regions live across the cut, in key order. */
  live: { offset: number; bytes: number }[];
  /** Sum of the live regions' bytes: what one cached image costs. */
  bytes: number;
  /** Relocation-free identity of the prefix (see the header). */
  key: string;
}

const RUNTIME_ARGS = new Set<PlanArg['kind']>(['lr', 'rng', 'rounding', 'label', 'gscale']);

/** FNV-1a (32 bit) of bytes, as 8 hex digits. */
function fnv(bytes: Uint8Array, seed = 0x811c9dc5): string {
  let h = seed;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** The cut of `sub` (the plan's training sub-plan or plan.inference). */
export function prefixCut(plan: TrainingPlan, sub: SubPlan): PrefixCut {
  const trainable = (a: PlanArg) => a.kind === 'const' && plan.consts[a.id].storage === 'sram';
  let at = 0;
  while (at < sub.steps.length) {
    const s = sub.steps[at];
    if (s.phase !== 'forward' || s.args.some((a) => RUNTIME_ARGS.has(a.kind) || trainable(a))) break;
    at++;
  }
  const byId = new Map(sub.buffers.map((b) => [b.id, b]));
  const ordinal = new Map<number, number>([[sub.input.buffer, 0]]);
  const constHash = new Map<number, string>();
  const parts: string[] = [];
  for (let i = 0; i < at; i++) {
    const s = sub.steps[i];
    const args = s.args.map((a) => {
      if (a.kind === 'arena') {
        const b = byId.get(a.buffer);
        if (!b) throw new Error(`${s.kernel} (${s.op}) uses buffer ${a.buffer}, which the plan does not list`);
        if (!ordinal.has(b.id)) ordinal.set(b.id, ordinal.size);
        return `a${ordinal.get(b.id)}+${a.offset - b.offset}:${a.bytes}`;
      }
      if (a.kind === 'const') {
        let h = constHash.get(a.id);
        if (h === undefined) {
          const d = plan.consts[a.id].data;
          const u8 = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
          constHash.set(a.id, (h = `${d.length}${plan.consts[a.id].dtype}${fnv(u8)}${fnv(u8, 0x9747b28c)}`));
        }
        return `c${h}`;
      }
      return a.kind === 'i32' || a.kind === 'f32' ? `${a.kind}${a.value}` : a.kind;
    });
    parts.push(`${s.kernel}(${args.join(',')})`);
  }
  const liveBufs = at === 0 ? [] : sub.buffers.filter((b) => b.firstStep < at && b.lastStep >= at);
  liveBufs.sort((x, y) => (ordinal.get(x.id) ?? 1e9 + x.id) - (ordinal.get(y.id) ?? 1e9 + y.id));
  const live = liveBufs.map((b) => ({ offset: b.offset, bytes: b.bytes }));
  parts.push(`live:${liveBufs.map((b) => `${ordinal.get(b.id) ?? `x${b.name}`}:${b.bytes}`).join(',')}`);
  return { at, live, bytes: live.reduce((n, r) => n + r.bytes, 0), key: parts.join(';') };
}

/** The cached live bytes of images at cuts, up to `maxBytes` (then it stops adding; hits keep working). */
export class PrefixCache {
  private readonly entries = new Map<string, Uint8Array>();
  private used = 0;
  hits = 0;
  misses = 0;

  constructor(readonly maxBytes = 128 * 1024 * 1024) {}

  get(key: string): Uint8Array | undefined {
    const v = this.entries.get(key);
    if (v) this.hits++;
    else this.misses++;
    return v;
  }

  put(key: string, bytes: Uint8Array): void {
    if (this.used + bytes.length > this.maxBytes || this.entries.has(key)) return;
    this.entries.set(key, bytes);
    this.used += bytes.length;
  }

  get bytesUsed(): number {
    return this.used;
  }

  clear(): void {
    this.entries.clear();
    this.used = 0;
  }
}

/** A Learner over a PlanExecutor that skips the frozen prefix of images it has seen (see the header). */
export class PrefixCachedLearner implements Learner {
  private readonly trainCut: PrefixCut;
  private readonly inferCut: PrefixCut;

  constructor(
    private readonly exec: PlanExecutor,
    private readonly cache: PrefixCache,
  ) {
    this.trainCut = prefixCut(exec.plan, exec.plan);
    this.inferCut = prefixCut(exec.plan, exec.plan.inference);
  }

  private run(which: 'train' | 'infer', cut: PrefixCut, image: Int8Array, label: number, ex?: ExampleRef): number {
    const end = (which === 'train' ? this.exec.plan : this.exec.plan.inference).steps.length;
    if (!ex || cut.at === 0) return this.exec.runSteps(which, 0, end, image, label);
    const key = `${cut.key}|${ex.split}|${ex.index}`;
    const saved = this.cache.get(key);
    const arena = this.exec.arenaView();
    if (saved) {
      let p = 0;
      for (const r of cut.live) arena.set(saved.subarray(p, (p += r.bytes)), r.offset);
      return this.exec.runSteps(which, cut.at, end, null, label);
    }
    this.exec.runSteps(which, 0, cut.at, image, label);
    const out = new Uint8Array(cut.bytes);
    let p = 0;
    for (const r of cut.live) out.set(arena.subarray(r.offset, r.offset + r.bytes), (p += r.bytes) - r.bytes);
    this.cache.put(key, out);
    return this.exec.runSteps(which, cut.at, end, null, label);
  }

  trainStep(image: Int8Array, label: number, example?: ExampleRef): number {
    return this.run('train', this.trainCut, image, label, example);
  }

  trainPredicted(): number {
    return this.exec.trainPredicted();
  }

  evaluate(image: Int8Array, label: number, example?: ExampleRef): { loss: number; predicted: number } {
    const loss = this.run('infer', this.inferCut, image, label, example);
    return { loss, predicted: this.exec.inferPredicted() };
  }

  setLearningRate(lr: number): void {
    this.exec.setLearningRate(lr);
  }

  /** Where the training and inference prefixes end (tests, benchmarks). */
  cuts(): { train: PrefixCut; infer: PrefixCut } {
    return { train: this.trainCut, infer: this.inferCut };
  }
}
