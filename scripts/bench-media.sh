#!/usr/bin/env bash
# Media figures for BENCHMARKS.md, ours and Chromium's side by side. Release host and peer;
# headless Chromium; loopback.
#
#   RUNS=30 CPU_SECS=10 CPU_WINDOWS=3 scripts/bench-media.sh   (tests/bench/media.mjs)
#       press → first expert frame (native vs Chromium requester, RUNS runs each),
#       glass-to-glass on the four paths, CPU of a 720p30 call (the median of CPU_WINDOWS
#       consecutive windows of CPU_SECS seconds) with each side's test pattern and with one
#       camera picture for both (Chromium's fake camera, recorded to
#       tests/output/chromium-camera-720p.y4m), and that call at 50 ms round trip and at 5 % loss;
#       ONLY=press,glass,pattern,camera,impaired runs some of them
#   RUNS=15 scripts/bench-media.sh network               (tests/bench/network.mjs)
#       the same on a poor network: 50 ms round trip and 5 % loss each way (NETWORKS=matrix:
#       loss 0/1/5/10/20 % × round trip 0/50/150/300 ms), made by the network fault harness
#       (crates/netem, scripts/netem.sh) for ours and Chromium alike; needs root: press → first
#       frame, glass to glass, freezes, received fps
#   RUNS=40 [RTT=50] [COMPARE=first-keyframe] scripts/bench-media.sh dtls   (tests/bench/dtls.mjs)
#       the lost-DTLS-flight tail: press → first frame native ↔ native at 5 % loss (LOSS, RTT),
#       the DTLS layer's own resend against the engine's early one; needs root
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source=common.sh
. "$INSTANT_SHARE_ROOT/scripts/common.sh"
cd "$INSTANT_SHARE_ROOT"

# The poor networks are made by the network fault harness (iptables + NFQUEUE, crates/netem)
# in a network namespace of the benchmark's own.
mode="${1:-calls}"
if [ "$mode" = network ] || [ "$mode" = dtls ] || { [ "$mode" = calls ] && { [ -z "${ONLY:-}" ] || [[ ",$ONLY," == *,impaired,* ]]; }; }; then
  [ "$(id -u)" -eq 0 ] || die "the poor-network figures need the network fault harness: run as root"
  impaired=1
  mapfile -t missing < <(missing_pkgs iptables)
  apt_install "${missing[@]}"
fi

# PROFILE=debug measures the debug build (when a release build cannot be had in time; say so
# next to the figures).
profile="${PROFILE:-release}"
echo "building the $profile host and peer, and the UI"
if [ "$profile" = release ]; then
  cargo build --release -q -p instant-share-host -p instant-share-peer -p instant-share-netem
else
  cargo build -q -p instant-share-host -p instant-share-peer -p instant-share-netem
fi
(cd ui && npm run build --silent >/dev/null)
dir="$CARGO_TARGET_DIR/$([ "$profile" = release ] && echo release || echo debug)"
export INSTANT_SHARE_HOST_BIN="$dir/instant-share-host"
export INSTANT_SHARE_PEER_BIN="$dir/instant-share-peer"
export INSTANT_SHARE_NETEM_BIN="$dir/instant-share-netem"
# The impaired runs happen in a network namespace of their own (scripts/netem.sh), whose
# loopback they impair; nothing else on the machine is touched.
inns=()
if [ -n "${impaired:-}" ]; then inns=("$INSTANT_SHARE_ROOT/scripts/netem.sh" --); fi
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME")"
cd tests
case "${1:-calls}" in
  calls) exec "${inns[@]}" node bench/media.mjs ;;
  network) exec "${inns[@]}" node bench/network.mjs ;;
  dtls) exec "${inns[@]}" node bench/dtls.mjs ;;
  *) echo "usage: scripts/bench-media.sh [calls|network|dtls]" >&2; exit 2 ;;
esac
