#!/usr/bin/env bash
# Host figures for BENCHMARKS.md: POST /api/v1/shares -> pointer at 1, 100 and 1,000 concurrent
# requesters, and request -> ring on an expert console. Each measurement runs against a fresh
# release host on loopback with a fresh SQLite file.
#
#   scripts/bench-host.sh [--requests-per-requester N]
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/env.sh"
cd "$INSTANT_SHARE_ROOT"

per=10
while [ $# -gt 0 ]; do
  case "$1" in
    --requests-per-requester) per="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

echo "building the release host and the load example"
cargo build --release -q -p instant-share-host --bin instant-share-host --example share_load
bin="$CARGO_TARGET_DIR/release/instant-share-host"
load="$CARGO_TARGET_DIR/release/examples/share_load"

# shellcheck source=bench-hosts.sh
. "$INSTANT_SHARE_ROOT/scripts/bench-hosts.sh"
# One loopback address and one device per requester make a thousand connections and many
# open requests: the per-address and per-device limits are raised out of the way.
limits=(--demo --max-connections-per-address 100000 --max-open-shares-per-device 100000)

echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -sr)"
for c in 1 100 1000; do
  start_host "shares-$c" "${limits[@]}"
  n=$((c * per))
  [ "$n" -lt 1000 ] && n=1000
  "$load" shares --url "$url" --database "$db" --host-bin "$bin" --concurrency "$c" --requests "$n"
  stop_host
done
# Each run declines its request; a declined request would ring again for the same expert after
# the re-offer pause (10 s) and ahead of the next run's: the pause is made longer than the runs.
start_host ring "${limits[@]}" --reoffer-pause-secs 3600
"$load" ring --url "$url" --database "$db" --host-bin "$bin" --runs 200
stop_host
