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

work=$(mktemp -d)
host_pid=""
stop_host() {
  if [ -n "$host_pid" ]; then
    kill "$host_pid" 2>/dev/null || true
    wait "$host_pid" 2>/dev/null || true
    host_pid=""
  fi
}
trap 'stop_host; rm -rf "$work"' EXIT

# start_host NAME [SERVE FLAGS...]: a fresh host on a free port; sets url and db.
start_host() {
  db="$work/$1.sqlite3"
  local name="$1"
  shift
  # One loopback address and one device per requester make a thousand connections and many
  # open requests: the per-address and per-device limits are raised out of the way.
  INSTANT_SHARE_LOG=warn "$bin" serve --demo --listen 127.0.0.1:0 --database "$db" \
    --ui-dir ui/dist --max-connections-per-address 100000 --max-open-shares-per-device 100000 "$@" >"$work/$name.out" 2>"$work/$name.err" &
  host_pid=$!
  for _ in $(seq 100); do
    url=$(sed -n 's/^instant-share-host listening on //p' "$work/$name.out")
    [ -n "$url" ] && grep -q '^enrolment code' "$work/$name.out" && return 0
    sleep 0.1
  done
  echo "the host did not start:" >&2
  cat "$work/$name.err" >&2
  exit 1
}

echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -sr)"
for c in 1 100 1000; do
  start_host "shares-$c"
  n=$((c * per))
  [ "$n" -lt 1000 ] && n=1000
  "$load" shares --url "$url" --database "$db" --host-bin "$bin" --concurrency "$c" --requests "$n"
  stop_host
done
# Each run declines its request; a declined request would ring again for the same expert after
# the re-offer pause (10 s) and ahead of the next run's: the pause is made longer than the runs.
start_host ring --reoffer-pause-secs 3600
"$load" ring --url "$url" --database "$db" --host-bin "$bin" --runs 200
stop_host
