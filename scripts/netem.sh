#!/usr/bin/env bash
# Runs a command in a network namespace of its own whose loopback can be impaired by the
# network fault harness (crates/netem): nothing else on the machine sees the impairment, and
# everything inside — host, instant-share-peer, Chromium — gets the same network. As root.
#
#   scripts/netem.sh [--each-way SPEC] -- CMD [ARG...]
#
# SPEC is the delayer's `delay=MS,jitter=MS,loss=PERCENT[,reorder]` for every UDP packet on
# loopback (IPv4 and IPv6). Each packet crosses loopback once, so SPEC applies to each direction:
# `delay=25` is a 50 ms round trip. Without --each-way the namespace is left unimpaired, for a
# command that impairs it itself (tests/bench/netem.mjs does, per condition).
# INSTANT_SHARE_NETNS=1 is set inside; INSTANT_SHARE_NETEM_BIN names the delayer (default: the
# release build in $CARGO_TARGET_DIR, built if missing).
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source=common.sh
. "$INSTANT_SHARE_ROOT/scripts/common.sh"

spec=""
while [ $# -gt 0 ]; do
  case "$1" in
    --each-way) spec="$2"; shift 2 ;;
    --) shift; break ;;
    *) die "usage: scripts/netem.sh [--each-way SPEC] -- CMD [ARG...]" ;;
  esac
done
[ $# -gt 0 ] || die "usage: scripts/netem.sh [--each-way SPEC] -- CMD [ARG...]"
[ "$(id -u)" -eq 0 ] || die "the network fault harness needs root (network namespaces, iptables, NFQUEUE)"

if [ -z "${INSTANT_SHARE_NETNS:-}" ]; then
  export INSTANT_SHARE_NETEM_BIN="${INSTANT_SHARE_NETEM_BIN:-$CARGO_TARGET_DIR/release/instant-share-netem}"
  if [ ! -x "$INSTANT_SHARE_NETEM_BIN" ]; then
    cargo build --release -q -p instant-share-netem
  fi
  # A new network namespace (it goes away with the command), its loopback up.
  exec unshare --net -- env INSTANT_SHARE_NETNS=1 bash "${BASH_SOURCE[0]}" ${spec:+--each-way "$spec"} -- "$@"
fi

ip link set lo up
if [ -n "$spec" ]; then
  for tool in iptables ip6tables; do
    "$tool" -A OUTPUT -o lo -p udp -j NFQUEUE --queue-num 0
  done
  # The delayer at a real-time priority where allowed: a busy machine should not add its own delay.
  chrt -f 10 true 2>/dev/null && rt=(chrt -f 10) || rt=()
  coproc delayer { exec "${rt[@]}" "$INSTANT_SHARE_NETEM_BIN" delay --queue "0=$spec"; }
  read -r ready <&"${delayer[0]}"
  say "network: $ready"
  trap 'kill "$delayer_PID" 2>/dev/null || true' EXIT
fi
status=0
"$@" || status=$?
exit "$status"
