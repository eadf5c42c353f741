/**
 * The kernels on several threads: wasm/tt_kernels_mt.wasm (the same kernels built with -pthread over an imported
 * shared memory) instantiated once on this thread and once on each of T - 1 kernel threads, all over one shared
 * WebAssembly.Memory. The executor splits a heavy plan step into parts whose outputs are disjoint (rows,
 * elements or output channels; executor-split.ts); KernelThreads.run runs the parts on this thread and the
 * kernel threads and returns when all are done, so every output element is computed by exactly one thread with the same
 * arithmetic as the single-threaded call, and results are bit-identical for any thread count.
 *
 * Parts are claimed, not assigned: this thread posts the job, then claims parts like any kernel thread, so a
 * kernel thread that the OS has not scheduled yet costs nothing (this thread does its parts), and every part
 * still runs exactly once. A program (KernelThreads.program, executor-program.ts) is a sequence of such calls in
 * one job: its table lives in wasm memory, every thread claims the parts of call j and waits until they are all
 * done before call j + 1, so many small split calls cost one hand-over. A call's parts may be sequences of
 * calls (a band chain by output-row ranges, executor-chain.ts): the thread that claims part i runs its calls in
 * order without waiting between them. The control block (a SharedArrayBuffer
 * apart from wasm memory) is laid out in
 * kernel-thread-source.ts; wasm-threads-start.ts starts the threads. Waiting needs a context that may block: a worker, or Node's main thread (never a
 * page). Kernel threads spin briefly on Atomics.load before Atomics.wait: plan steps come tens of microseconds
 * apart, about a futex wake-up.
 */
import {
  ARGS_BYTE,
  CTRL,
  MAX_ARGS,
  MAX_PARTS,
  PROGRAM,
  PROGRAM_WORDS,
  PW,
  SEQ_WORDS,
  SEQUENCES,
} from './kernel-thread-source';

/** fn of a host call in a program table (one part, the calling thread's: kernel threads never call it). */
const HOST = -4;

/** A started kernel thread, whatever the platform (Node worker_threads or a browser Worker). */
export interface ThreadPort {
  postMessage(message: unknown): void;
  /** Messages from the thread: { ready: true } once, { error } on failure. */
  onMessage(cb: (message: { ready?: boolean; error?: string }) => void): void;
  terminate(): void;
}

/** Starts one kernel thread (see kernel-thread-source.ts for the source each platform needs). */
export type SpawnThread = () => ThreadPort;

/** One call of a program: the export the kernel threads call, the parts' arguments, and this thread's call;
 * or parts that are sequences of calls (KernelThreads.sequences), `main(i)` running sequence i here. */
export type ProgramCall = SplitCall | SequencesCall | HostCall;

export interface SplitCall {
  kernel: string;
  parts: Float64Array[];
  main: (a: Float64Array) => void;
  /** The parts' current arguments, when they change after the program is written (the learning rate):
   * written into the program each time it runs, before the threads start. */
  refresh?: () => Float64Array[];
}

/** Work of the calling thread alone between two calls (an rng jump): the kernel threads wait for it. */
export interface HostCall {
  host: () => void;
}

/** One kernel call of a sequence. */
export interface SequenceStep {
  kernel: string;
  args: Float64Array;
}

/** A program call whose part i is sequences[i]: one thread runs its calls in order, without waiting between. */
export interface SequencesCall {
  sequences: SequenceStep[][];
  /** Runs sequence `part` here; `finished()` counts the call's parts done so far (by any thread). */
  main: (part: number, finished: () => number) => void;
  /** A bit per part that only this thread runs, through main (its sequence is then not read): a part that is
   * JavaScript work, such as the executor's pipelined training step (executor-pipeline.ts). */
  mainOnly?: number;
}

const partsOf = (c: ProgramCall) => ('sequences' in c ? c.sequences.length : 'host' in c ? 1 : c.parts.length);

/** A program written into wasm memory (KernelThreads.program): run() runs its calls [first, last) in order. */
export interface KernelProgram {
  readonly calls: number;
  run(first?: number, last?: number): void;
}

/** Job numbers live in the high 15 bits of a program call's claim word (kernel-thread-source.ts). */
const MAX_JOB = (1 << 15) - 1;

export class KernelThreads {
  private readonly w: Int32Array;
  private readonly args: Float64Array;
  private readonly fnIndex = new Map<string, number>();
  private job = 0;
  private disposed = false;
  private readonly errors: string[] = [];

  constructor(
    private readonly ports: ThreadPort[],
    ctrl: SharedArrayBuffer,
    names: string[],
    private readonly spin: number,
  ) {
    this.w = new Int32Array(ctrl);
    this.args = new Float64Array(ctrl, ARGS_BYTE, MAX_ARGS * MAX_PARTS);
    names.forEach((n, i) => this.fnIndex.set(n, i));
    ports.forEach((p) => p.onMessage((m) => m.error && this.errors.push(m.error)));
  }

  /** Threads in all, this one included. */
  get count(): number {
    return this.ports.length + 1;
  }

  /** Index of an export the threads can call, or throws. */
  index(name: string): number {
    const i = this.fnIndex.get(name);
    if (i === undefined) throw new Error(`kernel threads cannot call ${name}`);
    return i;
  }

  private nextJob(): number {
    this.job = this.job >= MAX_JOB ? 1 : this.job + 1;
    return this.job;
  }

  private post(fn: number, parts: number, nargs: number, job = this.nextJob()): number {
    const w = this.w;
    w[CTRL.fn] = fn;
    w[CTRL.parts] = parts;
    w[CTRL.nargs] = nargs;
    Atomics.store(w, CTRL.finished, 0);
    Atomics.store(w, CTRL.error, 0);
    Atomics.store(w, CTRL.claim, job << 8);
    Atomics.store(w, CTRL.seq, job);
    Atomics.notify(w, CTRL.seq);
    return job;
  }

  /**
   * Runs export `fn` (index) once with each of parts[0..n-1], the parts shared out between the kernel threads
   * and `main` (this thread's call of the same export), and returns when all are done. Parts must write
   * disjoint memory.
   */
  run(fn: number, parts: Float64Array[], n: number, main: (a: Float64Array) => void): void {
    if (this.disposed) throw new Error('kernel threads disposed');
    if (n > MAX_PARTS) throw new Error(`at most ${MAX_PARTS} parts, got ${n}`);
    const w = this.w;
    for (let i = 0; i < n; i++) this.args.set(parts[i], MAX_ARGS * i);
    const job = this.post(fn, n, parts[0].length);
    // a part that throws here still waits for the others: the next job must not start while one runs
    let thrown: unknown = null;
    for (;;) {
      const c = Atomics.load(w, CTRL.claim);
      const i = c & 255;
      if (i >= n) break;
      if (Atomics.compareExchange(w, CTRL.claim, c, c + 1) !== c) continue;
      try {
        main(parts[i]);
      } catch (e) {
        thrown ??= e;
      }
      Atomics.add(w, CTRL.finished, 1);
    }
    let done = Atomics.load(w, CTRL.finished);
    for (let s = 0; done < n && s < this.spin; s++) done = Atomics.load(w, CTRL.finished);
    for (let waited = 0; done < n; waited++) {
      if (waited > 60) throw new Error(`kernel threads have not finished job ${job} for a minute`);
      Atomics.wait(w, CTRL.finished, done, 1000);
      done = Atomics.load(w, CTRL.finished);
    }
    if (thrown) throw thrown;
    const bad = Atomics.load(w, CTRL.error);
    if (bad)
      throw new Error(`a kernel thread failed on part ${bad - 1}${this.errors.length ? `: ${this.errors[0]}` : ''}`);
  }

  /**
   * Writes a program into wasm memory (`alloc` gives bytes that live as long as the program): its calls run
   * in order, each call's parts shared out like run()'s, every thread waiting for a call's parts before it
   * starts the next, all in one job, so a sequence of small split calls costs one hand-over, not one each.
   * One-part calls run on this thread. Arguments are fixed when written.
   */
  program(mem: () => ArrayBuffer, alloc: (bytes: number) => number, calls: ProgramCall[]): KernelProgram {
    const table = alloc(4 * PROGRAM_WORDS * calls.length);
    const f64 = (c: ProgramCall) =>
      'sequences' in c
        ? c.sequences.reduce((n, q) => n + q.reduce((m, x) => m + x.args.length, 0), 0)
        : 'host' in c
          ? 0
          : c.parts.length * c.parts[0].length;
    const i32 = (c: ProgramCall) =>
      'sequences' in c ? 2 * c.sequences.length + SEQ_WORDS * c.sequences.reduce((n, q) => n + q.length, 0) : 0;
    const args = alloc(8 * calls.reduce((n, c) => n + f64(c), 0) + 8);
    const dirs = alloc(4 * calls.reduce((n, c) => n + i32(c), 0) + 4);
    const m32 = new Int32Array(mem());
    const m64 = new Float64Array(mem());
    let at = (args + 7) >> 3;
    let dir = dirs >> 2;
    const argsAt: number[] = [];
    calls.forEach((c, j) => {
      const b = (table >> 2) + PROGRAM_WORDS * j;
      argsAt.push(at);
      if (partsOf(c) > MAX_PARTS) throw new Error(`program call ${j}: at most ${MAX_PARTS} parts`);
      if ('host' in c) {
        m32.set([HOST, 1, 0, 0, 0, 0, 0], b);
        return;
      }
      if ('sequences' in c) {
        // a directory of [first entry, entries] per part, then entries [fn, nargs, float64 index of args, 0]
        m32.set([SEQUENCES, c.sequences.length, 0, dir, 0, 0, c.mainOnly ?? 0], b);
        let entry = dir + 2 * c.sequences.length;
        c.sequences.forEach((q, i) => {
          m32.set([entry, q.length], dir + 2 * i);
          for (const x of q) {
            m32.set([this.index(x.kernel), x.args.length, at, 0], entry);
            m64.set(x.args, at);
            at += x.args.length;
            entry += SEQ_WORDS;
          }
        });
        dir = entry;
        return;
      }
      if (c.parts.some((p) => p.length !== c.parts[0].length))
        throw new Error(`program call ${j}: parts of different lengths`);
      m32.set([this.index(c.kernel), c.parts.length, c.parts[0].length, at, 0, 0, 0], b);
      for (const p of c.parts) m64.set(p, (at += p.length) - p.length);
    });
    const live = calls.flatMap((c, j) => ('refresh' in c && c.refresh ? [{ j, c, at: argsAt[j] }] : []));
    return {
      calls: calls.length,
      run: (first = 0, last = calls.length) => this.runProgram(mem, table, calls, live, first, last),
    };
  }

  private runProgram(
    mem: () => ArrayBuffer,
    table: number,
    calls: ProgramCall[],
    live: { j: number; c: SplitCall; at: number }[],
    first: number,
    last: number,
  ): void {
    if (this.disposed) throw new Error('kernel threads disposed');
    if (!(0 <= first && first < last && last <= calls.length))
      throw new RangeError(`calls ${first}..${last} of a program of ${calls.length}`);
    const m = new Int32Array(mem());
    if (live.length > 0) {
      const m64 = new Float64Array(mem());
      for (const { j, c, at } of live) {
        if (j < first || j >= last) continue;
        let k = at;
        for (const p of c.refresh!()) m64.set(p, (k += p.length) - p.length);
      }
    }
    const base = (table >> 2) + PROGRAM_WORDS * first;
    const job = this.nextJob();
    const t = job << 8;
    for (let j = 0; j < last - first; j++) {
      m[base + PROGRAM_WORDS * j + PW.claim] = job << 16;
      m[base + PROGRAM_WORDS * j + PW.done] = t;
    }
    this.w[CTRL.prog] = base << 2;
    this.w[CTRL.count] = last - first;
    this.post(PROGRAM, 0, 0, job);
    try {
      for (let j = 0; j < last - first; j++) this.programCall(m, base + PROGRAM_WORDS * j, t, calls[first + j]);
    } catch (e) {
      this.abort(job);
      throw e;
    }
    const bad = Atomics.load(this.w, CTRL.error);
    if (bad) {
      this.abort(job);
      throw new Error(`a kernel thread failed on part ${bad - 1}${this.errors.length ? `: ${this.errors[0]}` : ''}`);
    }
  }

  /** This thread's share of one program call, then the wait for the other threads' parts of it. */
  private programCall(m: Int32Array, b: number, t: number, c: ProgramCall): void {
    const parts = partsOf(c);
    const part =
      'sequences' in c
        ? (i: number) => c.main(i, () => Atomics.load(m, b + PW.done) - t)
        : 'host' in c
          ? () => c.host()
          : (i: number) => c.main(c.parts[i]);
    if (parts === 1) {
      part(0);
      this.done(m, b);
      return;
    }
    // parts only this thread may run first (the kernel threads cannot), then the lowest free one
    const all = (1 << parts) - 1;
    const only = 'sequences' in c ? (c.mainOnly ?? 0) : 0;
    for (;;) {
      const v = Atomics.load(m, b + PW.claim);
      const free = ~v & all;
      if (free === 0) break;
      const pick = free & only || free;
      const i = 31 - Math.clz32(pick & -pick);
      if (Atomics.compareExchange(m, b + PW.claim, v, v | (1 << i)) !== v) continue;
      part(i);
      this.done(m, b);
    }
    let d = Atomics.load(m, b + PW.done);
    for (let s = 0; d !== t + parts && s < this.spin; s++) d = Atomics.load(m, b + PW.done);
    for (let waited = 0; d !== t + parts; waited++) {
      if (waited > 60_000) throw new Error('kernel threads have not finished a program call for a minute');
      if (Atomics.load(this.w, CTRL.error)) throw new Error(`a kernel thread failed: ${this.errors[0] ?? ''}`);
      Atomics.add(this.w, CTRL.sleepers, 1);
      Atomics.wait(m, b + PW.done, d, 1);
      Atomics.sub(this.w, CTRL.sleepers, 1);
      d = Atomics.load(m, b + PW.done);
    }
  }

  /** Counts a finished part of a program call, waking the threads that sleep on it. */
  private done(m: Int32Array, b: number): void {
    Atomics.add(m, b + PW.done, 1);
    if (Atomics.load(this.w, CTRL.sleepers)) Atomics.notify(m, b + PW.done);
  }

  /** Ends a program early and waits until no kernel thread is inside it. */
  private abort(job: number): void {
    Atomics.store(this.w, CTRL.abort, job);
    for (let waited = 0; Atomics.load(this.w, CTRL.active) > 0 && waited < 60_000; waited++)
      Atomics.wait(this.w, CTRL.active, Atomics.load(this.w, CTRL.active), 1);
  }

  /** Ends the kernel threads. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.post(-1, 0, 0);
    this.ports.forEach((p) => p.terminate());
  }
}
