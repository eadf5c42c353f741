#!/usr/bin/env bash
# Installs the system packages TinyTrain Playground needs, from Debian's apt only:
# emscripten + binaryen (build the kernels to WebAssembly), wabt (validate / disassemble the module),
# chromium (Playwright end-to-end tests), the Cortex-M toolchain and QEMU (firmware bundle tests),
# clang-format, and Debian's Fashion-MNIST (the real data the pretraining script uses).
# Idempotent: packages already present are skipped, so a second run costs seconds.
set -euo pipefail

PKGS=(emscripten binaryen wabt chromium gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
      clang-format dataset-fashion-mnist zip unzip)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
