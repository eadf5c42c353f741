#!/usr/bin/env bash
# Builds kernels-c/ into four WebAssembly modules (the first three standalone: no imports but the memory-growth hook):
#   wasm/tt_kernels.wasm          -O3 -msimd128  (what the page and the worker run where relaxed SIMD is missing)
#   wasm/tt_kernels_relaxed.wasm  -O3 -msimd128 -DTT_RELAXED_SIMD, then the relaxed-SIMD instructions substituted
#                                 for their placeholder imports (kernels-c/src/tt_relaxed.h); chosen at run time
#                                 where the engine validates relaxed SIMD (src/runtime/kernels/kernel-build.ts)
#   wasm/tt_kernels_scalar.wasm   -O3, no SIMD   (the scalar baseline for `npm run bench -- kernels`)
#   wasm/tt_kernels_mt.wasm      -O3 -msimd128 -pthread: the same kernels over an imported shared memory, for
#                                several threads (src/runtime/kernels/wasm-threads.ts). Emscripten 3.1.6 refuses
#                                STANDALONE_WASM with pthreads, so this one links as a JS build whose glue is
#                                thrown away: wasm-threads.ts provides the few env imports itself. -g3 keeps the
#                                export names unminified (the glue would otherwise rename them), and wasm-strip
#                                then drops the debug sections. Its data segments are passive and initialized once
#                                (an atomic guard in the start function), so every thread instantiates it safely.
# The exported functions are listed in wasm/exports.txt, one C name a line, generated from the header by
# kernels-c/tools/gen_contract.mjs.
# Both use -ffp-contract=off and no fast-math, like every other build of the kernels, then wabt validates them.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs   # Debian's emcc needs acorn from here at -O1 and above
command -v emcc >/dev/null || { echo "emcc not found: run bash scripts/install-system-deps.sh" >&2; exit 1; }

exports=$(grep -v '^\s*#' wasm/exports.txt | grep -v '^\s*$' | sed 's/^/"_/; s/$/"/' | paste -sd, -)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "[$exports]" > "$tmp/exports.json"

flags=(-O3 -std=c11 -Ikernels-c/include -Wall -Wextra -Werror -ffp-contract=off -fno-fast-math
       --no-entry -sSTANDALONE_WASM -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=16777216
       -sEXPORTED_FUNCTIONS=@"$tmp/exports.json")
emcc "${flags[@]}" -msimd128 kernels-c/src/*.c -o "$tmp/tt_kernels.wasm"
emcc "${flags[@]}" kernels-c/src/*.c -o "$tmp/tt_kernels_scalar.wasm"
mt=(-O3 -g3 -std=c11 -Ikernels-c/include -Wall -Wextra -Werror -ffp-contract=off -fno-fast-math -msimd128 -pthread
    --no-entry -sIMPORTED_MEMORY -sINITIAL_MEMORY=16777216 -sMAXIMUM_MEMORY=1073741824 -sALLOW_MEMORY_GROWTH=1
    -Wno-pthreads-mem-growth -sEXPORTED_FUNCTIONS=@"$tmp/exports.json")
emcc "${mt[@]}" kernels-c/src/*.c -o "$tmp/tt_kernels_mt.js"
wasm-strip "$tmp/tt_kernels_mt.wasm"
emcc "${flags[@]}" -msimd128 -DTT_RELAXED_SIMD -sERROR_ON_UNDEFINED_SYMBOLS=0 -sWARN_ON_UNDEFINED_SYMBOLS=0 \
  kernels-c/src/*.c -o "$tmp/placeholders.wasm"
# Each placeholder import (module "tt_relaxed", field = instruction) has the instruction's signature: its calls
# become the instruction, and the import goes (functions are referred to by generated names, so nothing shifts).
wasm2wat --enable-all --generate-names "$tmp/placeholders.wasm" -o "$tmp/relaxed.wat"
sed -nE 's/^ *\(import "tt_relaxed" "([a-z0-9_.]+)" \(func (\$[^ ]+) .*/\2 \1/p' "$tmp/relaxed.wat" > "$tmp/relaxed.map"
[ -s "$tmp/relaxed.map" ] || { echo "the relaxed build has no relaxed-SIMD placeholders" >&2; exit 1; }
sed -i '/^ *(import "tt_relaxed"/d' "$tmp/relaxed.wat"
while read -r name insn; do
  esc=$(printf '%s' "$name" | sed 's/[.$]/\\&/g')
  sed -i -E "s/call ${esc}( |\)|\$)/${insn}\1/g" "$tmp/relaxed.wat"
done < "$tmp/relaxed.map"
! grep -q 'tt_relaxed' "$tmp/relaxed.wat" || { echo "relaxed placeholders left in the relaxed build" >&2; exit 1; }
wat2wasm --enable-all "$tmp/relaxed.wat" -o "$tmp/tt_kernels_relaxed.wasm"
for m in tt_kernels tt_kernels_relaxed tt_kernels_scalar tt_kernels_mt; do
  wasm-validate --enable-all "$tmp/$m.wasm"
  cp "$tmp/$m.wasm" "wasm/$m.wasm"
done
simd=$(wasm-objdump -d wasm/tt_kernels.wasm | grep -cE '(i8x16|i16x8|i32x4|f32x4|v128)\.' || true)
scalar=$(wasm-objdump -d wasm/tt_kernels_scalar.wasm | grep -cE '(i8x16|i16x8|i32x4|f32x4|v128)\.' || true)
echo "built wasm/tt_kernels.wasm ($(stat -c %s wasm/tt_kernels.wasm) bytes, $simd SIMD instructions)"
echo "built wasm/tt_kernels_mt.wasm ($(stat -c %s wasm/tt_kernels_mt.wasm) bytes, shared memory)"
echo "built wasm/tt_kernels_scalar.wasm ($(stat -c %s wasm/tt_kernels_scalar.wasm) bytes, $scalar SIMD instructions)"
relaxed=$(wasm-objdump -d wasm/tt_kernels_relaxed.wasm | grep -c 'relaxed' || true)
echo "built wasm/tt_kernels_relaxed.wasm ($(stat -c %s wasm/tt_kernels_relaxed.wasm) bytes, $relaxed relaxed-SIMD instructions)"
[ "$relaxed" -gt 0 ] || { echo "the relaxed build has no relaxed-SIMD instructions" >&2; exit 1; }
[ "$simd" -gt 0 ] || { echo "the SIMD build has no SIMD instructions" >&2; exit 1; }
[ "$scalar" -eq 0 ] || { echo "the scalar build has SIMD instructions" >&2; exit 1; }
