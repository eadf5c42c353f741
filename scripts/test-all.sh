#!/usr/bin/env bash
# The whole test suite, in the order a failure is cheapest to find:
#   1. rebuild the WebAssembly kernels from kernels-c/ (the tests below run what was just built, not the committed
#      module) and say whether the committed module matched;
#   2. native kernel tests under AddressSanitizer + UBSan;
#   3. TypeScript type check;
#   4. unit tests (vitest): kernels on every backend vs the TypeScript reference, compiler, runtime, state;
#   5. the docs: every deterministic figure of the README and docs/plan-table.md equals what its command prints
#      now (npm run docs -- --check; the unit tests check the fast ones already, this adds the firmware sizes
#      and the full plan table);
#   6. end-to-end tests in Debian's Chromium (Playwright), against the production build.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s ===\n' "$*"; }

step "build:wasm (from kernels-c/)"
before=$(sha256sum wasm/*.wasm 2>/dev/null || true)
bash wasm/build.sh
after=$(sha256sum wasm/*.wasm)
if [ "$before" = "$after" ]; then echo "committed wasm matches the rebuilt module"; else
  echo "note: the rebuilt wasm differs from the committed one (commit wasm/*.wasm after changing kernels-c/)"; fi

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
