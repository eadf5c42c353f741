/**
 * Frozen-prefix caching for contribution runs (a browser/Node shortcut; the device plan is unchanged).
 *
 * The frozen prefix of a sub-plan (compiler/frozen-prefix.ts) computes a pure function of the input image and
 * frozen consts. Its result is what the arena holds at the cut in the buffers live across it (PlanBuffer
 * lifetimes: firstStep < cut <= lastStep). So per image we keep those bytes, and on
 * the next visit of the image write them back and run only the calls from the cut on. Same kernels, same
 * bytes in: results are bit-identical with and without the cache (prefix-cache.test.ts).
 *
 * The key of a cut is relocation-free, so plans of different schemes share entries when their prefixes agree:
 * per prefix call its kernel, its by-value args, each arena arg as (ordinal of its buffer in first-use order,
 * offset inside the buffer, bytes), each const arg as a hash of its bytes; then the live buffers' ordinals and
 * sizes. The const bytes are the model's frozen weights, so the key covers the model's content (its prefix).
 * An entry is `${cut key}|${split}|${image index}`; a cache serves one pair of example sources (train, test).
 */
import { frozenPrefixLength, liveAcross } from '../../compiler/frozen-prefix';
import type { SubPlan, TrainingPlan } from '../../compiler/plan';
import type { PlanExecutor } from '../kernels/executor';
import type { ExampleRef, Learner } from './train-session';

export { frozenPrefixLength };

/** Where a sub-plan's frozen prefix is cut and what the calls after the cut need from it. */
export interface PrefixCut {
  /** Index of the first call after the cut (0: nothing to cache). */
  at: number;
  /** Arena regions live across the cut, in key order. */
  live: { offset: number; bytes: number }[];
  /** Sum of the live regions' bytes: what one cached image costs. */
  bytes: number;
  /** Short id of `text` (two FNV-1a hashes and the length). */
  key: string;
  /** Relocation-free identity of the prefix (see the header); the cache checks ids against it. */
  text: string;
}

/** FNV-1a (32 bit) of bytes, as 8 hex digits. */
function fnv(bytes: Uint8Array, seed = 0x811c9dc5): string {
  let h = seed;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** The cut of `sub` before call `at` (at most frozenPrefixLength); `constHash` memoizes const hashes. */
export function cutAt(plan: TrainingPlan, sub: SubPlan, at: number, constHash = new Map<number, string>()): PrefixCut {
  const byId = new Map(sub.buffers.map((b) => [b.id, b]));
  const ordinal = new Map<number, number>([[sub.input.buffer, 0]]);
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
  const liveBufs = liveAcross(sub, at);
  liveBufs.sort((x, y) => (ordinal.get(x.id) ?? 1e9 + x.id) - (ordinal.get(y.id) ?? 1e9 + y.id));
  const live = liveBufs.map((b) => ({ offset: b.offset, bytes: b.bytes }));
  parts.push(`live:${liveBufs.map((b) => `${ordinal.get(b.id) ?? `x${b.name}`}:${b.bytes}`).join(',')}`);
  const text = parts.join(';');
  const u8 = new TextEncoder().encode(text);
  return {
    at,
    live,
    bytes: live.reduce((n, r) => n + r.bytes, 0),
    key: `${fnv(u8)}${fnv(u8, 0x9747b28c)}.${u8.length}`,
    text,
  };
}

/** The cut of `sub` at the end of its frozen prefix. */
export const prefixCut = (plan: TrainingPlan, sub: SubPlan): PrefixCut =>
  cutAt(plan, sub, frozenPrefixLength(plan, sub));

/**
 * The cached live bytes of images at cuts, up to `maxBytes` (then it stops adding; hits keep working). Cuts
 * are registered by id with their full text: an id clash between different prefixes is refused (not cached).
 */
export class PrefixCache {
  private readonly entries = new Map<string, Uint8Array>();
  private readonly cuts = new Map<string, { at: number; text: string }>();
  private used = 0;
  hits = 0;
  misses = 0;
  /** Misses filled from an earlier cut's entry (only the calls in between ran). */
  chained = 0;

  constructor(readonly maxBytes = 128 * 1024 * 1024) {}

  /** Registers a cut; false when its id is taken by another prefix (then it must not be cached). */
  register(cut: PrefixCut): boolean {
    const had = this.cuts.get(cut.key);
    if (had) return had.text === cut.text;
    this.cuts.set(cut.key, { at: cut.at, text: cut.text });
    return true;
  }

  /** Registered cuts before call `at`, latest first (candidates to resume from). */
  cutsBefore(at: number): { key: string; at: number }[] {
    return [...this.cuts]
      .filter(([, c]) => c.at > 0 && c.at < at)
      .map(([key, c]) => ({ key, at: c.at }))
      .sort((a, b) => b.at - a.at);
  }

  get(key: string): Uint8Array | undefined {
    const v = this.entries.get(key);
    if (v) this.hits++;
    else this.misses++;
    return v;
  }

  /** An entry without counting (a look-up for chaining). */
  peek(key: string): Uint8Array | undefined {
    return this.entries.get(key);
  }

  put(key: string, bytes: Uint8Array): void {
    if (this.used + bytes.length > this.maxBytes || this.entries.has(key)) return;
    this.entries.set(key, bytes);
    this.used += bytes.length;
  }

  get bytesUsed(): number {
    return this.used;
  }
}

/** A sub-plan's cut and, when another plan's cut lies before it with the same prefix, that cut here. */
interface Cuts {
  which: 'train' | 'infer';
  end: number;
  cut: PrefixCut;
  /** The cut is registered (no id clash): its entries may be stored and read. */
  ok: boolean;
  /** The latest registered earlier cut this plan shares, found on the first miss; null: none. */
  from?: PrefixCut | null;
}

/**
 * A Learner over a PlanExecutor that skips the frozen prefix of images it has seen (see the header). On a miss
 * it resumes, when it can, from the latest earlier cut another plan left in the cache for the image (the same
 * prefix up to there: equal keys), running only the frozen calls between the two cuts.
 */
export class PrefixCachedLearner implements Learner {
  private readonly train: Cuts;
  private readonly infer: Cuts;
  private readonly constHash = new Map<number, string>();

  constructor(
    private readonly exec: PlanExecutor,
    private readonly cache: PrefixCache,
  ) {
    const plan = exec.plan;
    const make = (which: 'train' | 'infer', sub: SubPlan): Cuts => {
      const cut = cutAt(plan, sub, frozenPrefixLength(plan, sub), this.constHash);
      return { which, end: sub.steps.length, cut, ok: cut.at > 0 && cache.register(cut) };
    };
    this.train = make('train', plan);
    this.infer = make('infer', plan.inference);
  }

  private earlier(c: Cuts): PrefixCut | null {
    if (c.from !== undefined) return c.from;
    const sub = c.which === 'train' ? this.exec.plan : this.exec.plan.inference;
    c.from = null;
    for (const k of this.cache.cutsBefore(c.cut.at)) {
      const mine = cutAt(this.exec.plan, sub, k.at, this.constHash);
      if (mine.key === k.key && this.cache.register(mine)) return (c.from = mine);
    }
    return null;
  }

  private restore(cut: PrefixCut, saved: Uint8Array): void {
    const arena = this.exec.arenaView();
    let p = 0;
    for (const r of cut.live) arena.set(saved.subarray(p, (p += r.bytes)), r.offset);
  }

  private run(c: Cuts, image: Int8Array, label: number, ex?: ExampleRef): number {
    const { which, end, cut } = c;
    if (!ex || !c.ok) return this.exec.runSteps(which, 0, end, image, label);
    const tail = `|${ex.split}|${ex.index}`;
    const saved = this.cache.get(cut.key + tail);
    if (saved) {
      this.restore(cut, saved);
      return this.exec.runSteps(which, cut.at, end, null, label);
    }
    const from = this.earlier(c);
    const start = from && this.cache.peek(from.key + tail);
    if (from && start) {
      this.restore(from, start);
      this.exec.runSteps(which, from.at, cut.at, null, label);
      this.cache.chained++;
    } else this.exec.runSteps(which, 0, cut.at, image, label);
    const arena = this.exec.arenaView();
    const out = new Uint8Array(cut.bytes);
    let p = 0;
    for (const r of cut.live) out.set(arena.subarray(r.offset, r.offset + r.bytes), (p += r.bytes) - r.bytes);
    this.cache.put(cut.key + tail, out);
    return this.exec.runSteps(which, cut.at, end, null, label);
  }

  trainStep(image: Int8Array, label: number, example?: ExampleRef): number {
    return this.run(this.train, image, label, example);
  }

  trainPredicted(): number {
    return this.exec.trainPredicted();
  }

  evaluate(image: Int8Array, label: number, example?: ExampleRef): { loss: number; predicted: number } {
    const loss = this.run(this.infer, image, label, example);
    return { loss, predicted: this.exec.inferPredicted() };
  }

  setLearningRate(lr: number): void {
    this.exec.setLearningRate(lr);
  }

  /** Where the training and inference prefixes end (tests, benchmarks). */
  cuts(): { train: PrefixCut; infer: PrefixCut } {
    return { train: this.train.cut, infer: this.infer.cut };
  }
}
