#!/usr/bin/env bash
# Screen sharing on Wayland against X11, for BENCHMARKS.md (tests/bench/wayland-screen.mjs):
# the same stamped pattern window on a headless sway desktop (scripts/wayland-session.sh) and on
# an Xvfb, both at SIZE, shared at 15 frames a second by the release instant-share-peer (the
# app's capture code) to the Chromium console: glass to glass p50/p95, frames a second, CPU of
# the sharer and of the desktop.
#
#   SIZE=1920x1080 SECS=20 ROUNDS=2 scripts/bench-wayland.sh
#
# Needs what scripts/deps.sh test installs (sway, PipeWire, the portals, Xvfb, Chromium).
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source=common.sh
. "$INSTANT_SHARE_ROOT/scripts/common.sh"
cd "$INSTANT_SHARE_ROOT"

[ -x /usr/bin/sway ] || die "sway is not installed: run scripts/deps.sh test"
command -v Xvfb >/dev/null || die "Xvfb is not installed: run scripts/deps.sh test"

if [ -z "${BENCH_DEBUG:-}" ]; then
  echo "building the release host and peer, and the UI"
  cargo build --release -q -p instant-share-host -p instant-share-peer
  export INSTANT_SHARE_HOST_BIN="$CARGO_TARGET_DIR/release/instant-share-host"
  export INSTANT_SHARE_PEER_BIN="$CARGO_TARGET_DIR/release/instant-share-peer"
fi
(cd ui && npm run build --silent >/dev/null)
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME"), load $(cut -d' ' -f1-3 /proc/loadavg)"
mkdir -p tests/output
cd tests
exec node bench/wayland-screen.mjs
