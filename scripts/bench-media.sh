#!/usr/bin/env bash
# Media figures for BENCHMARKS.md (tests/bench/media.mjs): press → first expert frame (native vs
# Chromium requester, RUNS runs each), glass-to-glass on the four paths, CPU of a 720p30 call
# (ours vs Chromium, CPU_SECS seconds). Release host and peer; headless Chromium; loopback.
#
#   RUNS=30 CPU_SECS=10 scripts/bench-media.sh
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/env.sh"
cd "$INSTANT_SHARE_ROOT"

echo "building the release host and peer, and the UI"
cargo build --release -q -p instant-share-host -p instant-share-peer
(cd ui && npm run build --silent >/dev/null)
export INSTANT_SHARE_HOST_BIN="$CARGO_TARGET_DIR/release/instant-share-host"
export INSTANT_SHARE_PEER_BIN="$CARGO_TARGET_DIR/release/instant-share-peer"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME")"
cd tests
exec node bench/media.mjs
