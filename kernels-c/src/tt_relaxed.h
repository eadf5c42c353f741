/*
 * tt_relaxed.h - relaxed-SIMD instructions for the relaxed WebAssembly build (-DTT_RELAXED_SIMD), used only where
 * their result is exact, so that build stays bit-identical to the SIMD and scalar ones.
 *
 * emcc 3.1.6 (clang 14) has no builtin for the relaxed dot products and encodes the other relaxed instructions
 * with pre-standard opcodes that engines reject. So the relaxed build declares each instruction as an imported
 * function of the same signature (module "tt_relaxed", field = the instruction's name), and wasm/build.sh
 * replaces every call of such an import with the instruction itself (wasm2wat, a textual substitution, wat2wasm)
 * and drops the import. Other builds get the exact SIMD128 equivalent.
 *
 * Used:
 *  - i32x4.relaxed_trunc_f32x4_s where the argument is already a finite float in [-2^30, 2^30] (NaN cleared):
 *    there it equals i32x4.trunc_sat_f32x4_s (one cvttps2dq on x86 instead of a fix-up sequence).
 * Not used: i32x4.relaxed_dot_i8x16_i7x16_add_s is exact only for a second operand in [0, 127]; int8 x int8
 * products need two of them (weights split in 7-bit halves), which V8 lowers to six x86 instructions per 16
 * products without AVX-VNNI, against two for i32x4.dot_i16x8_s + add per 8. f32x4.relaxed_madd may fuse (not exact).
 */
#ifndef TT_RELAXED_H
#define TT_RELAXED_H

#ifdef __wasm_simd128__
#include <wasm_simd128.h>

#ifdef TT_RELAXED_SIMD
__attribute__((import_module("tt_relaxed"), import_name("i32x4.relaxed_trunc_f32x4_s"))) v128_t
tt_relaxed_trunc_f32x4_s(v128_t v);
/* v: finite floats in [-2^30, 2^30] */
#define TT_TRUNC_IN_RANGE_F32X4(v) tt_relaxed_trunc_f32x4_s(v)
#else
#define TT_TRUNC_IN_RANGE_F32X4(v) wasm_i32x4_trunc_sat_f32x4(v)
#endif

#endif /* __wasm_simd128__ */
#endif /* TT_RELAXED_H */
