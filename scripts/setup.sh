#!/usr/bin/env bash
# Sets up a machine for alseg, unattended: npm packages, a build, and a WebGPU adapter.
# If Dawn finds no adapter it installs Mesa's software Vulkan driver (lavapipe, Mesa >= 25) from
# Debian's bookworm-backports, taking the mirror from this machine's own apt sources. Where it cannot
# install (not root, not Debian 12), it says exactly what to install and exits non-zero.
# On a machine that already has an adapter it installs nothing system-wide for it. Last, where
# Chromium is missing, it installs Debian's package for the browser test (or says why it cannot).
#
# Usage: bash scripts/setup.sh [--adapter-only]   (--adapter-only: skip npm install and the build)
set -euo pipefail
cd "$(dirname "$0")/.."
adapter_only=0
[ "${1:-}" = --adapter-only ] && adapter_only=1

: "${XDG_RUNTIME_DIR:=/tmp/xdg-runtime-$(id -u)}"
export XDG_RUNTIME_DIR
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

log() { echo "[setup] $*"; }

if [ $adapter_only = 0 ] && { [ ! -d node_modules/webgpu ] || [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  log "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

probe() { node scripts/probe-adapter.mjs 2>&1; }

if out=$(probe); then
  log "WebGPU $(echo "$out" | tail -n 1); nothing to install"
else
  log "Dawn found no usable adapter: $(echo "$out" | tail -n 1)"
  want="mesa-vulkan-drivers libvulkan1 (Mesa >= 25, from Debian bookworm-backports)"
  codename=""
  [ -r /etc/os-release ] && codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  if [ "$(id -u)" != 0 ] || [ "$codename" != bookworm ] || ! command -v apt-get >/dev/null; then
    echo "alseg needs a Vulkan driver that Dawn accepts. Install as root:" >&2
    echo "  on Debian 12: add the suite bookworm-backports to your apt sources, then" >&2
    echo "    apt-get update && apt-get install -t bookworm-backports $want" >&2
    echo "  elsewhere: your GPU's Vulkan driver, or Mesa >= 25 lavapipe (mesa-vulkan-drivers) and the Vulkan loader (libvulkan1)" >&2
    exit 1
  fi
  # The mirror is whatever this machine already uses for Debian's main archive.
  . scripts/debian-mirror.sh
  mirror=$(debian_mirror)
  if [ -z "$mirror" ]; then
    echo "no Debian mirror found in /etc/apt/sources.list*: add bookworm-backports and install $want" >&2
    exit 1
  fi
  list=/etc/apt/sources.list.d/alseg-bookworm-backports.list
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    log "adding bookworm-backports from $mirror"
    echo "deb $mirror bookworm-backports main" > "$list"
  fi
  log "installing $want"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq -t bookworm-backports --no-install-recommends mesa-vulkan-drivers libvulkan1 >/dev/null
  if out=$(probe); then
    log "WebGPU $out"
  else
    echo "installed $want but Dawn still finds no adapter:" >&2
    echo "$out" >&2
    exit 1
  fi
fi

[ $adapter_only = 1 ] && exit 0

# Chromium for the browser test of `alseg annotate` (test/e2e/human-oracle.test.ts, driven by
# puppeteer-core, which downloads no browser of its own). Optional: without it that test skips and
# says why. ALSEG_NO_BROWSER=1 skips this step.
if [ "${ALSEG_NO_BROWSER:-0}" = 1 ]; then
  log "ALSEG_NO_BROWSER=1: not installing Chromium (the browser test will skip)"
elif command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then
  log "Chromium found; nothing to install for the browser test"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  log "installing Debian's chromium for the browser test (apt-get install chromium)"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-cache show chromium >/dev/null 2>&1; then apt-get update -qq || true; fi
  if apt-get install -y -qq --no-install-recommends chromium >/dev/null; then
    log "installed $(chromium --version 2>/dev/null || echo chromium)"
  else
    log "could not install chromium: the browser test will skip (install it by hand to run it)"
  fi
else
  log "no Chromium and not root with apt-get: the browser test will skip (install chromium to run it)"
fi
if [ ! -f dist/cli.js ] || [ -n "$(find src bench -newer dist/cli.js -name '*.ts' 2>/dev/null | head -n 1)" ]; then
  log "building (tsc)"
  npm run -s build
fi
