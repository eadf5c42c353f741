/**
 * The source of a kernel thread (a helper of wasm-threads.ts), as a string so one text serves Node's
 * worker_threads (eval) and the browser's dedicated Worker (a Blob URL) with no bundler involved.
 *
 * A thread receives { module, memory, ctrl, stackTop, names, spin } once, instantiates the same kernel module
 * over the same shared memory (the module's passive data segments are initialized only by the first instance),
 * points its stack pointer at its own region, answers 'ready', then serves jobs: it waits for a new job number,
 * and claims and runs the job's parts (export names[fn] with the part's float64 arguments) until none is left.
 */

/**
 * Int32 words of the control block (wasm-threads.ts): one job at a time, its parts claimed by any thread.
 * A job is one split call (fn >= 0) or a program (fn = PROGRAM): `count` calls whose table starts at byte
 * `prog` of wasm memory, PROGRAM_WORDS int32 a call:
 *   fn, parts, nargs, args (float64 index of part 0's arguments; part i's follow at + i * nargs),
 *   claim         (job << 16) | a bit per claimed part; a thread claims the lowest free part it may run
 *   done          (job << 8) | parts finished
 *                 the calling thread writes (job << 16) and (job << 8) into them before it posts the job, so a
 *                 word with another job number means that job is over
 *   only          a bit per part that only the calling thread runs (its part is JavaScript: executor-pipeline.ts)
 * A call with fn = SEQUENCES has parts that are lists of calls (below). Threads go through the calls in order: claim parts of a call with parts > 1 (one-part calls are the calling
 * thread's), then wait until all its parts are done. `abort` (a job number) ends a program early; `active`
 * counts kernel threads inside one; `sleepers` counts threads (the calling one included) blocked in
 * Atomics.wait on a done word: whoever adds to a done word while it is non-zero notifies.
 *   seq      job number; kernel threads wait for it to change (Atomics.wait / notify)
 *   claim    (job << 8) | next unclaimed part: a thread claims part i with compareExchange(claim, c, c + 1)
 *            while the job in it is the one it woke for and i < parts
 *   finished parts done (the last one notifies); error: 1 + a part that threw, or 0
 *   fn       export index in `names` (-1: the threads exit); parts; nargs
 * Part i's float64 arguments start at byte ARGS_BYTE + 8 * MAX_ARGS * i.
 */
export const CTRL = {
  seq: 0,
  claim: 1,
  finished: 2,
  error: 3,
  fn: 4,
  parts: 5,
  nargs: 6,
  prog: 7,
  count: 8,
  abort: 9,
  active: 10,
  sleepers: 11,
} as const;
export const PROGRAM = -2;
/** fn of a program call whose parts are sequences: args is the int32 index of a directory of [first entry,
 * entries] per part; an entry is SEQ_WORDS int32: fn, nargs, float64 index of its arguments, 0. */
export const SEQUENCES = -3;
export const SEQ_WORDS = 4;
export const PROGRAM_WORDS = 8;
export const PW = { fn: 0, parts: 1, nargs: 2, args: 3, claim: 4, done: 5, only: 6 } as const;
export const MAX_PARTS = 16;
export const MAX_ARGS = 16;
export const ARGS_BYTE = 64;
export const CTRL_BYTES = ARGS_BYTE + 8 * MAX_ARGS * MAX_PARTS;

const BODY = `
const run = (init) => {
  const { module, memory, ctrl, stackTop, names, spin } = init;
  const imports = { env: { memory } };
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== 'function') continue;
    imports[imp.module] = imports[imp.module] || {};
    imports[imp.module][imp.name] = () => { throw new Error(imp.name + ' is not available on a kernel thread'); };
  }
  const ex = new WebAssembly.Instance(module, imports).exports;
  ex.stackRestore(stackTop);
  const fns = names.map((n) => ex[n]);
  const w = new Int32Array(ctrl);
  const args = new Float64Array(ctrl, ${ARGS_BYTE}, ${MAX_ARGS * MAX_PARTS});
  let m32 = new Int32Array(memory.buffer);
  let m64 = new Float64Array(memory.buffer);
  const call = (f, a, at, n) => {
    switch (n) {
      case 2: return f(a[at], a[at + 1]);
      case 3: return f(a[at], a[at + 1], a[at + 2]);
      case 4: return f(a[at], a[at + 1], a[at + 2], a[at + 3]);
      case 5: return f(a[at], a[at + 1], a[at + 2], a[at + 3], a[at + 4]);
      case 6: return f(a[at], a[at + 1], a[at + 2], a[at + 3], a[at + 4], a[at + 5]);
      case 7: return f(a[at], a[at + 1], a[at + 2], a[at + 3], a[at + 4], a[at + 5], a[at + 6]);
      case 8: return f(a[at], a[at + 1], a[at + 2], a[at + 3], a[at + 4], a[at + 5], a[at + 6], a[at + 7]);
      case 9: return f(a[at], a[at + 1], a[at + 2], a[at + 3], a[at + 4], a[at + 5], a[at + 6], a[at + 7], a[at + 8]);
      case 10: return f(a[at], a[at + 1], a[at + 2], a[at + 3], a[at + 4], a[at + 5], a[at + 6], a[at + 7], a[at + 8], a[at + 9]);
      case 12: return f(a[at], a[at + 1], a[at + 2], a[at + 3], a[at + 4], a[at + 5], a[at + 6], a[at + 7], a[at + 8], a[at + 9], a[at + 10], a[at + 11]);
      case 13: return f(a[at], a[at + 1], a[at + 2], a[at + 3], a[at + 4], a[at + 5], a[at + 6], a[at + 7], a[at + 8], a[at + 9], a[at + 10], a[at + 11], a[at + 12]);
      case 15: return f(a[at], a[at + 1], a[at + 2], a[at + 3], a[at + 4], a[at + 5], a[at + 6], a[at + 7], a[at + 8], a[at + 9], a[at + 10], a[at + 11], a[at + 12], a[at + 13], a[at + 14]);
      default: return f(...a.subarray(at, at + n));
    }
  };
  const program = (job) => {
    const t = job << 8;
    const tc = job << 16;
    const base = w[${CTRL.prog}] >> 2;
    const count = w[${CTRL.count}];
    if (base + ${PROGRAM_WORDS} * count > m32.length) {
      m32 = new Int32Array(memory.buffer);
      m64 = new Float64Array(memory.buffer);
    }
    for (let j = 0; j < count; j++) {
      const b = base + ${PROGRAM_WORDS} * j;
      const parts = m32[b + ${PW.parts}];
      const mine = ((1 << parts) - 1) & ~m32[b + ${PW.only}];
      while (parts > 1) {
        const c = Atomics.load(m32, b + ${PW.claim});
        if ((c & ~0xffff) !== tc || Atomics.load(w, ${CTRL.abort}) === job) return;
        const free = ~c & mine;
        if (free === 0) break;
        const i = 31 - Math.clz32(free & -free);
        if (Atomics.compareExchange(m32, b + ${PW.claim}, c, c | (1 << i)) !== c) continue;
        let fn = m32[b + ${PW.fn}];
        try {
          if (fn === ${SEQUENCES}) {
            const dir = m32[b + ${PW.args}] + 2 * i;
            if (dir + 2 > m32.length) m32 = new Int32Array(memory.buffer);
            const end = m32[dir] + ${SEQ_WORDS} * m32[dir + 1];
            if (end > m32.length) m32 = new Int32Array(memory.buffer);
            for (let e = m32[dir]; e < end; e += ${SEQ_WORDS}) {
              fn = m32[e];
              if (m32[e + 2] + m32[e + 1] > m64.length) m64 = new Float64Array(memory.buffer);
              call(fns[fn], m64, m32[e + 2], m32[e + 1]);
            }
          } else {
            const nargs = m32[b + ${PW.nargs}];
            const at = m32[b + ${PW.args}] + i * nargs;
            if (at + nargs > m64.length) m64 = new Float64Array(memory.buffer);
            call(fns[fn], m64, at, nargs);
          }
        } catch (e) {
          Atomics.store(w, ${CTRL.error}, i + 1);
          post({ error: names[fn] + ': ' + (e && e.message ? e.message : String(e)) });
        }
        Atomics.add(m32, b + ${PW.done}, 1);
        if (Atomics.load(w, ${CTRL.sleepers})) Atomics.notify(m32, b + ${PW.done});
      }
      let d = Atomics.load(m32, b + ${PW.done});
      for (let s = 0; d !== t + parts; s++) {
        if ((d & ~255) !== t || Atomics.load(w, ${CTRL.abort}) === job) return;
        if (s > spin) {
          Atomics.add(w, ${CTRL.sleepers}, 1);
          Atomics.wait(m32, b + ${PW.done}, d, 20);
          Atomics.sub(w, ${CTRL.sleepers}, 1);
        }
        d = Atomics.load(m32, b + ${PW.done});
      }
    }
  };
  post({ ready: true });
  let seen = Atomics.load(w, ${CTRL.seq});
  for (;;) {
    let seq = Atomics.load(w, ${CTRL.seq});
    for (let s = 0; seq === seen && s < spin; s++) seq = Atomics.load(w, ${CTRL.seq});
    if (seq === seen) {
      Atomics.wait(w, ${CTRL.seq}, seen);
      continue;
    }
    seen = seq;
    const fn = w[${CTRL.fn}];
    if (fn === ${PROGRAM}) {
      Atomics.add(w, ${CTRL.active}, 1);
      program(seq);
      Atomics.sub(w, ${CTRL.active}, 1);
      continue;
    }
    if (fn < 0) break;
    for (;;) {
      const c = Atomics.load(w, ${CTRL.claim});
      const i = c & 255;
      if (c >>> 8 !== seq || i >= w[${CTRL.parts}]) break;
      if (Atomics.compareExchange(w, ${CTRL.claim}, c, c + 1) !== c) continue;
      const parts = w[${CTRL.parts}];
      try {
        call(fns[fn], args, ${MAX_ARGS} * i, w[${CTRL.nargs}]);
      } catch (e) {
        Atomics.store(w, ${CTRL.error}, i + 1);
        post({ error: names[fn] + ': ' + (e && e.message ? e.message : String(e)) });
      }
      if (Atomics.add(w, ${CTRL.finished}, 1) + 1 === parts) Atomics.notify(w, ${CTRL.finished});
    }
  }
  close();
};
`;

/** The thread's source for Node's worker_threads (`new Worker(src, { eval: true })`). */
export const NODE_THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads');
const post = (m) => parentPort.postMessage(m);
const close = () => parentPort.close();
${BODY}
parentPort.once('message', (init) => {
  try { run(init); } catch (e) { post({ error: String(e && e.message ? e.message : e) }); }
});
`;

/** The thread's source for a browser dedicated Worker (a classic worker from a Blob URL). */
export const BROWSER_THREAD_SOURCE = `
const post = (m) => self.postMessage(m);
const close = () => self.close();
${BODY}
self.onmessage = (e) => {
  self.onmessage = null;
  try { run(e.data); } catch (err) { post({ error: String(err && err.message ? err.message : err) }); }
};
`;
