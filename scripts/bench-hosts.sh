# shellcheck shell=bash
# Sourced by the host benchmarks (bench-host.sh, bench-abuse.sh): fresh release hosts on free
# loopback ports, one at a time, each with its own SQLite file in a temporary folder removed at
# exit. The caller sets `bin` (the host binary) before calling start_host.
#
#   start_host NAME [SERVE FLAGS...]   sets url, db and host_pid; with --demo among the flags,
#                                      also waits for the demo enrolment code to be printed.
#                                      The environment of the call (GLIBC_TUNABLES) reaches it.
#   stop_host                          stops the running one, if any.

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

start_host() {
  db="$work/$1.sqlite3"
  local name="$1" demo=""
  shift
  case " $* " in *" --demo "*) demo=1 ;; esac
  # shellcheck disable=SC2154 # bin is set by the caller
  INSTANT_SHARE_LOG=warn "$bin" serve --listen 127.0.0.1:0 --database "$db" \
    --ui-dir ui/dist "$@" >"$work/$name.out" 2>"$work/$name.err" &
  host_pid=$!
  for _ in $(seq 100); do
    url=$(sed -n 's/^instant-share-host listening on //p' "$work/$name.out")
    if [ -n "$url" ] && { [ -z "$demo" ] || grep -q '^enrolment code' "$work/$name.out"; }; then
      return 0
    fi
    sleep 0.1
  done
  echo "the host did not start:" >&2
  cat "$work/$name.err" >&2
  exit 1
}
