#!/usr/bin/env bash
# Figures for BENCHMARKS.md, "The host under abuse": the host's memory around a burst of
# wrong-password sign-ins under several malloc settings, and a small picture's upload latency
# while another session uploads many large ones. Each run is a fresh release host on loopback
# with a fresh SQLite file.
#
#   [BENCH_HOST_BIN=path] scripts/bench-abuse.sh [--count 300] [--large 12] [--only memory|fairness]
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/env.sh"
cd "$INSTANT_SHARE_ROOT"

count=300
large=12
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count="$2"; shift 2 ;;
    --large) large="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

echo "building the release host and the load example"
cargo build --release -q -p instant-share-host --bin instant-share-host --example abuse_load
# BENCH_HOST_BIN: another host binary to measure (e.g. an older release, for a before/after).
bin="${BENCH_HOST_BIN:-$CARGO_TARGET_DIR/release/instant-share-host}"
load="$CARGO_TARGET_DIR/release/examples/abuse_load"

# shellcheck source=bench-hosts.sh
. "$INSTANT_SHARE_ROOT/scripts/bench-hosts.sh"

echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -sr), $(ldd --version | head -1)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ -z "$only" ] || [ "$only" = memory ]; then
  # The host sets a fixed mmap threshold unless GLIBC_TUNABLES is set; a tunable that changes
  # nothing (perturb=0) gives glibc's defaults.
  for variant in \
    "glibc defaults|glibc.malloc.perturb=0" \
    "glibc, at most 2 arenas|glibc.malloc.arena_max=2" \
    "glibc, fixed mmap threshold 1 MiB (the host's own setting)|"; do
    name="${variant%%|*}"
    tunables="${variant#*|}"
    echo
    echo "== $name"
    if [ -n "$tunables" ]; then
      GLIBC_TUNABLES="$tunables" start_host memory
    else
      start_host memory
    fi
    sleep 1
    "$load" sign-in-burst --url "$url" --pid "$host_pid" --count "$count"
    stop_host
  done
fi

if [ -z "$only" ] || [ "$only" = fairness ]; then
  echo
  echo "== a small upload while another session uploads $large large pictures"
  start_host fairness
  "$load" decode-fairness --url "$url" --database "$db" --host-bin "$bin" --large "$large"
  stop_host
fi
