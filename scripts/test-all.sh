#!/usr/bin/env bash
# The whole test suite, in the order a failure is cheapest to find:
#   1. the kernel contract: the files generated from kernels-c/include/tt_kernels.h must be current, and the
#      WebAssembly kernels rebuilt from kernels-c/ must equal the committed modules byte for byte (else: fail;
#      the rebuilt modules stay in wasm/ so `git diff` shows them and they can be committed);
#   2. native kernel tests under AddressSanitizer + UBSan (the unit tests below also hold the sanitized and the
#      -O3 native runners bit-identical to the TypeScript reference, src/runtime/kernels/kernels-*.test.ts);
#   3. TypeScript type check;
#   4. unit tests (vitest): kernels on every backend vs the TypeScript reference, compiler, runtime, state;
#   5. the docs: every deterministic figure of the README and docs/plan-table.md equals what its command prints
#      now (npm run docs -- --check; the unit tests check the fast ones already, this adds the firmware sizes
#      and the full plan table);
#   6. end-to-end tests in Debian's Chromium (Playwright), against the production build.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s ===\n' "$*"; }

step "kernel contract (generated from kernels-c/include/tt_kernels.h)"
node kernels-c/tools/gen_contract.mjs --check
echo "generated signatures, exports type and export list match the header"

step "build:wasm (from kernels-c/)"
# Compare with the committed modules (git HEAD); outside a git checkout, with the modules present before the build.
modules=(wasm/tt_kernels.wasm wasm/tt_kernels_relaxed.wasm wasm/tt_kernels_scalar.wasm wasm/tt_kernels_mt.wasm)
before=$(sha256sum "${modules[@]}" 2>/dev/null || true)
bash wasm/build.sh
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  stale=$(git diff --name-only HEAD -- "${modules[@]}")
else
  stale=$([ "$before" = "$(sha256sum "${modules[@]}")" ] || echo "${modules[*]}")
fi
if [ -n "$stale" ]; then
  echo "FAIL: the wasm rebuilt from kernels-c/ differs from the committed module: $stale" >&2
  echo "commit the rebuilt modules (bash wasm/build.sh) together with the kernels-c/ change" >&2
  exit 1
fi
echo "committed wasm matches the rebuilt modules"

step "native -O3 runner builds (bit-identity is checked in the unit tests)"
make -s -C kernels-c runners

step "native kernel tests (ASan + UBSan)"
make -s -C kernels-c test

step "typecheck"
npx tsc --noEmit -p tsconfig.json

step "unit tests (vitest)"
npx vitest run

step "docs match their commands"
npm run -s docs -- --check

step "end-to-end tests (Playwright, Chromium)"
if [ -f playwright.config.ts ]; then
  npx playwright test
else
  echo "no playwright.config.ts yet"
fi
