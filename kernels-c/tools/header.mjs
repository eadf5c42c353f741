// Parses the function prototypes of include/tt_kernels.h: the one description of the kernel contract that the
// generators (gen_dispatch.mjs for the native runner, gen_contract.mjs for the TypeScript and wasm copies) share.
// Only `void|float|int32_t name(...);` declarations count; static inline helpers (with bodies) do not.

/** @typedef {{ name: string, type: string }} Param  type is normalized: 'const int8_t*', 'int32_t', 'tt_rng*' */
/** @typedef {{ name: string, ret: 'void' | 'float' | 'int32_t', params: Param[] }} Prototype */

/** One parameter declaration ('const tt_conv_shape *shape') as a name and a normalized C type. */
function parseParam(decl, fn) {
  const m = /^(.*?)([A-Za-z_]\w*)$/.exec(decl.replace(/\s+/g, ' ').trim());
  if (!m || !m[1].trim()) throw new Error(`${fn}: cannot parse parameter "${decl}"`);
  const type = m[1].replace(/\s*\*\s*/g, '*').trim();
  return { name: m[2], type };
}

/** Every prototype in header order. Throws on a prototype it cannot read, so the copies never go stale quietly. */
export function parsePrototypes(text) {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/.*$/gm, ' ');
  const out = [];
  for (const m of code.matchAll(/(^|[;}\n])\s*(void|float|int32_t)\s+(tt_\w+)\s*\(([^)]*)\)\s*;/g)) {
    const [, , ret, name, list] = m;
    const params = list
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p && p !== 'void')
      .map((p) => parseParam(p, name));
    out.push({ name, ret, params });
  }
  if (out.length === 0) throw new Error('no kernel prototypes found in the header');
  return out;
}

/**
 * A plan kernel is named tt_<op>_<dtype>[_<variant>] with dtype s8, s32 or f32 (the CMSIS-NN naming scheme) and
 * returns void or float. The math helpers (tt_expf, tt_logf) and the *_get_buffer_size queries are exported but
 * are never plan steps.
 */
export function isPlanKernel(p) {
  return p.ret !== 'int32_t' && /_(s8|s32|f32)(_|$)/.test(p.name);
}
