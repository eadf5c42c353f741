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
 *   seq      job number; kernel threads wait for it to change (Atomics.wait / notify)
 *   claim    (job << 8) | next unclaimed part: a thread claims part i with compareExchange(claim, c, c + 1)
 *            while the job in it is the one it woke for and i < parts
 *   finished parts done (the last one notifies); error: 1 + a part that threw, or 0
 *   fn       export index in `names` (-1: the threads exit); parts; nargs
 * Part i's float64 arguments start at byte ARGS_BYTE + 8 * MAX_ARGS * i.
 */
export const CTRL = { seq: 0, claim: 1, finished: 2, error: 3, fn: 4, parts: 5, nargs: 6 } as const;
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
    if (fn < 0) break;
    for (;;) {
      const c = Atomics.load(w, ${CTRL.claim});
      const i = c & 255;
      if (c >>> 8 !== seq || i >= w[${CTRL.parts}]) break;
      if (Atomics.compareExchange(w, ${CTRL.claim}, c, c + 1) !== c) continue;
      const parts = w[${CTRL.parts}];
      try {
        fns[fn](...args.subarray(${MAX_ARGS} * i, ${MAX_ARGS} * i + w[${CTRL.nargs}]));
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
